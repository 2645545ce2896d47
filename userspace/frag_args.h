/* SPDX-License-Identifier: GPL-2.0 */
/*
 * frag's command line and the sizes it derives from it and /proc/meminfo.
 * Pure functions: no I/O, no exit, so the unit tests can drive them.
 */
#ifndef KHUGEHOG_FRAG_ARGS_H
#define KHUGEHOG_FRAG_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "punch.h"

#define FRAG_CHUNK_SIZE		(UINT64_C(2) << 20)
#define FRAG_MIB		(UINT64_C(1) << 20)
#define FRAG_DEFAULT_KEEP	128u
#define FRAG_MIN_HEADROOM	(UINT64_C(128) << 20)

/* A size as given: bytes, or a share of MemAvailable. */
struct frag_size {
	bool is_percent;
	uint64_t bytes;
	/* Millionths of a percent, 1..100000000, when is_percent. */
	uint64_t upercent;
};

struct frag_opts {
	bool size_set;
	struct frag_size size;
	bool headroom_set;
	uint64_t headroom;
	bool force;
	unsigned int keep;
	enum punch_pattern pattern;
	uint64_t seed;			/* --pattern random */
	bool pfn_offset_set;
	unsigned int pfn_offset;	/* --pattern pfn */
	const char *dump_prefix;	/* NULL: no dumps */
	bool quiet;
	bool wait_punch;		/* pause between filling and punching */
	/* --unmovable: khugehog.ko pins a page in this % of pageblocks */
	bool unmovable_set;
	unsigned int unmovable_pct;
	uint64_t unmovable_seed;
};

enum frag_args_result {
	FRAG_ARGS_OK,
	FRAG_ARGS_HELP,		/* -h: print the usage and exit 0 */
	FRAG_ARGS_USAGE,	/* bad arguments: reason in err */
};

extern const char frag_usage[];

/*
 * Parse "1G", "512MiB", "4096" and, if @allow_percent, "90%" or "12.5%".
 * Returns 0, or -EINVAL (garbage, 0, percentage out of (0, 100]) or
 * -ERANGE (does not fit in 64 bits).
 */
int frag_size_parse(const char *s, bool allow_percent, struct frag_size *sz);

/* Bytes meant by @sz; a percentage is taken of @mem_available bytes. */
uint64_t frag_size_bytes(const struct frag_size *sz, uint64_t mem_available);

/*
 * frag_size_parse() and frag_size_bytes() in one, rounded up to whole 2M
 * chunks.  Returns 0, -EINVAL or -ERANGE.
 */
int frag_parse_size(const char *s, uint64_t mem_available, uint64_t *bytes);

/* max(128 MiB, MemTotal / 16) */
uint64_t frag_default_headroom(uint64_t mem_total);

/*
 * Parse argv into @o (defaults first).  Never prints or exits: on
 * FRAG_ARGS_USAGE the reason is in @err.  Uses getopt_long(), so it resets
 * optind and permutes argv.
 */
enum frag_args_result frag_parse_args(int argc, char **argv,
				      struct frag_opts *o,
				      char *err, size_t errlen);

/*
 * The number of bytes to fill, a whole number of 2M chunks: the requested
 * size rounded up, or MemAvailable - headroom rounded down.  Above
 * MemAvailable - headroom it needs o->force, and it never exceeds MemTotal.
 * Returns 0, or -EINVAL with the reason (sizes in MiB) in @err.
 */
int frag_fill_size(const struct frag_opts *o, uint64_t mem_total,
		   uint64_t mem_available, uint64_t *bytes,
		   char *err, size_t errlen);

#endif /* KHUGEHOG_FRAG_ARGS_H */
