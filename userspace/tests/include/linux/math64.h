/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's 64-bit divisions, for the kmod/ headers that the unit tests
 * compile as they are.  Plain C division gives the same results: the
 * kernel's versions exist for 32-bit machines.
 */
#ifndef KHUGEHOG_TESTS_LINUX_MATH64_H
#define KHUGEHOG_TESTS_LINUX_MATH64_H

#include <linux/types.h>

static inline u64 div_u64_rem(u64 dividend, u32 divisor, u32 *remainder)
{
	*remainder = (u32)(dividend % divisor);
	return dividend / divisor;
}

static inline u64 div_u64(u64 dividend, u32 divisor)
{
	return dividend / divisor;
}

static inline u64 div64_u64(u64 dividend, u64 divisor)
{
	return dividend / divisor;
}

#endif /* KHUGEHOG_TESTS_LINUX_MATH64_H */
