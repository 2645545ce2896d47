// SPDX-License-Identifier: GPL-2.0
#include "kselftest_harness.h"

#include "meminfo.h"

/* The head of a real /proc/meminfo (6.1, 24 GiB). */
static const char real_meminfo[] =
	"MemTotal:       24732412 kB\n"
	"MemFree:        21364644 kB\n"
	"MemAvailable:   23847676 kB\n"
	"Buffers:           89060 kB\n"
	"Cached:          2591676 kB\n"
	"SwapCached:            0 kB\n"
	"Active:           715080 kB\n"
	"Inactive:        2173592 kB\n"
	"AnonHugePages:     10240 kB\n"
	"HugePages_Total:       0\n"
	"HugePages_Free:        0\n"
	"Hugepagesize:       2048 kB\n"
	"DirectMap4k:      188276 kB\n"
	"DirectMap2M:    10297344 kB\n";

TEST(parses_real_text)
{
	struct meminfo m;

	ASSERT_EQ(0, meminfo_parse(real_meminfo, &m));
	EXPECT_EQ(24732412, m.total_kib);
	EXPECT_EQ(21364644, m.free_kib);
	EXPECT_EQ(23847676, m.available_kib);
}

TEST(field_order_and_no_final_newline)
{
	struct meminfo m;

	ASSERT_EQ(0, meminfo_parse("MemAvailable: 3 kB\nMemFree: 2 kB\n"
				   "MemTotal: 1 kB", &m));
	EXPECT_EQ(1, m.total_kib);
	EXPECT_EQ(2, m.free_kib);
	EXPECT_EQ(3, m.available_kib);
}

TEST(missing_fields)
{
	struct meminfo m;

	EXPECT_EQ(-EINVAL, meminfo_parse("", &m));
	EXPECT_EQ(-EINVAL, meminfo_parse("MemTotal: 1 kB\nMemFree: 2 kB\n", &m));
	EXPECT_EQ(-EINVAL, meminfo_parse("MemTotal: 1 kB\nMemAvailable: 3 kB\n", &m));
	EXPECT_EQ(-EINVAL, meminfo_parse("MemFree: 2 kB\nMemAvailable: 3 kB\n", &m));
}

TEST(malformed_fields)
{
	struct meminfo m;

	/* No value, no unit, a lookalike name, a field not at line start. */
	EXPECT_EQ(-EINVAL, meminfo_parse("MemTotal: kB\nMemFree: 2 kB\n"
					 "MemAvailable: 3 kB\n", &m));
	EXPECT_EQ(-EINVAL, meminfo_parse("MemTotal: 1\nMemFree: 2 kB\n"
					 "MemAvailable: 3 kB\n", &m));
	EXPECT_EQ(-EINVAL, meminfo_parse("MemTotalX: 1 kB\nMemFree: 2 kB\n"
					 "MemAvailable: 3 kB\n", &m));
	EXPECT_EQ(-EINVAL, meminfo_parse("Foo MemTotal: 1 kB\nMemFree: 2 kB\n"
					 "MemAvailable: 3 kB\n", &m));
	EXPECT_EQ(-EINVAL, meminfo_parse("MemTotal: 99999999999999999999 kB\n"
					 "MemFree: 2 kB\nMemAvailable: 3 kB\n",
					 &m));
}

TEST(reads_this_system)
{
	struct meminfo m;

	ASSERT_EQ(0, meminfo_read(&m));
	EXPECT_GT(m.total_kib, 0);
	EXPECT_GE(m.total_kib, m.available_kib);
	EXPECT_GE(m.total_kib, m.free_kib);
}

TEST_HARNESS_MAIN
