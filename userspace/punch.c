// SPDX-License-Identifier: GPL-2.0
#include "punch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const pattern_names[] = {
	[PUNCH_STRIDE] = "stride",
	[PUNCH_HEAD] = "head",
	[PUNCH_RANDOM] = "random",
	[PUNCH_PFN] = "pfn",
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

void punch_pattern_list(char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(pattern_names) && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 i ? ", " : "", pattern_names[i]);
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

/* splitmix64: small, fast, and good enough to place pages. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0, without modulo bias. */
static unsigned int uniform_below(uint64_t *state, unsigned int n)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n, r;

	do
		r = splitmix64(state);
	while (r >= limit);
	return (unsigned int)(r % n);
}

unsigned int punch_chunk_kept(enum punch_pattern p, unsigned int keep,
			      uint64_t seed, size_t chunk,
			      bool kept[PUNCH_CHUNK_PAGES])
{
	unsigned int idx[PUNCH_CHUNK_PAGES], n, i, j, t, max;
	uint64_t state;

	if (p != PUNCH_RANDOM) {
		for (i = 0, n = 0; i < PUNCH_CHUNK_PAGES; i++) {
			kept[i] = punch_keeps(p, keep, i);
			n += kept[i];
		}
		return n;
	}
	/* One stream per chunk, so chunk c is the same whatever came before. */
	state = seed ^ ((uint64_t)chunk * 0xd1b54a32d192ed03ull);
	max = 2 * keep < PUNCH_CHUNK_PAGES ? 2 * keep : PUNCH_CHUNK_PAGES;
	n = uniform_below(&state, max + 1);
	for (i = 0; i < PUNCH_CHUNK_PAGES; i++) {
		idx[i] = i;
		kept[i] = false;
	}
	/* The first n of a partial Fisher-Yates shuffle. */
	for (i = 0; i < n; i++) {
		j = i + uniform_below(&state, PUNCH_CHUNK_PAGES - i);
		t = idx[i];
		idx[i] = idx[j];
		idx[j] = t;
		kept[idx[i]] = true;
	}
	return n;
}

unsigned int punch_chunk_kept_by_pfn(unsigned int keep, unsigned int offset,
				     const uint64_t pfns[PUNCH_CHUNK_PAGES],
				     bool kept[PUNCH_CHUNK_PAGES])
{
	unsigned int step = PUNCH_CHUNK_PAGES / keep, n = 0;

	for (unsigned int i = 0; i < PUNCH_CHUNK_PAGES; i++) {
		kept[i] = pfns[i] % step == offset;
		n += kept[i];
	}
	return n;
}

size_t punch_runs(enum punch_pattern p, unsigned int keep,
		  struct punch_run runs[PUNCH_MAX_RUNS])
{
	bool kept[PUNCH_CHUNK_PAGES];

	for (unsigned int i = 0; i < PUNCH_CHUNK_PAGES; i++)
		kept[i] = punch_keeps(p, keep, i);
	return punch_runs_of(kept, runs);
}

size_t punch_runs_of(const bool kept[PUNCH_CHUNK_PAGES],
		     struct punch_run runs[PUNCH_MAX_RUNS])
{
	size_t n = 0;

	for (unsigned int i = 0; i < PUNCH_CHUNK_PAGES; i++) {
		if (kept[i])
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
