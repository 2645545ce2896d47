// SPDX-License-Identifier: GPL-2.0
/*
 * frag: fill most of RAM with anonymous 4K pages, then free most pages of
 * every 2M-aligned chunk, so that almost no free 2M physical block is left,
 * and hold the memory until told to exit.  See frag --help.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "frag_args.h"
#include "meminfo.h"
#include "pagemap.h"
#include "punch.h"

#define FRAG_PAGE_SIZE		4096ul
/* Below this a fill is quick: progress lines would be noise. */
#define PROGRESS_MIN_SIZE	(UINT64_C(256) << 20)

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

struct frag {
	struct frag_opts opts;
	uint64_t size;			/* bytes, whole chunks */
	size_t chunks;
	char *mem;			/* 2M aligned */
	uint64_t kept_pages;		/* after punching */
	/* --dump: preallocated so dumps take no memory mid-experiment */
	struct pagemap_reader reader;
	uint64_t *pfns;
	unsigned int next_stage;
};

/* Progress "frag: <verb> 512 of 1700 MiB (30%)" about every 10%. */
struct progress {
	const char *verb;
	bool enabled;
	uint64_t total;
	unsigned int next_tenth;
};

static volatile sig_atomic_t dump_requested;
static volatile sig_atomic_t exit_requested;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fputs("frag: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void __attribute__((noreturn)) usage_error(const char *reason)
{
	fprintf(stderr, "frag: %s\n%s", reason, frag_usage);
	exit(2);
}

static void info(const struct frag *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void info(const struct frag *f, const char *fmt, ...)
{
	va_list ap;

	if (f->opts.quiet)
		return;
	fputs("frag: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Exactly one line, flushed: the experiment driver reads these. */
static void announce(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void announce(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void on_dump_signal(int sig)
{
	(void)sig;
	dump_requested = 1;
}

static void on_exit_signal(int sig)
{
	(void)sig;
	exit_requested = 1;
}

static const int exit_signals[] = { SIGTERM, SIGINT, SIGHUP };

/*
 * Install the handlers and block the signals, so they are only taken
 * inside sigsuspend(); @waitmask gets the mask to wait with.
 */
static void setup_signals(sigset_t *waitmask)
{
	struct sigaction sa = { .sa_handler = on_exit_signal };
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	for (size_t i = 0; i < ARRAY_SIZE(exit_signals); i++)
		sigaddset(&block, exit_signals[i]);
	if (sigprocmask(SIG_BLOCK, &block, waitmask))
		die("sigprocmask: %s", strerror(errno));

	/*
	 * Even a SIGINT that a shell set to ignored for a '&' job: the
	 * driver may send it.
	 */
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(exit_signals); i++) {
		sigaction(exit_signals[i], &sa, NULL);
		sigdelset(waitmask, exit_signals[i]);
	}
	sa.sa_handler = on_dump_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sigdelset(waitmask, SIGUSR1);
}

/* A blocked SIGTERM/INT/HUP arrived while filling or punching. */
static bool exit_pending(void)
{
	sigset_t pending;

	if (sigpending(&pending))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(exit_signals); i++)
		if (sigismember(&pending, exit_signals[i]))
			return true;
	return false;
}

static void __attribute__((noreturn)) exit_now(void)
{
	announce("frag: exiting");
	exit(0);
}

static void progress_init(struct progress *p, const struct frag *f,
			  const char *verb)
{
	p->verb = verb;
	p->enabled = !f->opts.quiet && f->size >= PROGRESS_MIN_SIZE;
	p->total = f->size;
	p->next_tenth = 1;
}

static void progress_update(struct progress *p, uint64_t done)
{
	if (!p->enabled || done * 10 < p->total * p->next_tenth)
		return;
	fprintf(stderr, "frag: %s %" PRIu64 " of %" PRIu64 " MiB (%" PRIu64 "%%)\n",
		p->verb, done / FRAG_MIB, p->total / FRAG_MIB,
		done * 100 / p->total);
	while (done * 10 >= p->total * p->next_tenth)
		p->next_tenth++;
}

static void compute_size(struct frag *f)
{
	struct meminfo mi;
	char err[256];
	int ret;

	ret = meminfo_read(&mi);
	if (ret)
		die("cannot read /proc/meminfo: %s", strerror(-ret));
	if (frag_fill_size(&f->opts, mi.total_kib << 10, mi.available_kib << 10,
			   &f->size, err, sizeof(err))) {
		fprintf(stderr, "frag: %s\n", err);
		exit(2);
	}
	if (f->size > SIZE_MAX - FRAG_CHUNK_SIZE)
		die("size %" PRIu64 " MiB does not fit the address space",
		    f->size / FRAG_MIB);
	f->chunks = (size_t)(f->size / FRAG_CHUNK_SIZE);
	info(f, "filling %" PRIu64 " MiB (MemTotal %" PRIu64
	     " MiB, MemAvailable %" PRIu64 " MiB), keeping %s%u of %u pages per 2M chunk (%s)",
	     f->size / FRAG_MIB, mi.total_kib >> 10, mi.available_kib >> 10,
	     f->opts.pattern == PUNCH_RANDOM || f->opts.pattern == PUNCH_PFN ?
	     "on average " : "",
	     f->opts.keep, PUNCH_CHUNK_PAGES, punch_pattern_name(f->opts.pattern));
}

/*
 * Before allocating anything big: a dump of zero PFNs would be a lie, and
 * the pfn pattern would keep every page.  @why: what needs them.
 */
static void open_pagemap(struct frag *f, const char *why)
{
	int ret;

	if (f->reader.fd >= 0)
		return;
	ret = pagemap_check_pfns();
	if (ret == -EPERM)
		die("/proc/self/pagemap shows no PFNs: %s needs CAP_SYS_ADMIN", why);
	if (ret)
		die("cannot read /proc/self/pagemap: %s", strerror(-ret));
	ret = pagemap_reader_open(&f->reader);
	if (ret)
		die("cannot open /proc/self/pagemap: %s", strerror(-ret));
}

static void setup_dumps(struct frag *f)
{
	size_t pages = f->size / FRAG_PAGE_SIZE;

	open_pagemap(f, "dumping");
	f->pfns = malloc(pages * sizeof(*f->pfns));
	if (!f->pfns)
		die("cannot allocate %zu MiB for dumps", pages * sizeof(*f->pfns) >> 20);
	memset(f->pfns, 0, pages * sizeof(*f->pfns));
}

static void dump_stage(struct frag *f, unsigned int stage, bool on_signal)
{
	size_t len = strlen(f->opts.dump_prefix) + 32;
	char *path = malloc(len);
	size_t n;
	int ret;

	if (!path)
		die("out of memory");
	snprintf(path, len, "%s-%u.txt", f->opts.dump_prefix, stage);
	ret = pagemap_collect(&f->reader, f->mem, f->size, f->pfns, &n);
	if (ret == -EPERM)
		die("/proc/self/pagemap shows no PFNs: dumping needs CAP_SYS_ADMIN");
	if (ret)
		die("cannot read /proc/self/pagemap: %s", strerror(-ret));
	ret = pagemap_dump_file(path, stage, f->pfns, n,
				(unsigned int)(FRAG_CHUNK_SIZE / FRAG_PAGE_SIZE));
	if (ret)
		die("cannot write %s: %s", path, strerror(-ret));
	if (on_signal)
		announce("frag: dumped %s", path);
	else
		info(f, "dumped %s (%zu pages)", path, n);
	free(path);
}

/* Reserve size + 2M and keep the 2M-aligned middle. */
static void map_memory(struct frag *f)
{
	size_t len = f->size + FRAG_CHUNK_SIZE;
	uintptr_t start, aligned;
	char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		die("mmap of %zu MiB failed: %s", len >> 20, strerror(errno));
	start = (uintptr_t)p;
	aligned = (start + FRAG_CHUNK_SIZE - 1) & ~(uintptr_t)(FRAG_CHUNK_SIZE - 1);
	if (aligned > start)
		munmap(p, aligned - start);
	if (start + len > aligned + f->size)
		munmap((char *)aligned + f->size, start + len - aligned - f->size);
	f->mem = (char *)aligned;

	/* 4K pages only: a THP would take a whole free 2M block. */
	if (madvise(f->mem, f->size, MADV_NOHUGEPAGE) && errno != EINVAL)
		die("madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
}

static void fill(struct frag *f)
{
	struct progress prog;

	progress_init(&prog, f, "filled");
	for (size_t c = 0; c < f->chunks; c++) {
		volatile char *chunk = f->mem + c * FRAG_CHUNK_SIZE;

		for (size_t off = 0; off < FRAG_CHUNK_SIZE; off += FRAG_PAGE_SIZE)
			chunk[off] = 1;
		if (exit_pending())
			exit_now();
		progress_update(&prog, (c + 1) * FRAG_CHUNK_SIZE);
	}
}

/* --pattern pfn: the pages of @chunk kept, by the frames they map. */
static unsigned int chunk_kept_by_pfn(struct frag *f, const char *chunk,
				      bool kept[PUNCH_CHUNK_PAGES])
{
	uint64_t pfns[PUNCH_CHUNK_PAGES];
	size_t n;
	int ret;

	ret = pagemap_collect(&f->reader, chunk, FRAG_CHUNK_SIZE, pfns, &n);
	if (ret)
		die("cannot read /proc/self/pagemap: %s", strerror(-ret));
	/* Every page was touched and nothing swaps it out in a guest. */
	if (n != PUNCH_CHUNK_PAGES)
		die("--pattern %s: %zu of the %u pages of a chunk are present",
		    punch_pattern_name(PUNCH_PFN), n, PUNCH_CHUNK_PAGES);
	return punch_chunk_kept_by_pfn(f->opts.keep, f->opts.pfn_offset, pfns, kept);
}

static void punch(struct frag *f)
{
	struct punch_run runs[PUNCH_MAX_RUNS];
	bool kept[PUNCH_CHUNK_PAGES];
	struct progress prog;
	size_t nr_runs;

	progress_init(&prog, f, "punched");
	for (size_t c = 0; c < f->chunks; c++) {
		char *chunk = f->mem + c * FRAG_CHUNK_SIZE;

		if (f->opts.pattern == PUNCH_PFN)
			f->kept_pages += chunk_kept_by_pfn(f, chunk, kept);
		else
			f->kept_pages += punch_chunk_kept(f->opts.pattern, f->opts.keep,
							  f->opts.seed, c, kept);
		nr_runs = punch_runs_of(kept, runs);
		for (size_t r = 0; r < nr_runs; r++) {
			const struct punch_run *run = &runs[r];

			if (madvise(chunk + run->first * FRAG_PAGE_SIZE,
				    run->count * FRAG_PAGE_SIZE, MADV_DONTNEED))
				die("madvise(MADV_DONTNEED): %s", strerror(errno));
		}
		if (exit_pending())
			exit_now();
		progress_update(&prog, (c + 1) * FRAG_CHUNK_SIZE);
	}
}

static void __attribute__((noreturn)) hold(struct frag *f,
					   const sigset_t *waitmask)
{
	for (;;) {
		sigsuspend(waitmask);
		if (dump_requested) {
			dump_requested = 0;
			if (f->opts.dump_prefix)
				dump_stage(f, f->next_stage++, true);
			else
				fprintf(stderr, "frag: SIGUSR1 ignored: no --dump given\n");
		}
		if (exit_requested)
			exit_now();
	}
}

#define KHUGEHOG_CONTROL "/sys/kernel/debug/khugehog/control"
#define KHUGEHOG_STATUS "/sys/kernel/debug/khugehog/status"

/* Write one command to khugehog's control file; -errno on failure. */
static int khugehog_command(const char *cmd)
{
	int fd = open(KHUGEHOG_CONTROL, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, cmd, strlen(cmd));
	err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

static void unpin_at_exit(void)
{
	int err = khugehog_command("unpin");

	if (err)
		fprintf(stderr, "frag: unpin: %s\n", strerror(-err));
}

static unsigned long pinned_pages(void)
{
	unsigned long n = 0;
	char line[128];
	FILE *f = fopen(KHUGEHOG_STATUS, "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "pinned %lu", &n) == 1)
			break;
	fclose(f);
	return n;
}

/*
 * --unmovable: userspace cannot own kernel pages, so khugehog.ko takes
 * them; they go back when frag exits, however it exits but SIGKILL
 * (then "unpin" or unloading the module does it).
 */
static void pin_unmovable(const struct frag *f)
{
	char cmd[64];
	int err;

	snprintf(cmd, sizeof(cmd), "pin share=%u seed=%" PRIu64,
		 f->opts.unmovable_pct, f->opts.unmovable_seed);
	err = khugehog_command(cmd);
	if (err == -ENOENT)
		die("--unmovable needs khugehog.ko loaded and debugfs mounted: %s: %s",
		    KHUGEHOG_CONTROL, strerror(-err));
	if (err)
		die("%s: '%s': %s", KHUGEHOG_CONTROL, cmd, strerror(-err));
	if (atexit(unpin_at_exit)) {
		unpin_at_exit();
		die("atexit failed");
	}
	announce("frag: pinned %lu unmovable pages (%u%% of pageblocks, seed %" PRIu64 ")",
		 pinned_pages(), f->opts.unmovable_pct, f->opts.unmovable_seed);
}

/* --wait-punch: the driver snapshots the filled state, then signals. */
static void wait_for_usr1(const sigset_t *waitmask)
{
	while (!dump_requested) {
		sigsuspend(waitmask);
		if (exit_requested)
			exit_now();
	}
	dump_requested = 0;
}

int main(int argc, char **argv)
{
	struct frag f = { .next_stage = 2, .reader = { .fd = -1 } };
	sigset_t waitmask;
	char err[256];

	switch (frag_parse_args(argc, argv, &f.opts, err, sizeof(err))) {
	case FRAG_ARGS_HELP:
		fputs(frag_usage, stdout);
		return 0;
	case FRAG_ARGS_USAGE:
		usage_error(err);
	case FRAG_ARGS_OK:
		break;
	}
	if (sysconf(_SC_PAGESIZE) != (long)FRAG_PAGE_SIZE)
		die("needs 4K pages, this system has %ld-byte pages",
		    sysconf(_SC_PAGESIZE));

	compute_size(&f);
	if (f.opts.pattern == PUNCH_PFN)
		open_pagemap(&f, "--pattern pfn");
	if (f.opts.dump_prefix)
		setup_dumps(&f);
	setup_signals(&waitmask);

	map_memory(&f);
	fill(&f);
	if (f.opts.dump_prefix)
		dump_stage(&f, 0, false);
	if (f.opts.wait_punch) {
		announce("frag: filled pid=%d filled_kib=%" PRIu64,
			 (int)getpid(), f.size >> 10);
		wait_for_usr1(&waitmask);
	}
	punch(&f);
	if (f.opts.unmovable_set)
		pin_unmovable(&f);
	if (f.opts.dump_prefix)
		dump_stage(&f, 1, false);

	/* What was punched, so that nobody parses frag's options again. */
	announce("frag: ready pid=%d filled_kib=%" PRIu64 " kept_kib=%" PRIu64
		 " chunks=%zu pattern=%s keep=%u seed=%" PRIu64 " pfn_offset=%u",
		 (int)getpid(), f.size >> 10, f.kept_pages * (FRAG_PAGE_SIZE >> 10),
		 f.chunks, punch_pattern_name(f.opts.pattern), f.opts.keep,
		 f.opts.seed, f.opts.pfn_offset);
	hold(&f, &waitmask);
}
