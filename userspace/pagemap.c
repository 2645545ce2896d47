// SPDX-License-Identifier: GPL-2.0
#include "pagemap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGEMAP_PATH		"/proc/self/pagemap"
/* Entries per pread(): 512 KiB, so a 20 GiB fill takes ~80 reads. */
#define PAGEMAP_BATCH		(64u << 10)

struct pagemap_entry pagemap_decode(uint64_t raw)
{
	struct pagemap_entry e = {
		.present = raw & PAGEMAP_PRESENT,
		.swapped = raw & PAGEMAP_SWAPPED,
	};

	/* Bits 0-54 of a swapped entry are swap type and offset, not a PFN. */
	if (e.present)
		e.pfn = raw & PAGEMAP_PFN_MASK;
	return e;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

int pagemap_bin(uint64_t *pfns, size_t n, unsigned int pages_per_region,
		pagemap_region_fn fn, void *arg)
{
	size_t i = 0;
	int ret;

	if (!n)
		return 0;	/* qsort() wants a non-NULL base even for 0 */
	qsort(pfns, n, sizeof(*pfns), cmp_u64);
	while (i < n) {
		uint64_t region = pfns[i] / pages_per_region;
		size_t start = i;

		while (i < n && pfns[i] / pages_per_region == region)
			i++;
		ret = fn(region, i - start, arg);
		if (ret)
			return ret;
	}
	return 0;
}

static int print_region(uint64_t region, uint64_t pages, void *arg)
{
	return fprintf(arg, "%" PRIu64 " %" PRIu64 "\n", region, pages) < 0 ?
	       -EIO : 0;
}

int pagemap_write_regions(FILE *f, unsigned int stage, uint64_t *pfns,
			  size_t n, unsigned int pages_per_region)
{
	if (fprintf(f, "# frag pagemap stage %u: 2M physical region (pfn >> 9), 4K pages of frag mapped in it\n",
		    stage) < 0)
		return -EIO;
	return pagemap_bin(pfns, n, pages_per_region, print_region, f);
}

int pagemap_dump_file(const char *path, unsigned int stage, uint64_t *pfns,
		      size_t n, unsigned int pages_per_region)
{
	size_t len = strlen(path) + sizeof(".tmp");
	char *tmp = malloc(len);
	FILE *f;
	int ret;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, len, "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f) {
		ret = -errno;
		goto out;
	}
	ret = pagemap_write_regions(f, stage, pfns, n, pages_per_region);
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
out:
	free(tmp);
	return ret;
}

/* pread() all of @len bytes: procfs may return less than asked. */
static int pread_full(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			return -EIO;
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

static off_t entry_offset(const void *addr, size_t page_size)
{
	return (off_t)((uintptr_t)addr / page_size * sizeof(uint64_t));
}

int pagemap_check_pfns(void)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	struct pagemap_entry e;
	uint64_t raw;
	char *page;
	int fd, ret;

	page = mmap(NULL, ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return -errno;
	*(volatile char *)page = 1;
	fd = open(PAGEMAP_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = pread_full(fd, &raw, sizeof(raw), entry_offset(page, ps));
	close(fd);
	if (ret)
		goto out;
	e = pagemap_decode(raw);
	if (!e.present)
		ret = -ENODATA;	/* just written: should not happen */
	else if (!e.pfn)
		ret = -EPERM;
out:
	munmap(page, ps);
	return ret;
}

int pagemap_reader_open(struct pagemap_reader *r)
{
	r->page_size = (size_t)sysconf(_SC_PAGESIZE);
	r->buf_entries = PAGEMAP_BATCH;
	r->buf = malloc(r->buf_entries * sizeof(*r->buf));
	if (!r->buf)
		return -ENOMEM;
	/* Fault the buffer in now, not in the middle of an experiment. */
	memset(r->buf, 0, r->buf_entries * sizeof(*r->buf));
	r->fd = open(PAGEMAP_PATH, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		int ret = -errno;

		free(r->buf);
		r->buf = NULL;
		return ret;
	}
	return 0;
}

void pagemap_reader_close(struct pagemap_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	r->fd = -1;
	r->buf = NULL;
}

int pagemap_collect(struct pagemap_reader *r, const void *addr, size_t len,
		    uint64_t *pfns, size_t *n)
{
	size_t pages = len / r->page_size;
	off_t off = entry_offset(addr, r->page_size);
	int ret;

	*n = 0;
	while (pages) {
		size_t batch = pages < r->buf_entries ? pages : r->buf_entries;

		ret = pread_full(r->fd, r->buf, batch * sizeof(*r->buf), off);
		if (ret)
			return ret;
		for (size_t i = 0; i < batch; i++) {
			struct pagemap_entry e = pagemap_decode(r->buf[i]);

			if (!e.present)
				continue;
			if (!e.pfn)
				return -EPERM;
			pfns[(*n)++] = e.pfn;
		}
		off += (off_t)(batch * sizeof(*r->buf));
		pages -= batch;
	}
	return 0;
}
