// SPDX-License-Identifier: GPL-2.0
#include "kselftest_harness.h"

#include "punch.h"

#include <string.h>

static unsigned int count_kept(enum punch_pattern p, unsigned int keep)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < PUNCH_CHUNK_PAGES; i++)
		n += punch_keeps(p, keep, i);
	return n;
}

/*
 * The runs must be sorted, separated by kept pages (so maximal) and cover
 * exactly the pages punch_keeps() does not keep.  Returns 0 or the first
 * page that breaks this, + 1.
 */
static unsigned int check_runs(enum punch_pattern p, unsigned int keep)
{
	struct punch_run runs[PUNCH_MAX_RUNS];
	bool freed[PUNCH_CHUNK_PAGES] = { false };
	size_t n = punch_runs(p, keep, runs);

	for (size_t r = 0; r < n; r++) {
		unsigned int end = runs[r].first + runs[r].count;

		if (!runs[r].count || end > PUNCH_CHUNK_PAGES)
			return runs[r].first + 1;
		/* Merged: a run ends at the chunk end or at a kept page. */
		if (end < PUNCH_CHUNK_PAGES && !punch_keeps(p, keep, end))
			return end + 1;
		if (r && runs[r].first <= runs[r - 1].first + runs[r - 1].count)
			return runs[r].first + 1;
		for (unsigned int i = runs[r].first; i < end; i++)
			freed[i] = true;
	}
	for (unsigned int i = 0; i < PUNCH_CHUNK_PAGES; i++)
		if (freed[i] == punch_keeps(p, keep, i))
			return i + 1;
	return 0;
}

TEST(pattern_names)
{
	enum punch_pattern p;

	ASSERT_EQ(0, punch_pattern_parse("stride", &p));
	EXPECT_EQ(PUNCH_STRIDE, p);
	ASSERT_EQ(0, punch_pattern_parse("head", &p));
	EXPECT_EQ(PUNCH_HEAD, p);
	EXPECT_EQ(-EINVAL, punch_pattern_parse("Head", &p));
	EXPECT_EQ(-EINVAL, punch_pattern_parse("", &p));
	EXPECT_EQ(-EINVAL, punch_pattern_parse("strid", &p));
	EXPECT_STREQ("stride", punch_pattern_name(PUNCH_STRIDE));
	EXPECT_STREQ("head", punch_pattern_name(PUNCH_HEAD));
	ASSERT_EQ(0, punch_pattern_parse("random", &p));
	EXPECT_EQ(PUNCH_RANDOM, p);
	EXPECT_STREQ("random", punch_pattern_name(PUNCH_RANDOM));
	ASSERT_EQ(0, punch_pattern_parse("pfn", &p));
	EXPECT_EQ(PUNCH_PFN, p);
	EXPECT_STREQ("pfn", punch_pattern_name(PUNCH_PFN));
}

TEST(pattern_list_names_every_pattern)
{
	char buf[64], small[8];

	punch_pattern_list(buf, sizeof(buf));
	EXPECT_STREQ("stride, head, random, pfn", buf);
	punch_pattern_list(small, sizeof(small));
	EXPECT_STREQ("stride,", small);
}

/* Kept by frame: the frames a multiple of 512 / keep, plus the offset. */
TEST(pfn_keeps_frames_by_their_number)
{
	uint64_t pfns[PUNCH_CHUNK_PAGES];
	bool kept[PUNCH_CHUNK_PAGES];
	unsigned int n, want;

	/* Frames in no order, as the buddy allocator hands them out. */
	for (unsigned int i = 0; i < PUNCH_CHUNK_PAGES; i++)
		pfns[i] = 0x40000 + (uint64_t)((i * 389u) % PUNCH_CHUNK_PAGES) * 7u;
	for (unsigned int keep = 1; keep <= PUNCH_CHUNK_PAGES; keep *= 2) {
		unsigned int step = PUNCH_CHUNK_PAGES / keep;

		for (unsigned int off = 0; off < step; off += step > 4 ? step / 4 : 1) {
			want = 0;
			n = punch_chunk_kept_by_pfn(keep, off, pfns, kept);
			for (unsigned int i = 0; i < PUNCH_CHUNK_PAGES; i++) {
				ASSERT_EQ(pfns[i] % step == off, kept[i])
					TH_LOG("keep %u offset %u page %u", keep, off, i);
				want += kept[i];
			}
			EXPECT_EQ(want, n);
		}
	}
	/* Contiguous frames from an aligned start: exactly keep, every step-th. */
	for (unsigned int i = 0; i < PUNCH_CHUNK_PAGES; i++)
		pfns[i] = 0x80000 + i;
	EXPECT_EQ(128u, punch_chunk_kept_by_pfn(128, 0, pfns, kept));
	EXPECT_TRUE(kept[0] && kept[4] && !kept[1] && !kept[3]);
	EXPECT_EQ(128u, punch_chunk_kept_by_pfn(128, 1, pfns, kept));
	EXPECT_TRUE(kept[1] && !kept[0]);
}

TEST(stride_128_keeps_every_fourth_page)
{
	struct punch_run runs[PUNCH_MAX_RUNS];
	size_t n;

	for (unsigned int i = 0; i < PUNCH_CHUNK_PAGES; i++) {
		EXPECT_EQ(i % 4 == 0, punch_keeps(PUNCH_STRIDE, 128, i))
			TH_LOG("page %u", i);
	}
	EXPECT_EQ(128, count_kept(PUNCH_STRIDE, 128));

	/* Freed: 1-3, 5-7, ..., 509-511. */
	n = punch_runs(PUNCH_STRIDE, 128, runs);
	ASSERT_EQ(128, n);
	for (size_t r = 0; r < n; r++) {
		EXPECT_EQ(4 * r + 1, runs[r].first);
		EXPECT_EQ(3, runs[r].count);
	}
}

TEST(head_keeps_the_first_pages)
{
	struct punch_run runs[PUNCH_MAX_RUNS];

	for (unsigned int i = 0; i < PUNCH_CHUNK_PAGES; i++) {
		EXPECT_EQ(i < 128, punch_keeps(PUNCH_HEAD, 128, i))
			TH_LOG("page %u", i);
	}
	ASSERT_EQ(1, punch_runs(PUNCH_HEAD, 128, runs));
	EXPECT_EQ(128, runs[0].first);
	EXPECT_EQ(384, runs[0].count);
}

TEST(keep_0_frees_everything)
{
	struct punch_run runs[PUNCH_MAX_RUNS];

	EXPECT_EQ(0, count_kept(PUNCH_STRIDE, 0));
	EXPECT_EQ(0, count_kept(PUNCH_HEAD, 0));
	ASSERT_EQ(1, punch_runs(PUNCH_STRIDE, 0, runs));
	EXPECT_EQ(0, runs[0].first);
	EXPECT_EQ(512, runs[0].count);
	ASSERT_EQ(1, punch_runs(PUNCH_HEAD, 0, runs));
	EXPECT_EQ(0, runs[0].first);
	EXPECT_EQ(512, runs[0].count);
}

TEST(keep_512_frees_nothing)
{
	struct punch_run runs[PUNCH_MAX_RUNS];

	EXPECT_EQ(512, count_kept(PUNCH_STRIDE, 512));
	EXPECT_EQ(512, count_kept(PUNCH_HEAD, 512));
	EXPECT_EQ(0, punch_runs(PUNCH_STRIDE, 512, runs));
	EXPECT_EQ(0, punch_runs(PUNCH_HEAD, 512, runs));
}

TEST(stride_256_alternates)
{
	struct punch_run runs[PUNCH_MAX_RUNS];

	/* The most runs there can be. */
	ASSERT_EQ(PUNCH_MAX_RUNS, punch_runs(PUNCH_STRIDE, 256, runs));
	EXPECT_EQ(1, runs[0].first);
	EXPECT_EQ(511, runs[PUNCH_MAX_RUNS - 1].first);
	EXPECT_EQ(1, runs[PUNCH_MAX_RUNS - 1].count);
}

TEST(stride_spreads_a_keep_not_dividing_512)
{
	unsigned int gap_min = PUNCH_CHUNK_PAGES, gap_max = 0, last = 0;

	/* keep = 100: kept pages 5.12 apart on average, so gaps of 5 or 6. */
	ASSERT_TRUE(punch_keeps(PUNCH_STRIDE, 100, 0));
	for (unsigned int i = 1; i < PUNCH_CHUNK_PAGES; i++) {
		if (!punch_keeps(PUNCH_STRIDE, 100, i))
			continue;
		gap_min = i - last < gap_min ? i - last : gap_min;
		gap_max = i - last > gap_max ? i - last : gap_max;
		last = i;
	}
	EXPECT_EQ(5, gap_min);
	EXPECT_EQ(6, gap_max);
}

TEST(every_keep_keeps_exactly_keep_pages)
{
	for (unsigned int keep = 0; keep <= PUNCH_CHUNK_PAGES; keep++) {
		EXPECT_EQ(keep, count_kept(PUNCH_STRIDE, keep))
			TH_LOG("stride keep=%u", keep);
		EXPECT_EQ(keep, count_kept(PUNCH_HEAD, keep))
			TH_LOG("head keep=%u", keep);
	}
	/* The ones the brief singles out, by name. */
	EXPECT_EQ(100, count_kept(PUNCH_STRIDE, 100));
	EXPECT_EQ(3, count_kept(PUNCH_STRIDE, 3));
	EXPECT_EQ(100, count_kept(PUNCH_HEAD, 100));
	EXPECT_EQ(3, count_kept(PUNCH_HEAD, 3));
}

TEST(stride_3_keeps_spread_pages)
{
	/* (i * 3) % 512 < 3 for i = 0, 171 (513 % 512 = 1), 342 (1026 -> 2). */
	for (unsigned int i = 0; i < PUNCH_CHUNK_PAGES; i++) {
		EXPECT_EQ(i == 0 || i == 171 || i == 342,
			  punch_keeps(PUNCH_STRIDE, 3, i))
			TH_LOG("page %u", i);
	}
}

TEST(runs_cover_the_complement_merged)
{
	for (unsigned int keep = 0; keep <= PUNCH_CHUNK_PAGES; keep++) {
		EXPECT_EQ(0, check_runs(PUNCH_STRIDE, keep))
			TH_LOG("stride keep=%u", keep);
		EXPECT_EQ(0, check_runs(PUNCH_HEAD, keep))
			TH_LOG("head keep=%u", keep);
	}
}

TEST(random_is_reproducible_per_chunk)
{
	bool a[PUNCH_CHUNK_PAGES], b[PUNCH_CHUNK_PAGES];
	unsigned int na, nb;

	na = punch_chunk_kept(PUNCH_RANDOM, 128, 42, 7, a);
	punch_chunk_kept(PUNCH_RANDOM, 128, 42, 8, b);	/* another chunk between */
	nb = punch_chunk_kept(PUNCH_RANDOM, 128, 42, 7, b);
	ASSERT_EQ(na, nb);
	ASSERT_EQ(0, memcmp(a, b, sizeof(a)));
	/* Another seed, or another chunk, gives another pattern. */
	punch_chunk_kept(PUNCH_RANDOM, 128, 43, 7, b);
	EXPECT_NE(0, memcmp(a, b, sizeof(a)));
	punch_chunk_kept(PUNCH_RANDOM, 128, 42, 9, b);
	EXPECT_NE(0, memcmp(a, b, sizeof(a)));
}

TEST(random_share_is_keep_on_average)
{
	bool kept[PUNCH_CHUNK_PAGES];
	unsigned int n, lo = PUNCH_CHUNK_PAGES, hi = 0, marked;
	uint64_t sum = 0;
	size_t c;

	for (c = 0; c < 4096; c++) {
		n = punch_chunk_kept(PUNCH_RANDOM, 128, 1, c, kept);
		marked = 0;
		for (unsigned int i = 0; i < PUNCH_CHUNK_PAGES; i++)
			marked += kept[i];
		ASSERT_EQ(n, marked);
		ASSERT_GE(256, n);
		lo = n < lo ? n : lo;
		hi = n > hi ? n : hi;
		sum += n;
	}
	/* Uniform on [0, 256]: mean 128, sd of the mean over 4096 ~ 1.2. */
	EXPECT_GE(sum, 4096 * 124);
	EXPECT_LE(sum, 4096 * 132);
	EXPECT_GE(8, lo);
	EXPECT_LE(248, hi);
	/* With keep above 256, counts are capped at the chunk. */
	for (c = 0; c < 256; c++) {
		ASSERT_GE(PUNCH_CHUNK_PAGES, punch_chunk_kept(PUNCH_RANDOM, 400, 3, c, kept));
	}
}

TEST(random_runs_cover_the_complement)
{
	bool kept[PUNCH_CHUNK_PAGES], freed[PUNCH_CHUNK_PAGES] = { 0 };
	struct punch_run runs[PUNCH_MAX_RUNS];
	size_t n, r;

	for (size_t c = 0; c < 64; c++) {
		punch_chunk_kept(PUNCH_RANDOM, 128, 5, c, kept);
		memset(freed, 0, sizeof(freed));
		n = punch_runs_of(kept, runs);
		ASSERT_GE(PUNCH_MAX_RUNS, n);
		for (r = 0; r < n; r++) {
			/* maximal: a run never touches the next one */
			if (r) {
				ASSERT_LT(runs[r - 1].first + runs[r - 1].count, runs[r].first);
			}
			for (unsigned int i = 0; i < runs[r].count; i++)
				freed[runs[r].first + i] = true;
		}
		for (unsigned int i = 0; i < PUNCH_CHUNK_PAGES; i++) {
			ASSERT_NE(kept[i], freed[i]) TH_LOG("chunk %zu page %u", c, i);
		}
	}
}

TEST(fixed_patterns_through_chunk_kept)
{
	bool kept[PUNCH_CHUNK_PAGES];

	/* stride and head ignore seed and chunk */
	ASSERT_EQ(128, punch_chunk_kept(PUNCH_STRIDE, 128, 99, 12345, kept));
	for (unsigned int i = 0; i < PUNCH_CHUNK_PAGES; i++) {
		ASSERT_EQ(i % 4 == 0, kept[i]);
	}
	ASSERT_EQ(100, punch_chunk_kept(PUNCH_HEAD, 100, 1, 0, kept));
	EXPECT_TRUE(kept[99]);
	EXPECT_FALSE(kept[100]);
}

TEST_HARNESS_MAIN
