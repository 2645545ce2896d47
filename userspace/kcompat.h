/* SPDX-License-Identifier: GPL-2.0 */
/* The few kernel types and helpers that kmod/ headers shared with userspace use. */
#ifndef KHUGEHOG_KCOMPAT_H
#define KHUGEHOG_KCOMPAT_H

#include <stdint.h>

typedef uint64_t u64;
typedef uint32_t u32;

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

#endif /* KHUGEHOG_KCOMPAT_H */
