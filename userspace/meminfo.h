/* SPDX-License-Identifier: GPL-2.0 */
/* The /proc/meminfo fields frag sizes its fill from. */
#ifndef KHUGEHOG_MEMINFO_H
#define KHUGEHOG_MEMINFO_H

#include <stdint.h>

struct meminfo {
	uint64_t total_kib;	/* MemTotal */
	uint64_t free_kib;	/* MemFree */
	uint64_t available_kib;	/* MemAvailable */
};

/*
 * Parse the text of /proc/meminfo.  Returns 0, or -EINVAL if one of the
 * three fields is missing or malformed.
 */
int meminfo_parse(const char *text, struct meminfo *m);

/* Read and parse /proc/meminfo.  Returns 0 or a negative errno. */
int meminfo_read(struct meminfo *m);

#endif /* KHUGEHOG_MEMINFO_H */
