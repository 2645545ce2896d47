// SPDX-License-Identifier: GPL-2.0
/*
 * How much memory is free, how much the module must leave free, and
 * putting the per-CPU lists' pages back where everyone sees them.
 */
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/percpu.h>
#include <linux/vmstat.h>

#include "khugehog.h"

/*
 * Free pages, as the scripts count them from /proc: the buddy lists
 * (NR_FREE_PAGES with the CPUs' unfolded deltas) and the per-CPU lists,
 * which NR_FREE_PAGES leaves out.  Freed order-9 pages can sit on the
 * per-CPU lists (6.1+), and a burst of frees grows them (6.7+).
 */
unsigned long khh_free_pages(void)
{
	unsigned long free = 0;
	struct zone *zone;
	int nid, z, cpu;

	for_each_online_node(nid) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			zone = &NODE_DATA(nid)->node_zones[z];
			if (!populated_zone(zone))
				continue;
			free += zone_page_state_snapshot(zone, NR_FREE_PAGES);
			for_each_online_cpu(cpu)
				free += READ_ONCE(per_cpu_ptr(zone->per_cpu_pageset,
							      cpu)->count);
		}
	}
	return free;
}

/*
 * The free pages the module leaves: every zone's high watermark (boost
 * included) plus its largest lowmem reserve, at most the zone itself;
 * and one allocation of @order.  Read anew at each call, as a boost can
 * raise the watermarks at any time.
 *
 * What the module holds belongs to the kernel: no OOM kill frees it.
 * Taking memory down to the min watermark would leave every other task
 * to reclaim, then to the OOM killer, and once it has killed every
 * process it may, to "System is deadlocked on memory".  Above the high
 * watermark, kswapd has nothing to do and nobody else's allocation
 * reclaims.
 */
unsigned long khh_free_floor_pages(unsigned int order)
{
	unsigned long floor = 1UL << order, reserve;
	struct zone *zone;
	int nid, z, i;

	for_each_online_node(nid) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			zone = &NODE_DATA(nid)->node_zones[z];
			if (!populated_zone(zone))
				continue;
			reserve = 0;
			for (i = 0; i < MAX_NR_ZONES; i++)
				reserve = max_t(unsigned long, reserve,
						READ_ONCE(zone->lowmem_reserve[i]));
			floor += min_t(unsigned long, zone_managed_pages(zone),
				       high_wmark_pages(zone) + reserve);
		}
	}
	return floor;
}

/*
 * One more allocation of @order would take free memory below the floor,
 * which is stored in @floor: the one compared with, as a boost can raise
 * it by a pageblock between two reads.  Counted as the watermarks count
 * it: the buddy lists only.  A page on another CPU's list is of no use to
 * an allocation here until a drain.
 */
bool khh_below_free_floor(unsigned int order, unsigned long *floor)
{
	*floor = khh_free_floor_pages(order);
	return global_zone_page_state(NR_FREE_PAGES) < *floor;
}

/*
 * The first page on @zone's MOVABLE free list of @order, or 0.  Its block
 * is MOVABLE as the list was when the page was freed; the caller checks
 * it again, unlocked.
 */
static unsigned long khh_free_movable_pfn(struct zone *zone,
					  unsigned int order)
{
	struct list_head *list = &zone->free_area[order].free_list[MIGRATE_MOVABLE];
	unsigned long flags, pfn = 0;
	struct page *page;

	spin_lock_irqsave(&zone->lock, flags);
	page = list_first_entry_or_null(list, struct page, buddy_list);
	if (page)
		pfn = page_to_pfn(page);
	spin_unlock_irqrestore(&zone->lock, flags);
	return pfn;
}

/* Take the free page @pfn and give it back: the zone's lists are drained. */
static bool khh_drain_through(struct zone *zone, unsigned long pfn)
{
	if (!pfn || !khh_pfn_usable(zone, pfn, NULL) ||
	    !khh_pageblock_movable(pfn) || khh_alloc_contig(pfn, pfn + 1))
		return false;
	free_contig_range(pfn, 1);
	return true;
}

/*
 * Put the free pages of @zone's per-CPU lists back in its buddy lists,
 * where every CPU and compaction see them.  Freed pages go to the freeing
 * CPU's list, whose high mark grows under a burst of frees (6.7+) and
 * shrinks only from the vmstat worker, which does not run on an idle CPU.
 * drain_all_pages() is not exported, but alloc_contig_range() calls it for
 * the zone once its range is isolated: so one free page is taken that
 * way, and given back.  Only from a MOVABLE pageblock (see pageblock.c).
 *
 * Isolation fails when the block holds an unmovable page, and nothing is
 * drained then; so the page comes from the buddy lists, where the next
 * order's is tried after a failure.  (A page from the allocator would come
 * from the per-CPU lists themselves, all from the same few blocks.)  The
 * orders below a pageblock come first, largest first: their blocks are
 * the emptiest of the partly used ones.  A page taken from a whole free
 * block splits it, and the half given back sits on a per-CPU list,
 * keeping the block from merging: that is the last resort.
 */
static bool khh_drain_zone_pcp(struct zone *zone)
{
	int order;

	for (order = pageblock_order - 1; order >= 0; order--)
		if (khh_drain_through(zone, khh_free_movable_pfn(zone, order)))
			return true;
	for (order = pageblock_order; order < KHH_NR_ORDERS; order++)
		if (khh_drain_through(zone, khh_free_movable_pfn(zone, order)))
			return true;
	return false;
}

/* Drain the per-CPU lists of @nid's zones; the number not drained. */
unsigned int khh_drain_pcp(int nid)
{
	unsigned int failed = 0;
	struct zone *zone;
	int z;

	for (z = 0; z < MAX_NR_ZONES; z++) {
		zone = &NODE_DATA(nid)->node_zones[z];
		if (populated_zone(zone) && !khh_drain_zone_pcp(zone))
			failed++;
	}
	return failed;
}
