// SPDX-License-Identifier: GPL-2.0
#include "kselftest_harness.h"

#include "frag_args.h"

#define KIB	(1ull << 10)
#define MIB	(1ull << 20)
#define GIB	(1ull << 30)
#define TIB	(1ull << 40)

/* frag_parse_args() on "frag" + the given arguments. */
#define PARSE(o, err, ...) ({						\
	char *argv[] = { "frag", __VA_ARGS__, NULL };			\
	frag_parse_args(sizeof(argv) / sizeof(*argv) - 1, argv, (o),	\
			(err), sizeof(err));				\
})

static uint64_t bytes_of(const char *s)
{
	struct frag_size sz;

	if (frag_size_parse(s, false, &sz))
		return UINT64_MAX;
	return sz.bytes;
}

TEST(size_suffixes)
{
	EXPECT_EQ(0, bytes_of("0"));
	EXPECT_EQ(4096, bytes_of("4096"));
	EXPECT_EQ(100, bytes_of("100B"));
	EXPECT_EQ(100, bytes_of("100b"));
	EXPECT_EQ(KIB, bytes_of("1K"));
	EXPECT_EQ(KIB, bytes_of("1k"));
	EXPECT_EQ(KIB, bytes_of("1KB"));
	EXPECT_EQ(KIB, bytes_of("1KiB"));
	EXPECT_EQ(KIB, bytes_of("1kib"));
	EXPECT_EQ(512 * MIB, bytes_of("512M"));
	EXPECT_EQ(512 * MIB, bytes_of("512MiB"));
	EXPECT_EQ(512 * MIB, bytes_of("512mb"));
	EXPECT_EQ(GIB, bytes_of("1G"));
	EXPECT_EQ(3 * GIB, bytes_of("3g"));
	EXPECT_EQ(3 * GIB, bytes_of("3GiB"));
	EXPECT_EQ(2 * TIB, bytes_of("2T"));
	EXPECT_EQ(2 * TIB, bytes_of("2TiB"));
	/* The largest that fits. */
	EXPECT_EQ(16777215ull * TIB, bytes_of("16777215T"));
	EXPECT_EQ(UINT64_MAX - 1, bytes_of("18446744073709551614"));
}

TEST(size_garbage_rejected)
{
	static const char *const bad[] = {
		"", "abc", "12X", "-1", "+1", " 1", "1 ", "1.5G", "1KK", "1iB",
		"1Ki", "1BB", "G", "0x10", "1e3", "%", "5.%", ".5%", "50%%",
		"1.1234567%", "1%B", "50 %",
	};
	struct frag_size sz;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		EXPECT_EQ(-EINVAL, frag_size_parse(bad[i], true, &sz))
			TH_LOG("'%s'", bad[i]);
	}
}

TEST(size_overflow_rejected)
{
	struct frag_size sz;
	uint64_t b;

	EXPECT_EQ(-ERANGE, frag_size_parse("99999999999T", true, &sz));
	EXPECT_EQ(-ERANGE, frag_size_parse("16777216T", true, &sz));
	EXPECT_EQ(-ERANGE, frag_size_parse("17179869184G", true, &sz));
	EXPECT_EQ(-ERANGE, frag_size_parse("18446744073709551616", true, &sz));
	EXPECT_EQ(-ERANGE, frag_size_parse("99999999999999999999999%", true, &sz));
	/* Fits in 64 bits, but not once rounded up to 2M. */
	EXPECT_EQ(-ERANGE, frag_parse_size("18446744073709551615", 0, &b));
}

TEST(percentages)
{
	struct frag_size sz;
	uint64_t b;

	ASSERT_EQ(0, frag_size_parse("50%", true, &sz));
	EXPECT_TRUE(sz.is_percent);
	EXPECT_EQ(50000000, sz.upercent);
	EXPECT_EQ(4 * GIB, frag_size_bytes(&sz, 8 * GIB));

	ASSERT_EQ(0, frag_parse_size("50%", 8 * GIB, &b));
	EXPECT_EQ(4 * GIB, b);
	ASSERT_EQ(0, frag_parse_size("90%", 10000 * MIB, &b));
	EXPECT_EQ(9000 * MIB, b);
	ASSERT_EQ(0, frag_parse_size("12.5%", 16 * GIB, &b));
	EXPECT_EQ(2 * GIB, b);
	ASSERT_EQ(0, frag_parse_size("100%", 8 * GIB, &b));
	EXPECT_EQ(8 * GIB, b);
	ASSERT_EQ(0, frag_parse_size("100.0%", 8 * GIB, &b));
	EXPECT_EQ(8 * GIB, b);
	/* 0.5% of 1000 MiB = 5 MiB, rounded up to 6. */
	ASSERT_EQ(0, frag_parse_size("0.5%", 1000 * MIB, &b));
	EXPECT_EQ(6 * MIB, b);
	/* A millionth of a percent is the finest step. */
	ASSERT_EQ(0, frag_size_parse("0.000001%", true, &sz));
	EXPECT_EQ(1, sz.upercent);
	EXPECT_EQ(1, frag_size_bytes(&sz, 100000000));
	/* No overflow with a huge MemAvailable. */
	ASSERT_EQ(0, frag_size_parse("99.999999%", true, &sz));
	EXPECT_EQ(UINT64_MAX / 100000000 * 99999999 +
		  UINT64_MAX % 100000000 * 99999999 / 100000000,
		  frag_size_bytes(&sz, UINT64_MAX));
	/* Of a tiny MemAvailable: rounds to 0, which is refused. */
	EXPECT_EQ(-EINVAL, frag_parse_size("1%", 0, &b));
}

TEST(percentage_range)
{
	struct frag_size sz;

	EXPECT_EQ(-EDOM, frag_size_parse("0%", true, &sz));
	EXPECT_EQ(-EDOM, frag_size_parse("0.0%", true, &sz));
	EXPECT_EQ(-EDOM, frag_size_parse("101%", true, &sz));
	EXPECT_EQ(-EDOM, frag_size_parse("100.000001%", true, &sz));
	EXPECT_EQ(-EDOM, frag_size_parse("1000%", true, &sz));
	/* Not for --headroom. */
	EXPECT_EQ(-EINVAL, frag_size_parse("10%", false, &sz));
}

TEST(rounding_to_2m)
{
	uint64_t b;

	ASSERT_EQ(0, frag_parse_size("1", 0, &b));
	EXPECT_EQ(2 * MIB, b);
	ASSERT_EQ(0, frag_parse_size("2M", 0, &b));
	EXPECT_EQ(2 * MIB, b);
	ASSERT_EQ(0, frag_parse_size("2097153", 0, &b));
	EXPECT_EQ(4 * MIB, b);
	ASSERT_EQ(0, frag_parse_size("3M", 0, &b));
	EXPECT_EQ(4 * MIB, b);
	ASSERT_EQ(0, frag_parse_size("1G", 0, &b));
	EXPECT_EQ(GIB, b);
	EXPECT_EQ(-EINVAL, frag_parse_size("0", 0, &b));
	EXPECT_EQ(-EINVAL, frag_parse_size("0K", 0, &b));
}

TEST(defaults)
{
	struct frag_opts o;
	char err[256];
	char *argv[] = { "frag", NULL };

	ASSERT_EQ(FRAG_ARGS_OK, frag_parse_args(1, argv, &o, err, sizeof(err)));
	EXPECT_FALSE(o.size_set);
	EXPECT_FALSE(o.headroom_set);
	EXPECT_FALSE(o.force);
	EXPECT_FALSE(o.quiet);
	EXPECT_EQ(128, o.keep);
	EXPECT_EQ(PUNCH_RANDOM, o.pattern);
	EXPECT_EQ(1, o.seed);
	EXPECT_EQ(NULL, o.dump_prefix);
}

TEST(all_options_short)
{
	struct frag_opts o;
	char err[256];

	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&o, err, "-s", "1G", "-H", "256M", "-f",
				      "-k", "64", "-p", "head", "-d", "/tmp/pm",
				      "-q"));
	EXPECT_TRUE(o.size_set);
	EXPECT_FALSE(o.size.is_percent);
	EXPECT_EQ(GIB, o.size.bytes);
	EXPECT_TRUE(o.headroom_set);
	EXPECT_EQ(256 * MIB, o.headroom);
	EXPECT_TRUE(o.force);
	EXPECT_EQ(64, o.keep);
	EXPECT_EQ(PUNCH_HEAD, o.pattern);
	EXPECT_STREQ("/tmp/pm", o.dump_prefix);
	EXPECT_TRUE(o.quiet);
}

TEST(all_options_long)
{
	struct frag_opts o;
	char err[256];

	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&o, err, "--size=90%", "--headroom", "0",
				      "--force", "--keep=0", "--pattern",
				      "stride", "--dump=pm", "--quiet"));
	EXPECT_TRUE(o.size.is_percent);
	EXPECT_EQ(90000000, o.size.upercent);
	EXPECT_TRUE(o.headroom_set);
	EXPECT_EQ(0, o.headroom);
	EXPECT_TRUE(o.force);
	EXPECT_EQ(0, o.keep);
	EXPECT_EQ(PUNCH_STRIDE, o.pattern);
	EXPECT_STREQ("pm", o.dump_prefix);
	EXPECT_TRUE(o.quiet);
}

TEST(help)
{
	struct frag_opts o;
	char err[256];

	EXPECT_EQ(FRAG_ARGS_HELP, PARSE(&o, err, "-h"));
	EXPECT_EQ(FRAG_ARGS_HELP, PARSE(&o, err, "-q", "--help"));
}

TEST(keep_range)
{
	struct frag_opts o;
	char err[256];

	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&o, err, "-k", "0"));
	EXPECT_EQ(0, o.keep);
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&o, err, "-k", "512"));
	EXPECT_EQ(512, o.keep);
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&o, err, "-k", "100"));
	EXPECT_EQ(100, o.keep);
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-k", "513"));
	EXPECT_NE(NULL, strstr(err, "--keep '513'")) TH_LOG("%s", err);
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-k", "-1"));
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-k", "x"));
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-k", ""));
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-k", "12a"));
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-k", "99999999999999999999"));
}

TEST(pattern_names)
{
	struct frag_opts o;
	char err[256];

	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&o, err, "-p", "head"));
	EXPECT_EQ(PUNCH_HEAD, o.pattern);
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&o, err, "--pattern=stride"));
	EXPECT_EQ(PUNCH_STRIDE, o.pattern);
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-p", "tail"));
	EXPECT_NE(NULL, strstr(err, "'tail'")) TH_LOG("%s", err);
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-p", "HEAD"));
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&o, err, "-p", "random"));
	EXPECT_EQ(PUNCH_RANDOM, o.pattern);
	/* The message lists what is accepted, from punch.c's table. */
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-p", "tail"));
	EXPECT_NE(NULL, strstr(err, "stride, head, random, pfn")) TH_LOG("%s", err);
}

TEST(pfn_pattern)
{
	struct frag_opts o;
	char err[256];

	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&o, err, "-p", "pfn"));
	EXPECT_EQ(PUNCH_PFN, o.pattern);
	EXPECT_EQ(0u, o.pfn_offset);
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&o, err, "-p", "pfn", "--pfn-offset", "3"));
	EXPECT_EQ(3u, o.pfn_offset);
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&o, err, "-p", "pfn", "-k", "1", "-P", "511"));
	EXPECT_EQ(511u, o.pfn_offset);
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&o, err, "-p", "pfn", "-k", "512"));
	/* 512 / keep must be whole, and the offset below it. */
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-p", "pfn", "-k", "100"));
	EXPECT_NE(NULL, strstr(err, "power of two")) TH_LOG("%s", err);
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-p", "pfn", "-k", "0"));
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-p", "pfn", "-P", "4"));
	EXPECT_NE(NULL, strstr(err, "below 4")) TH_LOG("%s", err);
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-p", "pfn", "-k", "512", "-P", "1"));
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-p", "pfn", "-P", "512"));
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-p", "pfn", "-P", "x"));
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-p", "pfn", "-P", "-1"));
	/* An offset means nothing to the other patterns. */
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-P", "1"));
	EXPECT_NE(NULL, strstr(err, "--pattern pfn")) TH_LOG("%s", err);
	/* keep may follow the pattern. */
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&o, err, "-P", "7", "-p", "pfn", "-k", "64"));
	EXPECT_EQ(7u, o.pfn_offset);
}

TEST(unmovable)
{
	struct frag_opts o;
	char err[256];

	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&o, err, "-q"));
	EXPECT_FALSE(o.unmovable_set);
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&o, err, "--unmovable", "25"));
	EXPECT_TRUE(o.unmovable_set);
	EXPECT_EQ(25, o.unmovable_pct);
	EXPECT_EQ(1, o.unmovable_seed);
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&o, err, "-u", "100:7"));
	EXPECT_EQ(100, o.unmovable_pct);
	EXPECT_EQ(7, o.unmovable_seed);
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&o, err, "--unmovable=0"));
	EXPECT_EQ(0, o.unmovable_pct);
	char *bad[] = { "101", "", "x", "-1", "25:", "25:x", ":3", "25:3:4", "25%" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "--unmovable", bad[i]))
			TH_LOG("'%s' accepted", bad[i]);
		EXPECT_NE(NULL, strstr(err, "--unmovable")) TH_LOG("%s", err);
	}
}

TEST(seed)
{
	struct frag_opts o;
	char err[256];

	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&o, err, "-p", "random"));
	EXPECT_EQ(1, o.seed);
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&o, err, "-S", "42"));
	EXPECT_EQ(42, o.seed);
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&o, err, "--seed=18446744073709551615"));
	EXPECT_EQ(UINT64_MAX, o.seed);
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "--seed", "x"));
	EXPECT_NE(NULL, strstr(err, "--seed")) TH_LOG("%s", err);
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "--seed", "-1"));
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "--seed", "18446744073709551616"));
}

TEST(usage_errors)
{
	struct frag_opts o;
	char err[256];

	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "extra"));
	EXPECT_NE(NULL, strstr(err, "'extra'")) TH_LOG("%s", err);
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-q", "1G"));
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-x"));
	EXPECT_NE(NULL, strstr(err, "-x")) TH_LOG("%s", err);
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "--bogus"));
	EXPECT_NE(NULL, strstr(err, "--bogus")) TH_LOG("%s", err);
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-s"));
	EXPECT_NE(NULL, strstr(err, "--size")) TH_LOG("%s", err);
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "--dump"));
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "--dump="));
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "--force=1"));
}

TEST(size_errors)
{
	static const char *const bad[] = {
		"garbage", "12X", "-1", "0", "0%", "101%", "99999999999T",
	};
	struct frag_opts o;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		err[0] = '\0';
		EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-s", (char *)bad[i]))
			TH_LOG("'%s'", bad[i]);
		EXPECT_NE(0, strlen(err));
		EXPECT_EQ(NULL, strchr(err, '\n'));
	}
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-H", "10%"));
	EXPECT_EQ(FRAG_ARGS_USAGE, PARSE(&o, err, "-H", "-5M"));
}

TEST(parses_again)
{
	struct frag_opts o;
	char err[256];

	/* getopt state is reset: a second parse starts from scratch. */
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&o, err, "-q", "-k", "3"));
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&o, err, "-k", "5"));
	EXPECT_EQ(5, o.keep);
	EXPECT_FALSE(o.quiet);
}

TEST(default_headroom)
{
	EXPECT_EQ(128 * MIB, frag_default_headroom(0));
	EXPECT_EQ(128 * MIB, frag_default_headroom(GIB));
	EXPECT_EQ(128 * MIB, frag_default_headroom(2 * GIB));
	EXPECT_EQ(256 * MIB, frag_default_headroom(4 * GIB));
	EXPECT_EQ(1536 * MIB, frag_default_headroom(24 * GIB));
}

FIXTURE(fill)
{
	struct frag_opts o;
	char err[256];
	uint64_t bytes;
};

FIXTURE_SETUP(fill)
{
	char *argv[] = { "frag", NULL };

	ASSERT_EQ(FRAG_ARGS_OK, frag_parse_args(1, argv, &self->o, self->err,
						sizeof(self->err)));
	self->bytes = 0;
}

FIXTURE_TEARDOWN(fill)
{
}

/* MemTotal 16 GiB: default headroom 1 GiB. */
TEST_F(fill, default_is_available_minus_headroom)
{
	ASSERT_EQ(0, frag_fill_size(&self->o, 16 * GIB, 10 * GIB, &self->bytes,
				    self->err, sizeof(self->err)));
	EXPECT_EQ(9 * GIB, self->bytes);
	/* Rounded down, to stay under the limit. */
	ASSERT_EQ(0, frag_fill_size(&self->o, 16 * GIB, 10 * GIB + 3 * MIB,
				    &self->bytes, self->err, sizeof(self->err)));
	EXPECT_EQ(9 * GIB + 2 * MIB, self->bytes);
	/* Small machine: 1 GiB, headroom 128 MiB. */
	ASSERT_EQ(0, frag_fill_size(&self->o, GIB, 900 * MIB, &self->bytes,
				    self->err, sizeof(self->err)));
	EXPECT_EQ(772 * MIB, self->bytes);
}

TEST_F(fill, default_with_nothing_left)
{
	EXPECT_EQ(-EINVAL, frag_fill_size(&self->o, 16 * GIB, GIB, &self->bytes,
					  self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "MemAvailable 1024 MiB"))
		TH_LOG("%s", self->err);
	EXPECT_EQ(-EINVAL, frag_fill_size(&self->o, 16 * GIB, GIB + MIB,
					  &self->bytes, self->err,
					  sizeof(self->err)));
}

TEST_F(fill, explicit_headroom)
{
	self->o.headroom_set = true;
	self->o.headroom = 0;
	ASSERT_EQ(0, frag_fill_size(&self->o, 16 * GIB, 10 * GIB, &self->bytes,
				    self->err, sizeof(self->err)));
	EXPECT_EQ(10 * GIB, self->bytes);
	self->o.headroom = 3 * GIB;
	ASSERT_EQ(0, frag_fill_size(&self->o, 16 * GIB, 10 * GIB, &self->bytes,
				    self->err, sizeof(self->err)));
	EXPECT_EQ(7 * GIB, self->bytes);
}

TEST_F(fill, size_within_limit)
{
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&self->o, self->err, "-s", "3M"));
	ASSERT_EQ(0, frag_fill_size(&self->o, 16 * GIB, 10 * GIB, &self->bytes,
				    self->err, sizeof(self->err)));
	EXPECT_EQ(4 * MIB, self->bytes);
	/* Exactly MemAvailable - headroom is fine. */
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&self->o, self->err, "-s", "9G"));
	ASSERT_EQ(0, frag_fill_size(&self->o, 16 * GIB, 10 * GIB, &self->bytes,
				    self->err, sizeof(self->err)));
	EXPECT_EQ(9 * GIB, self->bytes);
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&self->o, self->err, "-s", "50%"));
	ASSERT_EQ(0, frag_fill_size(&self->o, 16 * GIB, 10 * GIB, &self->bytes,
				    self->err, sizeof(self->err)));
	EXPECT_EQ(5 * GIB, self->bytes);
}

TEST_F(fill, above_limit_needs_force)
{
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&self->o, self->err, "-s", "9218M"));
	EXPECT_EQ(-EINVAL, frag_fill_size(&self->o, 16 * GIB, 10 * GIB,
					  &self->bytes, self->err,
					  sizeof(self->err)));
	EXPECT_STREQ("size 9218 MiB exceeds MemAvailable 10240 MiB - headroom 1024 MiB = 9216 MiB; use --force to fill up to MemTotal (16384 MiB)",
		     self->err);

	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&self->o, self->err, "-s", "9218M",
				      "--force"));
	ASSERT_EQ(0, frag_fill_size(&self->o, 16 * GIB, 10 * GIB, &self->bytes,
				    self->err, sizeof(self->err)));
	EXPECT_EQ(9218 * MIB, self->bytes);

	/* 100% of MemAvailable is above the limit too. */
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&self->o, self->err, "-s", "100%"));
	EXPECT_EQ(-EINVAL, frag_fill_size(&self->o, 16 * GIB, 10 * GIB,
					  &self->bytes, self->err,
					  sizeof(self->err)));
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&self->o, self->err, "-fs", "100%"));
	ASSERT_EQ(0, frag_fill_size(&self->o, 16 * GIB, 10 * GIB, &self->bytes,
				    self->err, sizeof(self->err)));
	EXPECT_EQ(10 * GIB, self->bytes);
}

TEST_F(fill, force_stops_at_memtotal)
{
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&self->o, self->err, "-f", "-s", "16G"));
	ASSERT_EQ(0, frag_fill_size(&self->o, 16 * GIB, 10 * GIB, &self->bytes,
				    self->err, sizeof(self->err)));
	EXPECT_EQ(16 * GIB, self->bytes);
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&self->o, self->err, "-f", "-s",
				      "16385M"));
	EXPECT_EQ(-EINVAL, frag_fill_size(&self->o, 16 * GIB, 10 * GIB,
					  &self->bytes, self->err,
					  sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "exceeds MemTotal 16384 MiB"))
		TH_LOG("%s", self->err);
	/* Too large even to round. */
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&self->o, self->err, "-f", "-s",
				      "18446744073709551615"));
	EXPECT_EQ(-EINVAL, frag_fill_size(&self->o, 16 * GIB, 10 * GIB,
					  &self->bytes, self->err,
					  sizeof(self->err)));
}

TEST_F(fill, percentage_rounding_to_zero)
{
	ASSERT_EQ(FRAG_ARGS_OK, PARSE(&self->o, self->err, "-s", "1%"));
	EXPECT_EQ(-EINVAL, frag_fill_size(&self->o, 16 * GIB, 0, &self->bytes,
					  self->err, sizeof(self->err)));
}

TEST_HARNESS_MAIN
