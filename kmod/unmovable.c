// SPDX-License-Identifier: GPL-2.0
/*
 * Unmovable pages where they hurt: one 4K page, taken with
 * alloc_contig_range() and held by the module, in a chosen share of the
 * pageblocks of every populated zone.  Compaction cannot move a page the
 * kernel owns, so none of those blocks can become a free 2 MiB block
 * again: the reference article's "non-movable pages", placed at a density
 * the experiment chooses and reproducible from a seed.  Only MOVABLE
 * pageblocks get one: that is where such pages hurt, and where the
 * allocator itself would not have put them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/prandom.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "khugehog.h"

/* Attempts at other pages of a chosen block before giving up on it. */
#define KHH_PIN_TRIES 8

/* A zone's whole pageblocks, as they were when the pinning started. */
struct khh_pin_span {
	struct zone *zone;
	unsigned long start, end;
};

static DEFINE_MUTEX(khh_pin_lock);
static unsigned long *khh_pins;		/* pfns of the pinned pages */
static unsigned long khh_nr_pins;
static unsigned long khh_pins_capacity;

/*
 * One page of a MOVABLE pageblock: on any other, alloc_contig_range()
 * would relabel the block MOVABLE (see pageblock.c).  Never in
 * ZONE_MOVABLE, which must stay free of unmovable pages for memory
 * hot-remove; offline, reserved and hugetlb pages are skipped as
 * alloc_contig_pages() skips them.
 */
static int khh_take_page(struct zone *zone, unsigned long pfn)
{
	if (!khh_pfn_usable(zone, pfn, NULL) || !khh_pageblock_movable(pfn))
		return -EINVAL;
	return khh_alloc_contig(pfn, pfn + 1);
}

static void khh_pin_span(const struct khh_pin_span *span, unsigned int share,
			 struct rnd_state *rnd)
{
	unsigned long pfn, off[KHH_PIN_TRIES];
	unsigned int i;
	bool chosen;

	for (pfn = span->start; pfn < span->end; pfn += pageblock_nr_pages) {
		/* Same draws whatever happens, so a seed means one placement. */
		chosen = prandom_u32_state(rnd) % 100 < share;
		for (i = 0; i < KHH_PIN_TRIES; i++)
			off[i] = prandom_u32_state(rnd) % pageblock_nr_pages;
		if (!chosen || khh_nr_pins == khh_pins_capacity)
			continue;
		for (i = 0; i < KHH_PIN_TRIES; i++) {
			if (fatal_signal_pending(current))
				return;
			if (!khh_take_page(span->zone, pfn + off[i])) {
				khh_pins[khh_nr_pins++] = pfn + off[i];
				break;
			}
		}
		cond_resched();
	}
}

/*
 * Every populated zone but ZONE_MOVABLE, its span read once: memory added
 * while the pins are taken is not walked, and the array sized from these
 * spans cannot overflow.
 */
static struct khh_pin_span *khh_pin_spans(unsigned int *nr_spans,
					  unsigned long *nr_blocks)
{
	struct khh_pin_span *spans;
	struct zone *zone;
	unsigned int n = 0;
	int nid, z;

	spans = kvcalloc(nr_node_ids * MAX_NR_ZONES, sizeof(*spans),
			 GFP_KERNEL);
	if (!spans)
		return NULL;
	*nr_blocks = 0;
	for_each_online_node(nid) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			zone = &NODE_DATA(nid)->node_zones[z];
			if (!populated_zone(zone) || zone_idx(zone) == ZONE_MOVABLE)
				continue;
			spans[n].zone = zone;
			spans[n].start = pageblock_align(zone->zone_start_pfn);
			spans[n].end = pageblock_start_pfn(zone_end_pfn(zone));
			if (spans[n].end <= spans[n].start)
				continue;
			*nr_blocks += (spans[n].end - spans[n].start) /
				      pageblock_nr_pages;
			n++;
		}
	}
	*nr_spans = n;
	return spans;
}

/* Pin a page in share percent of all pageblocks; -EBUSY if pins are held. */
int khh_pin(unsigned int share, u64 seed)
{
	struct khh_pin_span *spans;
	unsigned long nr_blocks;
	struct rnd_state rnd;
	unsigned int i, nr_spans;
	int ret = 0;

	if (share > 100)
		return -EINVAL;
	mutex_lock(&khh_pin_lock);
	if (khh_pins) {
		ret = -EBUSY;
		goto out_unlock;
	}
	spans = khh_pin_spans(&nr_spans, &nr_blocks);
	if (!spans) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	khh_pins = kvcalloc(nr_blocks, sizeof(*khh_pins), GFP_KERNEL);
	if (!khh_pins) {
		ret = -ENOMEM;
		goto out_free_spans;
	}
	khh_pins_capacity = nr_blocks;
	khh_nr_pins = 0;
	prandom_seed_state(&rnd, seed);
	for (i = 0; i < nr_spans; i++)
		khh_pin_span(&spans[i], share, &rnd);
	if (fatal_signal_pending(current))
		ret = -EINTR;
out_free_spans:
	kvfree(spans);
out_unlock:
	mutex_unlock(&khh_pin_lock);
	return ret;
}

void khh_unpin(void)
{
	unsigned long i;

	mutex_lock(&khh_pin_lock);
	for (i = 0; i < khh_nr_pins; i++)
		free_contig_range(khh_pins[i], 1);
	kvfree(khh_pins);
	khh_pins = NULL;
	khh_nr_pins = 0;
	khh_pins_capacity = 0;
	mutex_unlock(&khh_pin_lock);
}

unsigned long khh_nr_pinned(void)
{
	return READ_ONCE(khh_nr_pins);
}
