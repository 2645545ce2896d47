// SPDX-License-Identifier: GPL-2.0
#include "punch.h"

#include <errno.h>
#include <string.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const pattern_names[] = {
	[PUNCH_STRIDE] = "stride",
	[PUNCH_HEAD] = "head",
};

int punch_pattern_parse(const char *name, enum punch_pattern *p)
{
	for (size_t i = 0; i < ARRAY_SIZE(pattern_names); i++) {
		if (!strcmp(name, pattern_names[i])) {
			*p = (enum punch_pattern)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *punch_pattern_name(enum punch_pattern p)
{
	return pattern_names[p];
}

bool punch_keeps(enum punch_pattern p, unsigned int keep, unsigned int idx)
{
	switch (p) {
	case PUNCH_HEAD:
		return idx < keep;
	case PUNCH_STRIDE:
	default:
		/*
		 * idx * keep hits each multiple of gcd(keep, 512) below 512
		 * gcd times, so exactly keep pages pass, evenly spread: for
		 * keep = 128, pages 0, 4, 8...
		 */
		return (idx * keep) % PUNCH_CHUNK_PAGES < keep;
	}
}

size_t punch_runs(enum punch_pattern p, unsigned int keep,
		  struct punch_run runs[PUNCH_MAX_RUNS])
{
	size_t n = 0;

	for (unsigned int i = 0; i < PUNCH_CHUNK_PAGES; i++) {
		if (punch_keeps(p, keep, i))
			continue;
		if (n && runs[n - 1].first + runs[n - 1].count == i) {
			runs[n - 1].count++;
		} else {
			runs[n].first = i;
			runs[n].count = 1;
			n++;
		}
	}
	return n;
}
