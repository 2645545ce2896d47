// SPDX-License-Identifier: GPL-2.0
#include "kselftest_harness.h"

#include <sys/stat.h>

#include "pagemap.h"

#define PPR	512u	/* 4K pages per 2M region */

TEST(decode_present)
{
	struct pagemap_entry e = pagemap_decode(PAGEMAP_PRESENT | 0x12345);

	EXPECT_TRUE(e.present);
	EXPECT_FALSE(e.swapped);
	EXPECT_EQ(0x12345, e.pfn);
}

TEST(decode_ignores_flag_bits)
{
	/* Bit 55 soft-dirty, 56 exclusive, 61 file/shared: not PFN bits. */
	uint64_t raw = PAGEMAP_PRESENT | (1ull << 61) | (1ull << 56) |
		       (1ull << 55) | PAGEMAP_PFN_MASK;
	struct pagemap_entry e = pagemap_decode(raw);

	EXPECT_TRUE(e.present);
	EXPECT_EQ((1ull << 55) - 1, e.pfn);
}

TEST(decode_swapped_has_no_pfn)
{
	struct pagemap_entry e = pagemap_decode(PAGEMAP_SWAPPED | 0x4242);

	EXPECT_FALSE(e.present);
	EXPECT_TRUE(e.swapped);
	EXPECT_EQ(0, e.pfn);
}

TEST(decode_not_present)
{
	struct pagemap_entry e = pagemap_decode(0);

	EXPECT_FALSE(e.present);
	EXPECT_FALSE(e.swapped);
	EXPECT_EQ(0, e.pfn);
}

TEST(decode_hidden_pfn)
{
	/* What an unprivileged reader sees: present, PFN zeroed. */
	struct pagemap_entry e = pagemap_decode(PAGEMAP_PRESENT);

	EXPECT_TRUE(e.present);
	EXPECT_EQ(0, e.pfn);
}

struct collected {
	uint64_t region[16];
	uint64_t pages[16];
	size_t n;
};

static int collect(uint64_t region, uint64_t pages, void *arg)
{
	struct collected *c = arg;

	if (c->n == 16)
		return -ENOSPC;
	c->region[c->n] = region;
	c->pages[c->n] = pages;
	c->n++;
	return 0;
}

TEST(bin_unsorted_pfns)
{
	/* Regions 0 (pfns 0-511), 1, 3 and 1000, given out of order. */
	uint64_t pfns[] = {
		1000 * PPR + 7, 513, 3 * PPR + 511, 0, 511, 1000 * PPR,
		3 * PPR, 512, 1, 1023, 3 * PPR + 100,
	};
	struct collected c = { .n = 0 };

	ASSERT_EQ(0, pagemap_bin(pfns, sizeof(pfns) / sizeof(*pfns), PPR,
				 collect, &c));
	ASSERT_EQ(4, c.n);
	EXPECT_EQ(0, c.region[0]);
	EXPECT_EQ(3, c.pages[0]);
	EXPECT_EQ(1, c.region[1]);
	EXPECT_EQ(3, c.pages[1]);
	EXPECT_EQ(3, c.region[2]);
	EXPECT_EQ(3, c.pages[2]);
	EXPECT_EQ(1000, c.region[3]);
	EXPECT_EQ(2, c.pages[3]);
	/* Sorted in place. */
	for (size_t i = 1; i < sizeof(pfns) / sizeof(*pfns); i++) {
		EXPECT_LT(pfns[i - 1], pfns[i]);
	}
}

TEST(bin_full_region_and_empty_input)
{
	uint64_t pfns[PPR];
	struct collected c = { .n = 0 };

	for (unsigned int i = 0; i < PPR; i++)
		pfns[i] = 77 * PPR + (PPR - 1 - i);
	ASSERT_EQ(0, pagemap_bin(pfns, PPR, PPR, collect, &c));
	ASSERT_EQ(1, c.n);
	EXPECT_EQ(77, c.region[0]);
	EXPECT_EQ(PPR, c.pages[0]);

	c.n = 0;
	ASSERT_EQ(0, pagemap_bin(pfns, 0, PPR, collect, &c));
	EXPECT_EQ(0, c.n);
}

TEST(bin_other_region_size)
{
	/* 16K pages: 128 per 2M. */
	uint64_t pfns[] = { 127, 128, 0, 300 };
	struct collected c = { .n = 0 };

	ASSERT_EQ(0, pagemap_bin(pfns, 4, 128, collect, &c));
	ASSERT_EQ(3, c.n);
	EXPECT_EQ(0, c.region[0]);
	EXPECT_EQ(2, c.pages[0]);
	EXPECT_EQ(1, c.region[1]);
	EXPECT_EQ(1, c.pages[1]);
	EXPECT_EQ(2, c.region[2]);
	EXPECT_EQ(1, c.pages[2]);
}

static int stop_at_second(uint64_t region, uint64_t pages, void *arg)
{
	(void)pages;
	++*(int *)arg;
	return region == 1 ? -42 : 0;
}

TEST(bin_stops_on_callback_error)
{
	uint64_t pfns[] = { 0, 512, 1024 };
	int calls = 0;

	EXPECT_EQ(-42, pagemap_bin(pfns, 3, PPR, stop_at_second, &calls));
	EXPECT_EQ(2, calls);
}

static const char expected_dump[] =
	"# frag pagemap stage 3: 2M physical region (pfn >> 9), 4K pages of frag mapped in it\n"
	"2 2\n"
	"5 1\n"
	"8388608 1\n";

static uint64_t dump_pfns[] = { 5 * PPR + 3, 2 * PPR + 1, 8388608ull * PPR, 2 * PPR };

TEST(write_regions_format)
{
	uint64_t pfns[4];
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	memcpy(pfns, dump_pfns, sizeof(pfns));
	f = open_memstream(&text, &len);
	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, pagemap_write_regions(f, 3, pfns, 4, PPR));
	ASSERT_EQ(0, fclose(f));
	EXPECT_STREQ(expected_dump, text);
	free(text);
}

TEST(write_regions_empty)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, pagemap_write_regions(f, 0, NULL, 0, PPR));
	ASSERT_EQ(0, fclose(f));
	EXPECT_STREQ("# frag pagemap stage 0: 2M physical region (pfn >> 9), 4K pages of frag mapped in it\n",
		     text);
	free(text);
}

FIXTURE(dumpdir)
{
	char dir[64];
	char path[96];
	char tmp[100];
};

FIXTURE_SETUP(dumpdir)
{
	strcpy(self->dir, "/tmp/pagemap_test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/pm-3.txt", self->dir);
	snprintf(self->tmp, sizeof(self->tmp), "%s.tmp", self->path);
}

FIXTURE_TEARDOWN(dumpdir)
{
	unlink(self->path);
	unlink(self->tmp);
	rmdir(self->dir);
}

TEST_F(dumpdir, dump_file_renamed_into_place)
{
	uint64_t pfns[4];
	char text[sizeof(expected_dump) + 16] = "";
	struct stat st;
	size_t len;
	FILE *f;

	memcpy(pfns, dump_pfns, sizeof(pfns));
	ASSERT_EQ(0, pagemap_dump_file(self->path, 3, pfns, 4, PPR));
	EXPECT_EQ(-1, stat(self->tmp, &st));
	f = fopen(self->path, "r");
	ASSERT_NE(NULL, f);
	len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	EXPECT_EQ(strlen(expected_dump), len);
	EXPECT_STREQ(expected_dump, text);
}

TEST_F(dumpdir, dump_file_error_leaves_nothing)
{
	uint64_t pfn = 1;
	char bad[128];
	struct stat st;

	snprintf(bad, sizeof(bad), "%s/no/such/dir/pm-0.txt", self->dir);
	EXPECT_EQ(-ENOENT, pagemap_dump_file(bad, 0, &pfn, 1, PPR));
	EXPECT_EQ(-1, stat(self->path, &st));
}

/* The real thing, on a mapping of our own: needs CAP_SYS_ADMIN. */
TEST(collect_own_pages)
{
	const size_t pages = 64;
	struct pagemap_reader r;
	uint64_t pfns[64];
	size_t ps, n;
	char *p;
	int ret;

	ret = pagemap_check_pfns();
	if (ret == -EPERM)
		SKIP(return, "PFNs hidden: needs CAP_SYS_ADMIN");
	ASSERT_EQ(0, ret);

	ps = (size_t)sysconf(_SC_PAGESIZE);
	p = mmap(NULL, pages * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	/* Touch the even pages only: the odd ones must not show up. */
	for (size_t i = 0; i < pages; i += 2)
		p[i * ps] = 1;
	ASSERT_EQ(0, pagemap_reader_open(&r));
	/* A tiny batch so the pread loop goes round several times. */
	r.buf_entries = 5;
	ret = pagemap_collect(&r, p, pages * ps, pfns, &n);
	pagemap_reader_close(&r);
	munmap(p, pages * ps);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(pages / 2, n);
	for (size_t i = 0; i < n; i++) {
		EXPECT_NE(0, pfns[i]);
	}
}

TEST_HARNESS_MAIN
