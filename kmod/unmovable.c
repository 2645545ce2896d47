// SPDX-License-Identifier: GPL-2.0
/*
 * Unmovable pages where they hurt: one 4K page, taken with
 * alloc_contig_range() and held by the module, in a chosen share of the
 * pageblocks of every populated zone.  Compaction cannot move a page the
 * kernel owns, so none of those blocks can become a free 2 MiB block
 * again: the reference article's "non-movable pages", placed at a density
 * the experiment chooses and reproducible from a seed.
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

static DEFINE_MUTEX(khh_pin_lock);
static unsigned long *khh_pins;		/* pfns of the pinned pages */
static unsigned long khh_nr_pins;

static int khh_take_page(unsigned long pfn)
{
	if (!pfn_valid(pfn))
		return -EINVAL;
	return khh_alloc_contig(pfn, pfn + 1);
}

static void khh_pin_zone(struct zone *zone, unsigned int share,
			 struct rnd_state *rnd)
{
	unsigned long pfn = ALIGN(zone->zone_start_pfn, pageblock_nr_pages);
	unsigned long end = zone_end_pfn(zone), off[KHH_PIN_TRIES];
	unsigned int i;
	bool chosen;

	for (; pfn + pageblock_nr_pages <= end; pfn += pageblock_nr_pages) {
		/* Same draws whatever happens, so a seed means one placement. */
		chosen = prandom_u32_state(rnd) % 100 < share;
		for (i = 0; i < KHH_PIN_TRIES; i++)
			off[i] = prandom_u32_state(rnd) % pageblock_nr_pages;
		if (!chosen)
			continue;
		for (i = 0; i < KHH_PIN_TRIES; i++) {
			if (fatal_signal_pending(current))
				return;
			if (!khh_take_page(pfn + off[i])) {
				khh_pins[khh_nr_pins++] = pfn + off[i];
				break;
			}
		}
		cond_resched();
	}
}

static unsigned long khh_nr_pageblocks(void)
{
	unsigned long n = 0;
	struct zone *zone;
	int nid, z;

	for_each_online_node(nid) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			zone = &NODE_DATA(nid)->node_zones[z];
			if (populated_zone(zone))
				n += zone->spanned_pages / pageblock_nr_pages + 1;
		}
	}
	return n;
}

/* Pin a page in share percent of all pageblocks; -EBUSY if pins are held. */
int khh_pin(unsigned int share, u64 seed)
{
	struct rnd_state rnd;
	struct zone *zone;
	int nid, z, ret = 0;

	if (share > 100)
		return -EINVAL;
	mutex_lock(&khh_pin_lock);
	if (khh_pins) {
		ret = -EBUSY;
		goto out_unlock;
	}
	khh_pins = kvcalloc(khh_nr_pageblocks(), sizeof(*khh_pins), GFP_KERNEL);
	if (!khh_pins) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	khh_nr_pins = 0;
	prandom_seed_state(&rnd, seed);
	for_each_online_node(nid) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			zone = &NODE_DATA(nid)->node_zones[z];
			if (populated_zone(zone))
				khh_pin_zone(zone, share, &rnd);
		}
	}
	if (fatal_signal_pending(current))
		ret = -EINTR;
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
	mutex_unlock(&khh_pin_lock);
}

unsigned long khh_nr_pinned(void)
{
	return READ_ONCE(khh_nr_pins);
}
