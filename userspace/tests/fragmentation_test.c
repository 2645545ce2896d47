// SPDX-License-Identifier: GPL-2.0
/*
 * kmod/fragmentation.h against tests/fragmentation-vectors.txt: zones'
 * free block counts with the kernel's own extfrag_index and unusable_index
 * lines for them.  Formatted as the kernel formats them, field by field.
 */
#include "kselftest_harness.h"

#include <stdio.h>
#include <string.h>

#include "fragmentation.h"

#define NR_ORDERS	11
#define FIELD		16

struct vector {
	char name[64];
	u64 nr_free[NR_ORDERS];
	char extfrag[NR_ORDERS][FIELD];
	char unusable[NR_ORDERS][FIELD];
};

/* "name | n0 .. n10 | e0 .. e10 | u0 .. u10"; 1 on a vector, 0 on a comment */
static int parse_vector(char *line, struct vector *v)
{
	char *part[4], *save = NULL, *tok;
	int i, n;

	if (line[0] == '#' || line[0] == '\n')
		return 0;
	for (i = 0; i < 4; i++) {
		part[i] = strtok_r(i ? NULL : line, "|", &save);
		if (!part[i])
			return -1;
	}
	snprintf(v->name, sizeof(v->name), "%s", part[0]);
	for (n = 0, tok = strtok_r(part[1], " \n", &save); tok && n < NR_ORDERS;
	     tok = strtok_r(NULL, " \n", &save))
		v->nr_free[n++] = strtoull(tok, NULL, 10);
	if (n != NR_ORDERS)
		return -1;
	for (i = 0; i < 2; i++) {
		char (*dst)[FIELD] = i ? v->unusable : v->extfrag;

		for (n = 0, tok = strtok_r(part[2 + i], " \n", &save);
		     tok && n < NR_ORDERS; tok = strtok_r(NULL, " \n", &save))
			snprintf(dst[n++], FIELD, "%s", tok);
		if (n != NR_ORDERS)
			return -1;
	}
	return 1;
}

TEST(kernel_vectors)
{
	FILE *f = fopen(FRAGMENTATION_VECTORS, "r");
	struct khh_contig_info info;
	char line[1024], got[FIELD];
	struct vector v;
	int rows = 0, r, idx;
	unsigned int o;

	ASSERT_NE(NULL, f) TH_LOG("cannot open %s", FRAGMENTATION_VECTORS);
	while (fgets(line, sizeof(line), f)) {
		r = parse_vector(line, &v);
		ASSERT_LE(0, r) TH_LOG("bad vector line: %s", line);
		if (!r)
			continue;
		rows++;
		for (o = 0; o < NR_ORDERS; o++) {
			khh_contig_info(v.nr_free, NR_ORDERS, o, &info);
			/* The kernel's formats; the leading space of %2d is lost to the tokenizer. */
			idx = khh_fragmentation_index(o, &info);
			snprintf(got, sizeof(got), "%d.%03d", idx / 1000, idx % 1000);
			ASSERT_STREQ(v.extfrag[o], got)
				TH_LOG("%s extfrag_index order %u", v.name, o);
			idx = khh_unusable_index(o, &info);
			snprintf(got, sizeof(got), "%d.%03d", idx / 1000, idx % 1000);
			ASSERT_STREQ(v.unusable[o], got)
				TH_LOG("%s unusable_index order %u", v.name, o);
			/*
			 * kcompactd's score is the unusable index in percent,
			 * but 0, not 100, when nothing is free.
			 */
			ASSERT_EQ(info.free_pages ?
				  (unsigned int)khh_unusable_index(o, &info) / 10 : 0,
				  khh_extfrag_for_order(o, &info));
		}
	}
	fclose(f);
	ASSERT_LE(10, rows);
}

TEST(contig_info_counts)
{
	const u64 nr_free[NR_ORDERS] = { 3, 0, 1, 0, 0, 0, 0, 0, 0, 2, 1 };
	struct khh_contig_info info;

	khh_contig_info(nr_free, NR_ORDERS, 9, &info);
	ASSERT_EQ(7, info.free_blocks_total);
	ASSERT_EQ(3 + 4 + 2 * 512 + 1024, info.free_pages);
	ASSERT_EQ(2 + 2, info.free_blocks_suitable);	/* one order-10 is two order-9 */
}

TEST(node_score_weighting)
{
	/* A node of a 4095-page DMA zone at 100 and a DMA32 zone at 90. */
	EXPECT_EQ(0, khh_score_weighted(4095, 100, 4095 + 520000));
	EXPECT_EQ(89, khh_score_weighted(520000, 90, 4095 + 520000));
	EXPECT_EQ(0, khh_score_weighted(0, 100, 0));
}

TEST_HARNESS_MAIN
