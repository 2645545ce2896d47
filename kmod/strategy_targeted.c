// SPDX-License-Identifier: GPL-2.0
/*
 * The targeted strategy: empty chosen blocks with alloc_contig_range() and
 * give each back whole.  The blocks holding the fewest in-use pages go
 * first; blocks holding pages that cannot move, and blocks that are not
 * MOVABLE, are skipped.  alloc_contig_range() takes its migration targets
 * from the page allocator, which knows nothing of the plan, so before
 * emptying anything a pass "soaks" free order-0 pages: those in blocks it
 * is about to empty are held back until the block's turn, those in blocks
 * it keeps are released just before, so that they are the first the
 * allocator hands out.  Emptied blocks are held until the pass ends, so
 * nothing migrates into them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/page_ref.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/vmstat.h>

#include "khugehog.h"
#include "compactor.h"
#include "trace.h"

/* Test aid: hold a reference on a page of each emptied block as it is freed. */
static bool khc_hold_tail_ref;

enum khc_block_class {
	KHC_BLK_SKIP,		/* holes, other zones, unmovable pages */
	KHC_BLK_FREE,		/* no page in use: leave it alone */
	KHC_BLK_KEEP,		/* fullest blocks: migration targets */
	KHC_BLK_LATER,		/* to be emptied by a later pass */
	KHC_BLK_NOW,		/* to be emptied by this pass */
};

struct khc_block {
	unsigned short used;	/* movable in-use pages when planned */
	unsigned char class;
	unsigned short slot;	/* KHC_BLK_NOW: index in the pass's list */
};

/*
 * A zone's plan: every block classified, the movable ones sorted by
 * cost, and how many of those can be emptied in all (their in-use pages
 * must fit in the free pages of the blocks kept).  Making it reads every
 * struct page of the zone, so it serves the passes that follow, each
 * taking the next blocks of the list, until the list runs out or a pass
 * is fresh (compactor.h).  A plan per pass would read the zone once per
 * compactor_pass_blocks blocks emptied: a cost that grows with the square
 * of memory.
 *
 * floor: the in-use pages of every block at the session's first plan of
 * the zone, what a compactor that moves no page twice would migrate to
 * empty the same blocks (the floor the status reports against).  Dropped
 * for the session if the zone's span changes.
 */
struct khc_plan {
	struct zone *zone;
	unsigned int border;		/* block order */
	unsigned long base_pfn;		/* first block's pfn */
	unsigned long nr_blocks;
	unsigned short *floor;
	bool floor_taken;		/* recorded, or given up, this session */
	struct khc_block *blocks;	/* NULL: none made, or used up */
	unsigned long *order_by_cost;	/* block indexes, cheapest first */
	unsigned long nr_to_empty;	/* the first of order_by_cost */
	unsigned long next;		/* the first of those not yet tried */
};

#define KHC_MAX_PLANS 64
static struct khc_plan khc_plans[KHC_MAX_PLANS];

/* The session's plan for @zone at block order @border, a new one if none. */
static struct khc_plan *khc_plan_of(struct zone *zone, unsigned int border)
{
	int i;

	for (i = 0; i < KHC_MAX_PLANS && khc_plans[i].zone; i++)
		if (khc_plans[i].zone == zone && khc_plans[i].border == border)
			return &khc_plans[i];
	if (i == KHC_MAX_PLANS)
		return NULL;
	khc_plans[i].zone = zone;
	khc_plans[i].border = border;
	return &khc_plans[i];
}

static void khc_plan_drop(struct khc_plan *pl)
{
	kvfree(pl->order_by_cost);
	kvfree(pl->blocks);
	pl->order_by_cost = NULL;
	pl->blocks = NULL;
	pl->nr_to_empty = 0;
	pl->next = 0;
}

/* At the end of a session: only the kthread touches them. */
static void khc_plans_free(void)
{
	int i;

	for (i = 0; i < KHC_MAX_PLANS; i++) {
		khc_plan_drop(&khc_plans[i]);
		kvfree(khc_plans[i].floor);
	}
	memset(khc_plans, 0, sizeof(khc_plans));
}

struct khc_pass {
	struct khc_plan *plan;
	unsigned long nr_now;
	unsigned long *now;		/* this pass's blocks, in order */
	struct list_head *now_soaked;	/* per block of now: soaked pages */
	struct list_head keep, hold;
	unsigned long *emptied;		/* pfns of blocks emptied, held */
	unsigned long nr_emptied;
	struct khc_counters *counters;	/* the pass's result */
};

/*
 * What a block holds, read without locks as compaction's scanners do:
 * a wrong guess costs a failed alloc_contig_range(), nothing more.
 * Returns false if the block is not one to empty: a page offline, in
 * another zone, reserved or hugetlb (what alloc_contig_pages() refuses
 * too), a page that cannot be migrated, or a pageblock that is not
 * MOVABLE (emptying it would relabel it MOVABLE, see pageblock.c).
 */
static bool khc_block_scan(struct zone *zone, unsigned long pfn,
			   unsigned long nr, unsigned int *used)
{
	unsigned long end = pfn + nr, order, pb;
	struct page *page;

	*used = 0;
	for (pb = pfn; pb < end; pb += pageblock_nr_pages)
		if (!khh_pfn_usable(zone, pb, NULL) ||
		    !khh_pageblock_movable(pb))
			return false;
	while (pfn < end) {
		if (!khh_pfn_usable(zone, pfn, &page))
			return false;
		if (PageBuddy(page)) {
			order = READ_ONCE(page->private);
			pfn += order < KHH_NR_ORDERS ? 1UL << order : 1;
			continue;
		}
		if (PageLRU(page))
			(*used)++;
		else if (page_ref_count(page))
			return false;	/* slab, page tables, pinned, ... */
		/* else: free, on a per-cpu list */
		pfn++;
	}
	return true;
}

static int khc_cost_cmp(const void *a, const void *b, const void *priv)
{
	const struct khc_block *blocks = priv;
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	if (blocks[x].used != blocks[y].used)
		return blocks[x].used < blocks[y].used ? -1 : 1;
	return x < y ? -1 : x > y;
}

static void khc_floor_record(struct khc_plan *pl)
{
	unsigned long i;

	pl->floor_taken = true;
	pl->floor = kvcalloc(pl->nr_blocks, sizeof(*pl->floor), GFP_KERNEL);
	if (!pl->floor)
		return;
	for (i = 0; i < pl->nr_blocks; i++)
		pl->floor[i] = pl->blocks[i].used;
}

/*
 * Make @pl anew: classify every block, sort the movable ones by cost, and
 * choose how many can be emptied in all.
 */
static int khc_plan_make(struct khc_plan *pl, struct khc_counters *counters)
{
	struct zone *zone = pl->zone;
	unsigned long bsize = 1UL << pl->border, start, end, nr, i, n = 0, k;
	unsigned long moved = 0, room = 0;
	unsigned int used;

	khc_plan_drop(pl);
	start = ALIGN(zone->zone_start_pfn, bsize);
	end = ALIGN_DOWN(zone_end_pfn(zone), bsize);
	if (end <= start)
		return -ENOENT;
	nr = (end - start) >> pl->border;
	if (pl->floor_taken &&
	    (pl->base_pfn != start || pl->nr_blocks != nr)) {
		/* memory hot-plugged: the blocks are no longer those */
		kvfree(pl->floor);
		pl->floor = NULL;
	}
	pl->base_pfn = start;
	pl->nr_blocks = nr;
	pl->blocks = kvcalloc(nr, sizeof(*pl->blocks), GFP_KERNEL);
	pl->order_by_cost = kvcalloc(nr, sizeof(unsigned long), GFP_KERNEL);
	if (!pl->blocks || !pl->order_by_cost)
		goto err_drop;

	for (i = 0; i < nr; i++) {
		struct khc_block *b = &pl->blocks[i];

		if (!(i % 64)) {
			if (khc_should_stop())
				goto err_drop;
			cond_resched();
		}
		if (!khc_block_scan(zone, start + (i << pl->border), bsize,
				    &used)) {
			b->class = KHC_BLK_SKIP;
			continue;
		}
		b->used = used;
		b->class = used ? KHC_BLK_KEEP : KHC_BLK_FREE;
		if (used)
			pl->order_by_cost[n++] = i;
	}
	counters->plans++;
	if (!pl->floor_taken)
		khc_floor_record(pl);
	sort_r(pl->order_by_cost, n, sizeof(unsigned long), khc_cost_cmp,
	       NULL, pl->blocks);

	/* Empty the k cheapest while the rest can take their pages. */
	for (i = 0; i < n; i++)
		room += bsize - pl->blocks[pl->order_by_cost[i]].used;
	for (k = 0; k < n; k++) {
		struct khc_block *b = &pl->blocks[pl->order_by_cost[k]];
		unsigned long own_room = bsize - b->used;

		if (room < own_room || moved + b->used > room - own_room)
			break;
		moved += b->used;
		room -= own_room;
		b->class = KHC_BLK_LATER;
	}
	pl->nr_to_empty = k;
	return 0;

err_drop:
	khc_plan_drop(pl);
	return khc_should_stop() ? -EINTR : -ENOMEM;
}

/*
 * Pages migrated since the plan was made can land in a block it empties
 * later, and would then move twice.  A block that holds more than a
 * sixteenth of a block over what it held when planned is kept instead,
 * as a migration target; true if it is.
 */
static bool khc_block_refilled(struct khc_plan *pl, unsigned long idx)
{
	unsigned long bsize = 1UL << pl->border;
	struct khc_block *b = &pl->blocks[idx];
	unsigned int used;

	if (!khc_block_scan(pl->zone, pl->base_pfn + (idx << pl->border),
			    bsize, &used) || used <= b->used + bsize / 16)
		return false;
	b->class = KHC_BLK_KEEP;
	return true;
}

/* The next blocks of the plan, at most @max_blocks, become this pass's. */
static int khc_pass_take(struct khc_pass *p, unsigned int max_blocks)
{
	struct khc_plan *pl = p->plan;
	unsigned long i, idx;

	p->now = kvcalloc(max_blocks, sizeof(*p->now), GFP_KERNEL);
	p->now_soaked = kvcalloc(max_blocks, sizeof(*p->now_soaked),
				 GFP_KERNEL);
	p->emptied = kvcalloc(max_blocks, sizeof(*p->emptied), GFP_KERNEL);
	if (!p->now || !p->now_soaked || !p->emptied)
		return -ENOMEM;
	for (i = pl->next; i < pl->nr_to_empty && p->nr_now < max_blocks;
	     i++) {
		idx = pl->order_by_cost[i];
		if (pl->blocks[idx].class != KHC_BLK_LATER ||
		    khc_block_refilled(pl, idx))
			continue;
		pl->blocks[idx].class = KHC_BLK_NOW;
		pl->blocks[idx].slot = p->nr_now;
		INIT_LIST_HEAD(&p->now_soaked[p->nr_now]);
		p->now[p->nr_now++] = idx;
	}
	return p->nr_now ? 0 : -ENOENT;
}

/*
 * After the pass: the blocks it did not get to go back to the plan, and
 * the plan moves past those it tried.  A plan used up is dropped, so that
 * the next pass makes a new one.
 */
static void khc_pass_settle(struct khc_pass *p)
{
	struct khc_plan *pl = p->plan;
	unsigned long i;

	for (i = 0; i < p->nr_now; i++)
		if (pl->blocks[p->now[i]].class == KHC_BLK_NOW)
			pl->blocks[p->now[i]].class = KHC_BLK_LATER;
	while (pl->next < pl->nr_to_empty &&
	       pl->blocks[pl->order_by_cost[pl->next]].class != KHC_BLK_LATER)
		pl->next++;
	if (pl->next == pl->nr_to_empty)
		khc_plan_drop(pl);
}

static struct khc_block *khc_block_of(struct khc_pass *p, struct page *page,
				      unsigned long *idx)
{
	unsigned long pfn = page_to_pfn(page);

	struct khc_plan *pl = p->plan;

	if (page_zone(page) != pl->zone || pfn < pl->base_pfn)
		return NULL;
	*idx = (pfn - pl->base_pfn) >> pl->border;
	return *idx < pl->nr_blocks ? &pl->blocks[*idx] : NULL;
}

static void khc_free_list(struct list_head *list)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, list, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
}

/*
 * Take free order-0 pages from the allocator until enough of them lie in
 * blocks that are kept: those are released just before the pass, so that
 * they are the migration targets.  Pages of blocks to be emptied stay held
 * until their block's turn.  Stops early rather than dip towards the high
 * watermark, or split a free block.
 */
static void khc_soak(struct khc_pass *p, int nid)
{
	unsigned long want = 0, keep = 0, soaked = 0, cap, i, idx;
	struct zone *zone = p->plan->zone;
	struct khc_block *b;
	struct page *page;

	for (i = 0; i < p->nr_now; i++)
		want += p->plan->blocks[p->now[i]].used;
	want += want / 8 + 32;
	/* At most a quarter of what is free: the rest is everyone else's. */
	cap = min(16 * want, zone_page_state(zone, NR_FREE_PAGES) / 4);

	while (keep < want && soaked < cap) {
		if (khc_zone_tight(zone))
			break;
		if (!(soaked % 256)) {
			if (khc_should_stop())
				break;
			cond_resched();
		}
		page = alloc_pages_node(nid, KHH_GFP_FREE_PAGE, 0);
		if (!page)
			break;
		soaked++;
		b = khc_block_of(p, page, &idx);
		if (b && b->class == KHC_BLK_FREE) {
			__free_page(page);	/* would split a free block */
			break;
		}
		if (b && b->class == KHC_BLK_NOW) {
			list_add(&page->lru, &p->now_soaked[b->slot]);
		} else if (b && b->class == KHC_BLK_LATER) {
			list_add(&page->lru, &p->hold);
		} else {
			/* a block never emptied: a good migration target */
			list_add(&page->lru, &p->keep);
			keep++;
		}
	}
	p->counters->pages_soaked += soaked;
}

static void khc_empty_block(struct khc_pass *p, unsigned long slot)
{
	struct khc_plan *pl = p->plan;
	unsigned long idx = p->now[slot];
	unsigned long pfn = pl->base_pfn + (idx << pl->border);
	unsigned long nr = 1UL << pl->border;
	unsigned int used = 0;
	u64 t0, ns;
	int ret;

	khc_free_list(&p->now_soaked[slot]);
	/* Tried once per plan: whatever happens, not a pass's again. */
	pl->blocks[idx].class = KHC_BLK_SKIP;
	if (!khc_block_scan(pl->zone, pfn, nr, &used)) {
		p->counters->blocks_busy++;
		trace_compact_block(pfn, pl->border, 0, -EBUSY, 0);
		return;
	}
	t0 = ktime_get_ns();
	ret = khh_alloc_contig(pfn, pfn + nr);
	ns = ktime_get_ns() - t0;
	p->counters->contig_ns += ns;
	trace_compact_block(pfn, pl->border, ret ? 0 : used, ret, ns);
	if (ret) {
		if (ret == -EBUSY)
			p->counters->blocks_busy++;
		else if (ret != -EINTR)
			p->counters->blocks_failed++;
		return;
	}
	/* Given back whole at the end of the pass. */
	pl->blocks[idx].class = KHC_BLK_FREE;
	p->emptied[p->nr_emptied++] = pfn;
	p->counters->blocks_emptied++;
	p->counters->pages_floor += pl->floor ? pl->floor[idx] :
						pl->blocks[idx].used;
	p->counters->pages_migrated += used;
}

/*
 * Give an emptied block back as one free block.  free_contig_range()
 * would free it page by page through the per-cpu lists, which hand
 * those pages out first: as the next pass's migration targets.
 *
 * alloc_contig_range() leaves every page at refcount 1, and another CPU
 * may hold a transient reference on any of them (a speculative
 * get_page_unless_zero() of a pfn walker or a lockless page cache
 * lookup).  Each tail's count is frozen from 1 to 0, so that none is
 * freed with a reference held (which free_pages_prepare() reports as a
 * bad page, and the holder's put_page() would then free it again); the
 * head may keep one, which __free_pages() handles.  If a tail is held,
 * the block goes back page by page, the last put freeing the held one:
 * free_contig_range() would do the same, but warns when a page is held.
 */
static bool khc_free_block(unsigned long pfn, unsigned int order)
{
	struct page *page = pfn_to_page(pfn);
	unsigned long i, nr = 1UL << order;

	for (i = 1; i < nr; i++)
		if (!page_ref_freeze(page + i, 1))
			break;
	if (i == nr) {
		__free_pages(page, order);
		return true;
	}
	while (--i)
		page_ref_unfreeze(page + i, 1);
	for (i = 0; i < nr; i++)
		__free_page(page + i);
	return false;
}

static void khc_pass_free(struct khc_pass *p)
{
	unsigned int border = p->plan->border;
	unsigned long i, pfn;

	if (p->now_soaked)
		for (i = 0; i < p->nr_now; i++)
			khc_free_list(&p->now_soaked[i]);
	khc_free_list(&p->keep);
	khc_free_list(&p->hold);
	for (i = 0; i < p->nr_emptied; i++) {
		pfn = p->emptied[i];
		if (READ_ONCE(khc_hold_tail_ref))
			get_page(pfn_to_page(pfn + 1));
		if (!khc_free_block(pfn, border))
			p->counters->blocks_freed_piecewise++;
		if (READ_ONCE(khc_hold_tail_ref))
			put_page(pfn_to_page(pfn + 1));
	}
	kvfree(p->emptied);
	kvfree(p->now_soaked);
	kvfree(p->now);
}

/* One pass over one zone; returns the blocks emptied. */
static unsigned long khc_targeted_zone(struct zone *zone,
				       const struct khc_pass_args *args,
				       unsigned int max_blocks,
				       struct khc_counters *counters)
{
	unsigned int border = max_t(unsigned int, args->order,
				    pageblock_order);
	struct khc_pass p = { .counters = counters };
	unsigned long i, done = 0;
	int ret;
	u64 t0;

	p.plan = khc_plan_of(zone, border);
	if (!p.plan)
		return 0;
	INIT_LIST_HEAD(&p.keep);
	INIT_LIST_HEAD(&p.hold);
	if (args->fresh || !p.plan->blocks) {
		t0 = ktime_get_ns();
		ret = khc_plan_make(p.plan, counters);
		counters->plan_ns += ktime_get_ns() - t0;
		if (ret)
			return 0;
	}
	if (khc_pass_take(&p, max_blocks))
		goto out;
	t0 = ktime_get_ns();
	khc_soak(&p, args->nid);
	counters->soak_ns += ktime_get_ns() - t0;
	khc_free_list(&p.keep);
	for (i = 0; i < p.nr_now && !khc_should_stop(); i++) {
		if (khc_zone_tight(zone))
			break;
		khc_empty_block(&p, i);
	}
	done = p.nr_emptied;
out:
	khc_pass_settle(&p);
	khc_pass_free(&p);
	return done;
}

static void khc_pass_targeted(const struct khc_pass_args *args,
			      struct khc_pass_result *res)
{
	pg_data_t *pgdat = NODE_DATA(args->nid);
	struct zone *zone;
	int z;

	/* Highest zone first, as the allocator falls back downwards. */
	for (z = MAX_NR_ZONES - 1; z >= 0 && res->done < args->bound; z--) {
		zone = &pgdat->node_zones[z];
		if (!populated_zone(zone) || khc_should_stop())
			continue;
		res->done += khc_targeted_zone(zone, args,
					       args->bound - res->done,
					       &res->counters);
	}
}

static void khc_targeted_debugfs_init(struct dentry *dir)
{
	debugfs_create_bool("compactor_hold_tail_ref", 0600, dir,
			    &khc_hold_tail_ref);
}

KHC_STRATEGY(targeted,
	     .pass = khc_pass_targeted,
	     .drain = true,
	     .debugfs_init = khc_targeted_debugfs_init,
	     .session_end = khc_plans_free,
);
