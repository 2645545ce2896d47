// SPDX-License-Identifier: GPL-2.0
/*
 * kmod/percentile.h against tests/percentile-vectors.txt, the file a Python
 * test checks against numpy: both sides agree on the same figures.
 */
#include "kselftest_harness.h"

#include <libgen.h>
#include <limits.h>

#include "percentile.h"

#define VECTORS_NAME	"percentile-vectors.txt"
#define MAX_VALUES	64

/* Beside the binary, or where the Makefile says the source tree has it. */
static FILE *open_vectors(char *path, size_t len)
{
	char exe[PATH_MAX];
	const char *env = getenv("PERCENTILE_VECTORS");
	ssize_t n;
	FILE *f;

	if (env) {
		snprintf(path, len, "%s", env);
		return fopen(path, "r");
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		snprintf(path, len, "%s/%s", dirname(exe), VECTORS_NAME);
		f = fopen(path, "r");
		if (f)
			return f;
	}
#ifdef PERCENTILE_VECTORS
	snprintf(path, len, "%s", PERCENTILE_VECTORS);
	return fopen(path, "r");
#else
	return NULL;
#endif
}

struct vector {
	u32 permille;
	u64 expected;
	u64 v[MAX_VALUES];
	u32 n;
};

/* 1 for a vector, 0 for a blank or comment line, -1 for garbage. */
static int parse_vector(char *line, struct vector *vec)
{
	unsigned long long x;
	char *p = line, *end;
	u64 fields[MAX_VALUES + 2];
	u32 nf = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '#' || *p == '\n' || !*p)
		return 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\n' || !*p)
			break;
		if (*p < '0' || *p > '9' || nf == MAX_VALUES + 2)
			return -1;
		errno = 0;
		x = strtoull(p, &end, 10);
		if (errno || (*end && *end != ' ' && *end != '\t' && *end != '\n'))
			return -1;
		fields[nf++] = x;
		p = end;
	}
	if (nf < 3 || fields[0] > 1000)
		return -1;
	vec->permille = (u32)fields[0];
	vec->expected = fields[1];
	vec->n = nf - 2;
	memcpy(vec->v, fields + 2, vec->n * sizeof(u64));
	return 1;
}

TEST(vectors_file)
{
	char path[PATH_MAX + 32], line[4096];
	unsigned int lineno = 0, vectors = 0;
	struct vector vec;
	FILE *f;

	f = open_vectors(path, sizeof(path));
	ASSERT_NE(NULL, f) TH_LOG("cannot open %s", VECTORS_NAME);
	TH_LOG("vectors from %s", path);
	while (fgets(line, sizeof(line), f)) {
		int ret = parse_vector(line, &vec);

		lineno++;
		ASSERT_NE(-1, ret) TH_LOG("%s:%u: bad line", path, lineno);
		if (!ret)
			continue;
		vectors++;
		for (u32 i = 1; i < vec.n; i++) {
			ASSERT_LE(vec.v[i - 1], vec.v[i])
				TH_LOG("%s:%u: values not sorted", path, lineno);
		}
		EXPECT_EQ(vec.expected,
			  khugehog_percentile(vec.v, vec.n, vec.permille))
			TH_LOG("%s:%u: p%u.%u of %u values", path, lineno,
			       vec.permille / 10, vec.permille % 10, vec.n);
	}
	fclose(f);
	/* Guards against a truncated or emptied file passing vacuously. */
	EXPECT_GE(vectors, 12);
}

/* A few by hand, so a broken vectors file cannot hide a broken function. */
TEST(known_values)
{
	const u64 one[] = { 42 };
	const u64 two[] = { 10, 20 };
	const u64 ten[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	const u64 ns[] = { 1000000000, 3000000001 };

	EXPECT_EQ(42, khugehog_percentile(one, 1, 0));
	EXPECT_EQ(42, khugehog_percentile(one, 1, 999));
	EXPECT_EQ(15, khugehog_percentile(two, 2, 500));
	EXPECT_EQ(10, khugehog_percentile(two, 2, 0));
	EXPECT_EQ(20, khugehog_percentile(two, 2, 1000));
	/* pos = 9 * 0.5 = 4.5: 5 + 0.5 */
	EXPECT_EQ(5, khugehog_percentile(ten, 10, 500));
	/* pos = 9 * 0.999 = 8.991: 9 + 0.991 */
	EXPECT_EQ(9, khugehog_percentile(ten, 10, 999));
	EXPECT_EQ(10, khugehog_percentile(ten, 10, 1000));
	/* 1e9 + 2000000001 * 0.999 = 2998000000.999 */
	EXPECT_EQ(2998000000ull, khugehog_percentile(ns, 2, 999));
}

TEST_HARNESS_MAIN
