/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where frag's pages are physically: /proc/self/pagemap entries, binned
 * into 2M physical regions and written as a dump file.
 */
#ifndef KHUGEHOG_PAGEMAP_H
#define KHUGEHOG_PAGEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PAGEMAP_PRESENT		(UINT64_C(1) << 63)
#define PAGEMAP_SWAPPED		(UINT64_C(1) << 62)
#define PAGEMAP_PFN_MASK	((UINT64_C(1) << 55) - 1)

struct pagemap_entry {
	bool present;
	bool swapped;
	uint64_t pfn;	/* 0 unless present; also 0 without CAP_SYS_ADMIN */
};

struct pagemap_entry pagemap_decode(uint64_t raw);

/* Called for each region holding pages, in increasing region order. */
typedef int (*pagemap_region_fn)(uint64_t region, uint64_t pages, void *arg);

/*
 * Sort @pfns in place and call @fn once per region of @pages_per_region
 * pages (region = pfn / pages_per_region) with the number of @pfns in it.
 * Stops at, and returns, the first non-zero @fn return; else returns 0.
 */
int pagemap_bin(uint64_t *pfns, size_t n, unsigned int pages_per_region,
		pagemap_region_fn fn, void *arg);

/*
 * Write a dump: a header naming @stage, then "<region> <pages>" lines as
 * pagemap_bin() gives them.  Sorts @pfns.  Returns 0 or -EIO.
 */
int pagemap_write_regions(FILE *f, unsigned int stage, uint64_t *pfns,
			  size_t n, unsigned int pages_per_region);

/*
 * Whether this process sees PFNs in /proc/self/pagemap (they read as 0
 * without CAP_SYS_ADMIN).  Touches a page of its own and reads its entry.
 * Returns 0 if visible, -EPERM if not, another negative errno on failure.
 */
int pagemap_check_pfns(void);

/* Reads one mapping's pagemap with large preads into a reusable buffer. */
struct pagemap_reader {
	int fd;
	size_t page_size;
	uint64_t *buf;
	size_t buf_entries;
};

int pagemap_reader_open(struct pagemap_reader *r);
void pagemap_reader_close(struct pagemap_reader *r);

/*
 * Store the PFNs of the present pages of [@addr, @addr + @len) into @pfns
 * (room for @len / page size entries) and their count into *@n.  Returns 0,
 * -EPERM if a present page shows PFN 0, or another negative errno.
 */
int pagemap_collect(struct pagemap_reader *r, const void *addr, size_t len,
		    uint64_t *pfns, size_t *n);

/*
 * pagemap_write_regions() to @path + ".tmp", then rename() it to @path so
 * readers never see a partial file.  Returns 0 or a negative errno.
 */
int pagemap_dump_file(const char *path, unsigned int stage, uint64_t *pfns,
		      size_t n, unsigned int pages_per_region);

#endif /* KHUGEHOG_PAGEMAP_H */
