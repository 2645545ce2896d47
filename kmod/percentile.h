/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Percentile of a sorted sample by linear interpolation between the two
 * closest ranks: numpy's default method, so the module's summary and
 * scripts/analyze.py report the same figures (the module's are truncated
 * to whole nanoseconds).  Also compiled by userspace/tests, so the unit
 * tests exercise the code the module runs.
 */
#ifndef KHUGEHOG_PERCENTILE_H
#define KHUGEHOG_PERCENTILE_H

#include <linux/math64.h>
#include <linux/types.h>

/*
 * @sorted: @n >= 1 values in non-decreasing order
 * @permille: the percentile times ten, 0..1000 (999 is p99.9)
 */
static inline u64 khugehog_percentile(const u64 *sorted, u32 n, u32 permille)
{
	u64 pos = (u64)permille * (n - 1);
	u32 frac;
	u64 lo = div_u64_rem(pos, 1000, &frac);

	if (!frac)
		return sorted[lo];
	return sorted[lo] + div_u64((sorted[lo + 1] - sorted[lo]) * frac, 1000);
}

#endif /* KHUGEHOG_PERCENTILE_H */
