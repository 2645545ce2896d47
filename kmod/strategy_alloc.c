// SPDX-License-Identifier: GPL-2.0
/*
 * The alloc strategy: allocate movable pages of the compactor's order, as
 * the kernel's own callers do, and hold them so that each allocation
 * compacts anew; free them at the end of the pass.
 */
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/sched.h>

#include "khugehog.h"
#include "compactor.h"

/*
 * Consecutive failures a pass that has not compacted yet goes through:
 * enough for a zone's deferred compaction to run its whole cycle and
 * restart (see below).
 */
#define KHC_ALLOC_MAX_FAILS	(2 << KHC_MAX_DEFER_SHIFT)

/*
 * Free blocks are handed out before anything is compacted, so a pass
 * allocates those that were free at its start plus the bound more.
 *
 * Each attempt at a costly order gets one async compaction, one direct
 * reclaim and one sync-light compaction, and no more: the stop flag is
 * checked between attempts, and compaction itself gives up on SIGKILL.
 * __GFP_RETRY_MAYFAIL would loop through reclaim for seconds, SIGKILL or
 * not, and its retries never reach the priority that ignores the
 * pageblock skip hints: for costly orders the floor is
 * MIN_COMPACT_COSTLY_PRIORITY, sync-light.  Once the hints cover the
 * zone, direct compaction crosses it in one step and fails; the hints are
 * cleared only when kswapd goes to sleep, or when the zone's compaction,
 * deferred after each sync failure, restarts after
 * 1 << KHC_MAX_DEFER_SHIFT deferred attempts, and either only while
 * compact_blockskip_flush is set (a direct compaction's scanners met,
 * and none has ended with a page since).  So a pass that has not
 * compacted anything yet does not end at its first failure: its deferred
 * attempts (two per allocation, which fail fast) carry the zone through
 * that cycle.  Once it has, the first failure ends it, as one THP fault's
 * would: the success before it reset the deferral, so the pass leaves it
 * one step deep, not at the bottom for whoever allocates next.
 */
static void khc_pass_alloc(const struct khc_pass_args *args,
			   struct khc_pass_result *res)
{
	const gfp_t gfp = GFP_HIGHUSER_MOVABLE | __GFP_THISNODE |
			  __GFP_NOWARN | __GFP_NOMEMALLOC;
	unsigned long n = 0, fails = 0, base, limit;
	struct page *page, *next;
	LIST_HEAD(pages);

	base = khh_node_free_blocks(args->nid, args->order);
	limit = base + args->bound;
	while (n < limit && !khc_should_stop() && !khc_node_tight(args->nid)) {
		page = alloc_pages_node(args->nid, gfp, args->order);
		if (!page) {
			res->counters.alloc_failures++;
			if (n > base || ++fails >= KHC_ALLOC_MAX_FAILS)
				break;
			cond_resched();
			continue;
		}
		fails = 0;
		/* Held to the end, so that the next one compacts anew. */
		list_add(&page->lru, &pages);
		n++;
	}
	list_for_each_entry_safe(page, next, &pages, lru) {
		list_del(&page->lru);
		__free_pages(page, args->order);
	}
	res->counters.hugepages_allocated += n;
	res->done = n > base ? n - base : 0;
}

KHC_STRATEGY(alloc,
	     .pass = khc_pass_alloc,
	     .drain = true,
);
