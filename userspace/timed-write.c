// SPDX-License-Identifier: GPL-2.0
/*
 * timed-write: write VALUE to FILE and print how long the write() took,
 * in seconds, and the CPU time the process spent in it.
 * /proc/sys/vm/compact_memory and the per-node compact files do all their
 * work inside that one write, in the writer's context, so this times a
 * compaction and gives what it cost in CPU.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

/* User and system time of this process so far, in seconds. */
static double cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	double cpu0, cpu1;
	ssize_t n;
	size_t len;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: timed-write FILE VALUE\n"
			"Write VALUE to FILE and print the seconds the write took\n"
			"and the CPU seconds it used: \"SECONDS CPU_SECONDS\".\n");
		return 2;
	}
	fd = open(argv[1], O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "timed-write: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	len = strlen(argv[2]);
	cpu0 = cpu_seconds();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = write(fd, argv[2], len);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cpu1 = cpu_seconds();
	if (n < 0 || (size_t)n != len) {
		fprintf(stderr, "timed-write: %s: %s\n", argv[1],
			n < 0 ? strerror(errno) : "short write");
		close(fd);
		return 1;
	}
	close(fd);
	printf("%.6f %.6f\n", seconds_between(&t0, &t1), cpu1 - cpu0);
	return 0;
}
