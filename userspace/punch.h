/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The punch pattern: which 4K pages of each 2M chunk frag keeps, and the
 * runs of pages it frees with one madvise(MADV_DONTNEED) each.
 */
#ifndef KHUGEHOG_PUNCH_H
#define KHUGEHOG_PUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 4K pages in a 2M chunk. */
#define PUNCH_CHUNK_PAGES	512u
/* Freed runs are separated by kept pages, so there are at most this many. */
#define PUNCH_MAX_RUNS		(PUNCH_CHUNK_PAGES / 2)

enum punch_pattern {
	PUNCH_STRIDE,	/* kept pages spread evenly over the chunk */
	PUNCH_HEAD,	/* the first pages of the chunk are kept */
	PUNCH_RANDOM,	/* a random number of pages, at random places, per chunk */
	PUNCH_PFN,	/* the pages at physical frames a multiple of 512 / keep */
};

/* A run of @count freed pages starting at page @first of a chunk. */
struct punch_run {
	unsigned int first;
	unsigned int count;
};

/* "stride", "head", "random" or "pfn".  Returns 0, or -EINVAL for an unknown name. */
int punch_pattern_parse(const char *name, enum punch_pattern *p);
const char *punch_pattern_name(enum punch_pattern p);
/* The pattern names, "stride, head, random, pfn", for messages. */
void punch_pattern_list(char *buf, size_t len);

/*
 * Whether page @idx (0..511) of a chunk is kept when @keep (0..512) pages
 * per chunk are, for the stride and head patterns: exactly @keep pages
 * of a chunk are kept.
 */
bool punch_keeps(enum punch_pattern p, unsigned int keep, unsigned int idx);

/*
 * Which pages of chunk @chunk are kept, in @kept; returns how many.
 * stride and head: punch_keeps().  random: the count is uniform in
 * [0, min(2 * @keep, 512)], so @keep on average, and the pages are a
 * uniform choice; both follow from @seed and @chunk alone, so a run is
 * reproducible and chunks do not depend on each other.  Not pfn: that
 * needs the frames, punch_chunk_kept_by_pfn().
 */
unsigned int punch_chunk_kept(enum punch_pattern p, unsigned int keep,
			      uint64_t seed, size_t chunk,
			      bool kept[PUNCH_CHUNK_PAGES]);

/*
 * The pfn pattern: which pages of a chunk are kept, by the physical frame
 * @pfns[i] each maps.  Page i is kept when @pfns[i] % (512 / @keep) is
 * @offset; @keep is a power of two from 1 to 512, @offset below 512 / @keep.
 * Returns how many are kept.  About @keep per chunk, as the frames of a
 * chunk's pages are not in order.
 */
unsigned int punch_chunk_kept_by_pfn(unsigned int keep, unsigned int offset,
				     const uint64_t pfns[PUNCH_CHUNK_PAGES],
				     bool kept[PUNCH_CHUNK_PAGES]);

/* The maximal runs of pages not in @kept, in page order; returns how many. */
size_t punch_runs_of(const bool kept[PUNCH_CHUNK_PAGES],
		     struct punch_run runs[PUNCH_MAX_RUNS]);

/*
 * Fill @runs with the maximal runs of pages freed in each chunk, in page
 * order, and return how many there are.  The pattern is the same for every
 * chunk, so this is computed once.
 */
size_t punch_runs(enum punch_pattern p, unsigned int keep,
		  struct punch_run runs[PUNCH_MAX_RUNS]);

#endif /* KHUGEHOG_PUNCH_H */
