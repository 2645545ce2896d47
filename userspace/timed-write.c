// SPDX-License-Identifier: GPL-2.0
/*
 * timed-write: write VALUE to FILE and print how long the write() took,
 * in seconds.  /proc/sys/vm/compact_memory and the per-node compact files
 * do all their work inside that one write, so this times a compaction.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	ssize_t n;
	size_t len;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: timed-write FILE VALUE\n"
			"Write VALUE to FILE and print the seconds the write took.\n");
		return 2;
	}
	fd = open(argv[1], O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "timed-write: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	len = strlen(argv[2]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = write(fd, argv[2], len);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (n < 0 || (size_t)n != len) {
		fprintf(stderr, "timed-write: %s: %s\n", argv[1],
			n < 0 ? strerror(errno) : "short write");
		close(fd);
		return 1;
	}
	close(fd);
	printf("%.6f\n", seconds_between(&t0, &t1));
	return 0;
}
