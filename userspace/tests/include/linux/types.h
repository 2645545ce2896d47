/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's types, for the kmod/ headers that the unit tests compile
 * as they are (as tools/include/linux/ does for the kernel's own tools).
 */
#ifndef KHUGEHOG_TESTS_LINUX_TYPES_H
#define KHUGEHOG_TESTS_LINUX_TYPES_H

#include <stdint.h>

typedef uint64_t u64;
typedef uint32_t u32;

#endif /* KHUGEHOG_TESTS_LINUX_TYPES_H */
