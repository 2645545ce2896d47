// SPDX-License-Identifier: GPL-2.0
/*
 * khugehog_compactd: an optional proactive compactor.
 *
 * A kthread wakes every compactor_interval_ms, computes each online node's
 * fragmentation score (as kcompactd does, see extfrag.c) and, when a node
 * passes the high watermark, compacts it in bounded passes until its score
 * is at or below the low watermark.  The strategies:
 *
 * targeted: empties chosen blocks with alloc_contig_range() and gives them
 *   back with free_contig_range().  The blocks holding the fewest in-use
 *   pages go first; blocks holding pages that cannot move are skipped.
 *   alloc_contig_range() takes its migration targets from the page
 *   allocator, which knows nothing of our plan, so before each pass the
 *   compactor "soaks" free order-0 pages: those in blocks it is about to
 *   empty are held back until the block's turn, those in blocks it will
 *   keep are released just before the pass so that they are the first
 *   the allocator hands out.  Emptied blocks are held until the pass ends,
 *   so nothing migrates into them.
 * node: writes /sys/devices/system/node/nodeN/compact, the kernel's own
 *   whole-node compaction.
 * alloc: allocates order-N movable pages as the kernel's own callers
 *   would, holds them so that each allocation compacts anew, and frees
 *   them at the end of the pass.  See khc_pass_alloc() on when a
 *   failure ends the pass.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/freezer.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/vmstat.h>
#include <linux/mmzone.h>
#include <linux/moduleparam.h>
#include <linux/nodemask.h>
#include <linux/page_ref.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/suspend.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include "khugehog.h"
#include "fragmentation.h"
#include "trace.h"

#define KHC_TIMELINE_LEN 4096
/* mm/compaction.c's COMPACT_MAX_DEFER_SHIFT, private to it */
#define KHC_MAX_DEFER_SHIFT 6
/*
 * A pass without progress doubles the interval, up to 64x: kcompactd's
 * proactive back-off.
 */
#define KHC_MAX_BACKOFF KHC_MAX_DEFER_SHIFT

enum khc_strategy {
	KHC_TARGETED,
	KHC_NODE,
	KHC_ALLOC,
	KHC_NR_STRATEGIES,
};

static const char * const khc_strategy_names[] = {
	[KHC_TARGETED]	= "targeted",
	[KHC_NODE]	= "node",
	[KHC_ALLOC]	= "alloc",
};

enum khc_action {
	KHC_ACT_IDLE,
	KHC_ACT_START,
	KHC_ACT_PASS,
	KHC_ACT_NOPROGRESS,
	KHC_ACT_TARGET,
	KHC_ACT_STOP,
};

static const char * const khc_action_names[] = {
	[KHC_ACT_IDLE]		= "idle",
	[KHC_ACT_START]		= "start",
	[KHC_ACT_PASS]		= "pass",
	[KHC_ACT_NOPROGRESS]	= "noprogress",
	[KHC_ACT_TARGET]	= "target",
	[KHC_ACT_STOP]		= "stop",
};

enum khc_state {
	KHC_OFF,
	KHC_IDLE,
	KHC_COMPACTING,
	KHC_BACKOFF,
};

static const char * const khc_state_names[] = {
	[KHC_OFF]		= "off",
	[KHC_IDLE]		= "idle",
	[KHC_COMPACTING]	= "compacting",
	[KHC_BACKOFF]		= "backoff",
};

struct khc_event {
	u64 time_ns;
	int nid;
	unsigned int score;
	unsigned long free_blocks;
	enum khc_action action;
};

/* One session: from enable to disable.  Counters only grow within it. */
struct khc_stats {
	u64 start_ns;
	u64 compact_ns;
	s64 target_reached_ns;
	unsigned long passes, passes_no_progress;
	unsigned long blocks_emptied, blocks_busy, blocks_failed;
	unsigned long blocks_freed_piecewise;
	unsigned long pages_floor, pages_migrated, pages_soaked;
	unsigned long hugepages_allocated, alloc_failures;
	unsigned long pgmigrate_base;
	enum khc_state state;
};

static DEFINE_MUTEX(khc_lock);		/* enable/disable, khc_task, khc_pm_paused */
static DEFINE_SPINLOCK(khc_stats_lock);	/* khc_stats and the timeline */
static DECLARE_WAIT_QUEUE_HEAD(khc_wait);
static struct task_struct *khc_task;
static bool khc_ready;			/* module initialised, not exiting */
static bool khc_stopping;
static bool khc_pm_paused;		/* between suspend prepare and resume */
/* Test aid: hold a reference on a page of each emptied block as it is freed. */
static bool khc_hold_tail_ref;
static struct khc_stats khc_stats;
static struct khc_event *khc_timeline;
static unsigned long khc_timeline_nr;	/* events ever logged this session */

/*
 * Parameters.  All of them can be changed while the compactor runs; a
 * pass reads them once at its start.
 */

static int khc_enabled_set(const char *val, const struct kernel_param *kp);
static const struct kernel_param_ops khc_enabled_ops = {
	.set = khc_enabled_set,
	.get = param_get_bool,
};

/*
 * Start (Y) or stop (N) the compactor kthread, khugehog_compactd.  Each
 * start begins a new session: counters and timeline in debugfs
 * compactor_status and compactor_timeline start from zero.  Stopping
 * interrupts a pass in progress and returns within a second.
 */
static bool compactor_enabled;
module_param_cb(compactor_enabled, &khc_enabled_ops, &compactor_enabled, 0644);
MODULE_PARM_DESC(compactor_enabled,
		 "Run the proactive compactor kthread (default: N)");

static int khc_strategy_set(const char *val, const struct kernel_param *kp);
static int khc_strategy_get(char *buf, const struct kernel_param *kp);
static const struct kernel_param_ops khc_strategy_ops = {
	.set = khc_strategy_set,
	.get = khc_strategy_get,
};

/* How a pass compacts: see the comment at the top of this file. */
static int compactor_strategy = KHC_TARGETED;
module_param_cb(compactor_strategy, &khc_strategy_ops, &compactor_strategy,
		0644);
MODULE_PARM_DESC(compactor_strategy,
		 "targeted (alloc_contig_range on the cheapest blocks, default), node (the node's compact file), alloc (allocate and free order-N pages)");

#define KHC_UINT_PARAM(name, min, max)					\
static int khc_set_##name(const char *val, const struct kernel_param *kp) \
{									\
	return param_set_uint_minmax(val, kp, min, max);		\
}									\
static const struct kernel_param_ops khc_##name##_ops = {		\
	.set = khc_set_##name,						\
	.get = param_get_uint,						\
}

KHC_UINT_PARAM(interval, 10, 60000);
KHC_UINT_PARAM(index_threshold, 0, 1000);
KHC_UINT_PARAM(order, 1, KHH_NR_ORDERS - 1);
KHC_UINT_PARAM(pass_blocks, 1, 4096);

/* How often the kthread checks the node scores, in ms. */
static unsigned int compactor_interval_ms = 500;
module_param_cb(compactor_interval_ms, &khc_interval_ops,
		&compactor_interval_ms, 0644);
MODULE_PARM_DESC(compactor_interval_ms,
		 "Check interval in ms, 10 to 60000 (default: 500, kcompactd's); a pass without progress doubles it, up to 64x");

static int khc_wmark_set(const char *val, const struct kernel_param *kp);
static const struct kernel_param_ops khc_wmark_ops = {
	.set = khc_wmark_set,
	.get = param_get_uint,
};

/*
 * The watermarks are node fragmentation scores (0 to 100, as kcompactd
 * computes them): compaction starts above high and stops at or below low.
 * With vm.compaction_proactiveness=P the kernel uses low = 100 - P.
 */
static unsigned int compactor_wmark_high = 20;
module_param_cb(compactor_wmark_high, &khc_wmark_ops, &compactor_wmark_high,
		0644);
MODULE_PARM_DESC(compactor_wmark_high,
		 "Compact a node whose fragmentation score is above this, 1 to 100, above wmark_low (default: 20)");

static unsigned int compactor_wmark_low = 5;
module_param_cb(compactor_wmark_low, &khc_wmark_ops, &compactor_wmark_low,
		0644);
MODULE_PARM_DESC(compactor_wmark_low,
		 "Stop when the node's score is at or below this, 0 to 99, below wmark_high (default: 5)");

/*
 * A second trigger: a zone whose fragmentation index at compactor_order
 * (extfrag_index x 1000) is above this.  The kernel's own threshold for
 * compacting rather than reclaiming is vm.extfrag_threshold, 500.
 */
static unsigned int compactor_index_threshold;
module_param_cb(compactor_index_threshold, &khc_index_threshold_ops,
		&compactor_index_threshold, 0644);
MODULE_PARM_DESC(compactor_index_threshold,
		 "Also compact when a zone's fragmentation index at compactor_order, x1000, is above this, 0 to 1000 (default: 0, off)");

/* The order wanted: index order, targeted block size, alloc order. */
static unsigned int compactor_order = 9;
module_param_cb(compactor_order, &khc_order_ops, &compactor_order, 0644);
MODULE_PARM_DESC(compactor_order,
		 "Target order, 1 to the largest buddy order (10 on x86-64) (default: 9); targeted empties blocks of max(order, pageblock_order)");

/* Work bound of one pass; between passes the kthread sleeps and rechecks. */
static unsigned int compactor_pass_blocks = 64;
module_param_cb(compactor_pass_blocks, &khc_pass_blocks_ops,
		&compactor_pass_blocks, 0644);
MODULE_PARM_DESC(compactor_pass_blocks,
		 "Per pass at most this many blocks emptied (targeted) or pages allocated (alloc), 1 to 4096 (default: 64); node: one node compaction per pass");

static int khc_strategy_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(khc_strategy_names, val);

	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(compactor_strategy, i);
	return 0;
}

static int khc_strategy_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  khc_strategy_names[READ_ONCE(compactor_strategy)]);
}

/*
 * low < high is checked against the other one's current value at run
 * time, and once both are set at insmod (khh_compactor_init()), so that
 * they can be given in either order.
 */
static int khc_wmark_set(const char *val, const struct kernel_param *kp)
{
	bool high = kp->arg == &compactor_wmark_high;
	unsigned int v;
	int ret;

	ret = kstrtouint(val, 0, &v);
	if (ret)
		return ret;
	if (high ? (v < 1 || v > 100) : v > 99)
		return -EINVAL;
	mutex_lock(&khc_lock);
	if (khc_ready && (high ? v <= compactor_wmark_low :
				 v >= compactor_wmark_high))
		ret = -EINVAL;
	else
		WRITE_ONCE(*(unsigned int *)kp->arg, v);
	mutex_unlock(&khc_lock);
	return ret;
}

/* The kthread returns: khc_stop(), or module unload. */
static bool khc_stop_requested(void)
{
	return kthread_should_stop() || READ_ONCE(khc_stopping);
}

/* A pass in progress ends early: the compactor stops, or the system sleeps. */
static bool khc_should_stop(void)
{
	return khc_stop_requested() || READ_ONCE(khc_pm_paused);
}

static u64 khc_now(void)
{
	return ktime_get_ns() - khc_stats.start_ns;
}

static unsigned long khc_pgmigrate_success(void)
{
	unsigned long *ev, v;

	ev = kcalloc(NR_VM_EVENT_ITEMS, sizeof(*ev), GFP_KERNEL);
	if (!ev)
		return 0;
	all_vm_events(ev);
	v = ev[PGMIGRATE_SUCCESS];
	kfree(ev);
	return v;
}

static void khc_log(int nid, unsigned int score, unsigned long free_blocks,
		    enum khc_action action)
{
	struct khc_event *e;

	spin_lock(&khc_stats_lock);
	e = &khc_timeline[khc_timeline_nr++ % KHC_TIMELINE_LEN];
	e->time_ns = khc_now();
	e->nid = nid;
	e->score = score;
	e->free_blocks = free_blocks;
	e->action = action;
	spin_unlock(&khc_stats_lock);
}

static void khc_stat_add(unsigned long *counter, unsigned long n)
{
	spin_lock(&khc_stats_lock);
	*counter += n;
	spin_unlock(&khc_stats_lock);
}

static void khc_set_state(enum khc_state state)
{
	spin_lock(&khc_stats_lock);
	khc_stats.state = state;
	spin_unlock(&khc_stats_lock);
}

/* The second trigger: any zone's fragmentation index above the threshold. */
static bool khc_node_index_high(int nid, unsigned int order,
				unsigned int threshold)
{
	pg_data_t *pgdat = NODE_DATA(nid);
	struct khh_contig_info info;
	u64 nr_free[KHH_NR_ORDERS];
	struct zone *zone;
	int z;

	if (!threshold)
		return false;
	for (z = 0; z < MAX_NR_ZONES; z++) {
		zone = &pgdat->node_zones[z];
		if (!populated_zone(zone))
			continue;
		khh_zone_nr_free(zone, nr_free);
		khh_contig_info(nr_free, KHH_NR_ORDERS, order, &info);
		if (khh_fragmentation_index(order, &info) > (int)threshold)
			return true;
	}
	return false;
}

/*
 * The compactor gives way when memory runs short: it holds pages while it
 * works (soaked pages, emptied blocks, hugepages), and must never be what
 * pushes someone else into reclaim or the OOM killer.
 */
static bool khc_zone_tight(struct zone *zone)
{
	return zone_page_state(zone, NR_FREE_PAGES) <
	       4 * high_wmark_pages(zone) + 512;
}

static bool khc_node_tight(int nid)
{
	pg_data_t *pgdat = NODE_DATA(nid);
	int z;

	for (z = 0; z < MAX_NR_ZONES; z++)
		if (populated_zone(&pgdat->node_zones[z]) &&
		    khc_zone_tight(&pgdat->node_zones[z]))
			return true;
	return false;
}

/* ---- targeted ---- */

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
 * The in-use pages of every block when the session first planned its
 * zone: what a compactor that moves no page twice would migrate to empty
 * the same blocks (the floor the status reports against).
 */
struct khc_floor {
	struct zone *zone;
	unsigned long base_pfn, nr_blocks;
	unsigned int border;
	unsigned short *used;
};

#define KHC_MAX_FLOORS 64
static struct khc_floor khc_floors[KHC_MAX_FLOORS];

static struct khc_floor *khc_floor_of(struct zone *zone, unsigned int border)
{
	int i;

	for (i = 0; i < KHC_MAX_FLOORS && khc_floors[i].zone; i++)
		if (khc_floors[i].zone == zone &&
		    khc_floors[i].border == border)
			return &khc_floors[i];
	return NULL;
}

/* Only the kthread touches them, and khc_start() after it is gone. */
static void khc_floors_free(void)
{
	int i;

	for (i = 0; i < KHC_MAX_FLOORS; i++)
		kvfree(khc_floors[i].used);
	memset(khc_floors, 0, sizeof(khc_floors));
}

struct khc_pass {
	struct zone *zone;
	unsigned long base_pfn;		/* first block's pfn */
	unsigned long nr_blocks;
	unsigned int border;		/* block order */
	struct khc_block *blocks;
	struct khc_floor *floor;
	unsigned long *order_by_cost;	/* block indexes, cheapest first */
	unsigned long nr_now;
	unsigned long *now;		/* this pass's blocks, in order */
	struct list_head *now_soaked;	/* per block of now: soaked pages */
	struct list_head keep, hold;
	unsigned long *emptied;		/* pfns of blocks emptied, held */
	unsigned long nr_emptied;
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

static void khc_floor_record(struct khc_pass *p)
{
	struct khc_floor *f = khc_floor_of(p->zone, p->border);
	unsigned long i;
	int slot;

	if (f) {
		p->floor = f->base_pfn == p->base_pfn &&
			   f->nr_blocks == p->nr_blocks ? f : NULL;
		return;
	}
	for (slot = 0; slot < KHC_MAX_FLOORS && khc_floors[slot].zone; slot++)
		;
	if (slot == KHC_MAX_FLOORS)
		return;
	f = &khc_floors[slot];
	f->used = kvcalloc(p->nr_blocks, sizeof(*f->used), GFP_KERNEL);
	if (!f->used)
		return;
	for (i = 0; i < p->nr_blocks; i++)
		f->used[i] = p->blocks[i].used;
	f->zone = p->zone;
	f->base_pfn = p->base_pfn;
	f->nr_blocks = p->nr_blocks;
	f->border = p->border;
	p->floor = f;
}

/*
 * Plan a pass over one zone: classify every block, sort the movable ones
 * by cost, and choose how many can be emptied in all (their in-use pages
 * must fit in the free pages of the blocks kept) and which this pass does.
 */
static int khc_plan(struct khc_pass *p, struct zone *zone, unsigned int border,
		    unsigned int max_blocks)
{
	unsigned long bsize = 1UL << border, start, end, i, n = 0, k;
	unsigned long moved = 0, room = 0;
	unsigned int used;

	start = ALIGN(zone->zone_start_pfn, bsize);
	end = ALIGN_DOWN(zone_end_pfn(zone), bsize);
	if (end <= start)
		return -ENOENT;
	p->zone = zone;
	p->border = border;
	p->base_pfn = start;
	p->nr_blocks = (end - start) >> border;
	p->blocks = kvcalloc(p->nr_blocks, sizeof(*p->blocks), GFP_KERNEL);
	p->order_by_cost = kvcalloc(p->nr_blocks, sizeof(unsigned long),
				    GFP_KERNEL);
	if (!p->blocks || !p->order_by_cost)
		return -ENOMEM;

	for (i = 0; i < p->nr_blocks; i++) {
		struct khc_block *b = &p->blocks[i];

		if (!(i % 64)) {
			if (khc_should_stop())
				return -EINTR;
			cond_resched();
		}
		if (!khc_block_scan(zone, start + (i << border), bsize, &used)) {
			b->class = KHC_BLK_SKIP;
			continue;
		}
		b->used = used;
		b->class = used ? KHC_BLK_KEEP : KHC_BLK_FREE;
		if (used)
			p->order_by_cost[n++] = i;
	}
	khc_floor_record(p);
	sort_r(p->order_by_cost, n, sizeof(unsigned long), khc_cost_cmp, NULL,
	       p->blocks);

	/* Empty the k cheapest while the rest can take their pages. */
	for (i = 0; i < n; i++)
		room += bsize - p->blocks[p->order_by_cost[i]].used;
	for (k = 0; k < n; k++) {
		struct khc_block *b = &p->blocks[p->order_by_cost[k]];
		unsigned long own_room = bsize - b->used;

		if (room < own_room || moved + b->used > room - own_room)
			break;
		moved += b->used;
		room -= own_room;
		b->class = KHC_BLK_LATER;
	}

	p->now = kvcalloc(max_blocks, sizeof(*p->now), GFP_KERNEL);
	p->now_soaked = kvcalloc(max_blocks, sizeof(*p->now_soaked),
				 GFP_KERNEL);
	p->emptied = kvcalloc(max_blocks, sizeof(*p->emptied), GFP_KERNEL);
	if (!p->now || !p->now_soaked || !p->emptied)
		return -ENOMEM;
	for (i = 0; i < k && p->nr_now < max_blocks; i++) {
		unsigned long idx = p->order_by_cost[i];

		p->blocks[idx].class = KHC_BLK_NOW;
		p->blocks[idx].slot = p->nr_now;
		INIT_LIST_HEAD(&p->now_soaked[p->nr_now]);
		p->now[p->nr_now++] = idx;
	}
	return p->nr_now ? 0 : -ENOENT;
}

static struct khc_block *khc_block_of(struct khc_pass *p, struct page *page,
				      unsigned long *idx)
{
	unsigned long pfn = page_to_pfn(page);

	if (page_zone(page) != p->zone || pfn < p->base_pfn)
		return NULL;
	*idx = (pfn - p->base_pfn) >> p->border;
	return *idx < p->nr_blocks ? &p->blocks[*idx] : NULL;
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
	struct zone *zone = p->zone;
	struct khc_block *b;
	struct page *page;

	for (i = 0; i < p->nr_now; i++)
		want += p->blocks[p->now[i]].used;
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
	khc_stat_add(&khc_stats.pages_soaked, soaked);
}

static void khc_empty_block(struct khc_pass *p, unsigned long slot)
{
	unsigned long idx = p->now[slot];
	unsigned long pfn = p->base_pfn + (idx << p->border);
	unsigned long nr = 1UL << p->border;
	unsigned int used = 0;
	u64 t0, ns;
	int ret;

	khc_free_list(&p->now_soaked[slot]);
	if (!khc_block_scan(p->zone, pfn, nr, &used)) {
		khc_stat_add(&khc_stats.blocks_busy, 1);
		trace_compact_block(pfn, p->border, 0, -EBUSY, 0);
		return;
	}
	t0 = ktime_get_ns();
	ret = khh_alloc_contig(pfn, pfn + nr);
	ns = ktime_get_ns() - t0;
	trace_compact_block(pfn, p->border, ret ? 0 : used, ret, ns);
	if (ret) {
		if (ret == -EBUSY)
			khc_stat_add(&khc_stats.blocks_busy, 1);
		else if (ret != -EINTR)
			khc_stat_add(&khc_stats.blocks_failed, 1);
		return;
	}
	p->emptied[p->nr_emptied++] = pfn;
	spin_lock(&khc_stats_lock);
	khc_stats.blocks_emptied++;
	khc_stats.pages_floor += p->floor ? p->floor->used[idx] :
					    p->blocks[idx].used;
	khc_stats.pages_migrated += used;
	spin_unlock(&khc_stats_lock);
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

/* The pass's result goes into *piecewise: blocks freed page by page. */
static void khc_pass_free(struct khc_pass *p, unsigned long *piecewise)
{
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
		if (!khc_free_block(pfn, p->border))
			(*piecewise)++;
		if (READ_ONCE(khc_hold_tail_ref))
			put_page(pfn_to_page(pfn + 1));
	}
	kvfree(p->emptied);
	kvfree(p->now_soaked);
	kvfree(p->now);
	kvfree(p->order_by_cost);
	kvfree(p->blocks);
}

/* One pass over one zone; returns the blocks emptied. */
static unsigned long khc_targeted_zone(struct zone *zone, int nid,
				       unsigned int order,
				       unsigned int max_blocks)
{
	struct khc_pass p = { };
	unsigned long i, done = 0, piecewise = 0;

	INIT_LIST_HEAD(&p.keep);
	INIT_LIST_HEAD(&p.hold);
	if (khc_plan(&p, zone, max_t(unsigned int, order, pageblock_order),
		     max_blocks))
		goto out;
	khc_soak(&p, nid);
	khc_free_list(&p.keep);
	for (i = 0; i < p.nr_now && !khc_should_stop(); i++) {
		if (khc_zone_tight(zone))
			break;
		khc_empty_block(&p, i);
	}
	done = p.nr_emptied;
out:
	khc_pass_free(&p, &piecewise);
	khc_stat_add(&khc_stats.blocks_freed_piecewise, piecewise);
	return done;
}

static unsigned long khc_pass_targeted(int nid, unsigned int order,
				       unsigned int max_blocks)
{
	pg_data_t *pgdat = NODE_DATA(nid);
	unsigned long done = 0;
	struct zone *zone;
	int z;

	/* Highest zone first, as the allocator falls back downwards. */
	for (z = MAX_NR_ZONES - 1; z >= 0 && done < max_blocks; z--) {
		zone = &pgdat->node_zones[z];
		if (!populated_zone(zone) || khc_should_stop())
			continue;
		done += khc_targeted_zone(zone, nid, order, max_blocks - done);
	}
	return done;
}

/* ---- node ---- */

static unsigned long khc_pass_node(int nid)
{
	char path[64];
	struct file *f;
	loff_t pos = 0;
	ssize_t ret;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/compact",
		 nid);
	f = filp_open(path, O_WRONLY, 0);
	if (IS_ERR(f)) {
		pr_warn_once("compactor: cannot open %s: %ld\n", path,
			     PTR_ERR(f));
		return 0;
	}
	ret = kernel_write(f, "1", 1, &pos);
	filp_close(f, NULL);
	return ret == 1;
}

/* ---- alloc ---- */

/*
 * Consecutive failures a pass that has not compacted yet goes through:
 * enough for a zone's deferred compaction to run its whole cycle and
 * restart (see below).
 */
#define KHC_ALLOC_MAX_FAILS	(2 << KHC_MAX_DEFER_SHIFT)

/*
 * Free blocks are handed out before anything is compacted, so a pass
 * allocates those that were free at its start plus max_pages more.
 *
 * Each attempt at a costly order gets one async compaction, one direct
 * reclaim and one sync-light compaction, and no more: the stop flag is
 * checked between attempts, and compaction itself gives up on SIGKILL.
 * __GFP_RETRY_MAYFAIL would loop through reclaim for seconds (up to 26 s
 * to stop under TCG, SIGKILL or not), and its retries never reach the
 * priority that ignores the pageblock skip hints: for costly orders the
 * floor is MIN_COMPACT_COSTLY_PRIORITY, sync-light.  Once the hints cover
 * the zone, direct compaction crosses it in one step and fails; the
 * hints are cleared only when kswapd goes to sleep, or when the zone's
 * compaction, deferred after each sync failure, restarts after
 * 1 << KHC_MAX_DEFER_SHIFT deferred attempts, and either only while
 * compact_blockskip_flush is set (a direct compaction's scanners met,
 * and none has ended with a page since).  So a pass that has not
 * compacted anything yet does not end at its first failure: its deferred
 * attempts (two per allocation, which fail fast) carry the zone through
 * that cycle.  Once it has, the first failure ends it, as one THP fault's
 * would: the success before it reset the deferral, so the pass leaves it
 * one step deep, not at the bottom for whoever allocates next.
 */
static unsigned long khc_pass_alloc(int nid, unsigned int order,
				    unsigned int max_pages)
{
	const gfp_t gfp = GFP_HIGHUSER_MOVABLE | __GFP_THISNODE |
			  __GFP_NOWARN | __GFP_NOMEMALLOC;
	unsigned long n = 0, fails = 0, base, limit;
	struct page *page, *next;
	LIST_HEAD(pages);

	base = khh_node_free_blocks(nid, order);
	limit = base + max_pages;
	while (n < limit && !khc_should_stop() && !khc_node_tight(nid)) {
		page = alloc_pages_node(nid, gfp, order);
		if (!page) {
			khc_stat_add(&khc_stats.alloc_failures, 1);
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
		__free_pages(page, order);
	}
	khc_stat_add(&khc_stats.hugepages_allocated, n);
	return n > base ? n - base : 0;
}

/* ---- the kthread ---- */

static bool khc_node_wants(int nid, unsigned int score, bool compacting)
{
	unsigned int low = READ_ONCE(compactor_wmark_low);
	unsigned int high = READ_ONCE(compactor_wmark_high);

	if (compacting)
		return score > low;
	return score > high ||
	       (score > low &&
		khc_node_index_high(nid, READ_ONCE(compactor_order),
				    READ_ONCE(compactor_index_threshold)));
}

/* One pass on one node; true if it made progress. */
static bool khc_pass(int nid)
{
	unsigned int order = READ_ONCE(compactor_order);
	unsigned int bound = READ_ONCE(compactor_pass_blocks);
	u64 t0 = ktime_get_ns(), free_before, free_after;
	unsigned int before, after;
	unsigned long done = 0;

	before = khh_node_frag(nid, &free_before);
	switch (READ_ONCE(compactor_strategy)) {
	case KHC_TARGETED:
		done = khc_pass_targeted(nid, order, bound);
		khh_drain_pcp(nid);
		break;
	case KHC_NODE:
		done = khc_pass_node(nid);
		break;
	case KHC_ALLOC:
		done = khc_pass_alloc(nid, order, bound);
		khh_drain_pcp(nid);
		break;
	}
	after = khh_node_frag(nid, &free_after);
	spin_lock(&khc_stats_lock);
	khc_stats.passes++;
	khc_stats.compact_ns += ktime_get_ns() - t0;
	spin_unlock(&khc_stats_lock);
	return done && (after < before || free_after > free_before);
}

/* Every node's score against the watermarks; true if all are at target. */
static bool khc_check(nodemask_t *compacting, unsigned int *backoff)
{
	unsigned int low = READ_ONCE(compactor_wmark_low), score;
	bool all_low = true, progress;
	u64 free;
	int nid;

	for_each_online_node(nid) {
		bool was = node_isset(nid, *compacting);

		score = khh_node_frag(nid, &free);
		if (!khc_node_wants(nid, score, was)) {
			if (was)
				node_clear(nid, *compacting);
			khc_log(nid, score, free,
				was ? KHC_ACT_TARGET : KHC_ACT_IDLE);
			if (score > low)
				all_low = false;
			continue;
		}
		if (!was) {
			node_set(nid, *compacting);
			khc_log(nid, score, free, KHC_ACT_START);
		}
		khc_set_state(KHC_COMPACTING);
		progress = khc_pass(nid);
		if (khc_should_stop())
			return false;
		score = khh_node_frag(nid, &free);
		khc_log(nid, score, free,
			progress ? KHC_ACT_PASS : KHC_ACT_NOPROGRESS);
		if (progress) {
			*backoff = 0;
		} else {
			khc_stat_add(&khc_stats.passes_no_progress, 1);
			if (*backoff < KHC_MAX_BACKOFF)
				(*backoff)++;
		}
		if (score <= low) {
			node_clear(nid, *compacting);
			khc_log(nid, score, free, KHC_ACT_TARGET);
		} else {
			all_low = false;
		}
	}
	return all_low;
}

/*
 * SIGKILL is how a pass in progress is cut short: alloc_contig_range(),
 * direct compaction and the node compact file all stop on a fatal signal.
 * Only the kernel's own may arrive (allow_kernel_signal(): a userspace
 * kill -9 is dropped), and only khc_stop() and the suspend notifier send
 * one.  Once the pass is over, a signal that is not a stop is flushed:
 * left pending, it would end every sleep and every pass at once.
 */
static void khc_flush_stray_signal(void)
{
	if (signal_pending(current) && !khc_stop_requested())
		flush_signals(current);
}

static int khc_thread(void *data)
{
	nodemask_t compacting = NODE_MASK_NONE;
	unsigned int backoff = 0;
	unsigned long timeout;

	set_freezable();
	allow_kernel_signal(SIGKILL);
	while (!khc_stop_requested()) {
		bool at_target;

		khc_flush_stray_signal();
		if (READ_ONCE(khc_pm_paused)) {
			/* Suspend or hibernation: freeze here, not mid-pass. */
			wait_event_freezable(khc_wait, khc_stop_requested() ||
					     !READ_ONCE(khc_pm_paused));
			continue;
		}
		/* A node may have gone offline since it started compacting. */
		nodes_and(compacting, compacting, node_states[N_ONLINE]);
		at_target = khc_check(&compacting, &backoff);

		if (at_target) {
			spin_lock(&khc_stats_lock);
			if (khc_stats.target_reached_ns < 0)
				khc_stats.target_reached_ns = khc_now();
			spin_unlock(&khc_stats_lock);
		}
		if (!nodes_empty(compacting) && !backoff) {
			/* More to do: no sleep, but no holding up suspend. */
			try_to_freeze();
			continue;
		}
		khc_set_state(backoff ? KHC_BACKOFF : KHC_IDLE);
		timeout = msecs_to_jiffies(READ_ONCE(compactor_interval_ms)
					   << backoff);
		khc_flush_stray_signal();
		wait_event_freezable_timeout(khc_wait, khc_should_stop(),
					     timeout);
	}
	return 0;
}

/* With khc_lock held. */
static int khc_start(void)
{
	struct task_struct *t;

	if (khc_task)
		return 0;
	khc_floors_free();
	spin_lock(&khc_stats_lock);
	memset(&khc_stats, 0, sizeof(khc_stats));
	khc_stats.target_reached_ns = -1;
	khc_stats.start_ns = ktime_get_ns();
	khc_stats.state = KHC_IDLE;
	khc_timeline_nr = 0;
	spin_unlock(&khc_stats_lock);
	khc_stats.pgmigrate_base = khc_pgmigrate_success();
	WRITE_ONCE(khc_stopping, false);
	t = kthread_run(khc_thread, NULL, "khugehog_compactd");
	if (IS_ERR(t))
		return PTR_ERR(t);
	/* Held so that kthread_stop() works even if the thread has returned. */
	get_task_struct(t);
	khc_task = t;
	return 0;
}

/* With khc_lock held. */
static void khc_stop(void)
{
	if (!khc_task)
		return;
	WRITE_ONCE(khc_stopping, true);
	send_sig(SIGKILL, khc_task, 1);
	wake_up(&khc_wait);
	kthread_stop(khc_task);
	put_task_struct(khc_task);
	khc_task = NULL;
	khc_log(NUMA_NO_NODE, 0, 0, KHC_ACT_STOP);
	khc_set_state(KHC_OFF);
}

/*
 * A pass can take seconds (a node compaction, a pass of thousands of
 * blocks), and the freezer gives freezable kthreads 20 s.  Before the
 * system sleeps, the pass in progress is cut short and no other starts
 * until it wakes up; the kthread freezes where it waits.
 */
static int khc_pm_notify(struct notifier_block *nb, unsigned long action,
			 void *data)
{
	switch (action) {
	case PM_HIBERNATION_PREPARE:
	case PM_SUSPEND_PREPARE:
	case PM_RESTORE_PREPARE:
		mutex_lock(&khc_lock);
		WRITE_ONCE(khc_pm_paused, true);
		if (khc_task)
			send_sig(SIGKILL, khc_task, 1);
		mutex_unlock(&khc_lock);
		break;
	case PM_POST_HIBERNATION:
	case PM_POST_SUSPEND:
	case PM_POST_RESTORE:
		WRITE_ONCE(khc_pm_paused, false);
		wake_up(&khc_wait);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block khc_pm_nb = {
	.notifier_call = khc_pm_notify,
};

static int khc_enabled_set(const char *val, const struct kernel_param *kp)
{
	bool enable;
	int ret;

	ret = kstrtobool(val, &enable);
	if (ret)
		return ret;
	mutex_lock(&khc_lock);
	if (!khc_ready) {
		/* insmod: khh_compactor_init() starts it */
		compactor_enabled = enable;
		goto out_unlock;
	}
	if (enable)
		ret = khc_start();
	else
		khc_stop();
	if (!ret)
		compactor_enabled = enable;
out_unlock:
	mutex_unlock(&khc_lock);
	return ret;
}

/* ---- debugfs ---- */

static int khc_status_show(struct seq_file *m, void *v)
{
	unsigned long pgmigrate = khc_pgmigrate_success();
	struct khc_stats st;
	unsigned int score;
	bool enabled;
	u64 free;
	int nid;

	mutex_lock(&khc_lock);
	enabled = khc_task;
	spin_lock(&khc_stats_lock);
	st = khc_stats;
	spin_unlock(&khc_stats_lock);
	mutex_unlock(&khc_lock);

	seq_printf(m, "enabled %d\n", enabled);
	seq_printf(m, "strategy %s\n",
		   khc_strategy_names[READ_ONCE(compactor_strategy)]);
	seq_printf(m, "state %s\n", khc_state_names[st.state]);
	seq_printf(m, "session_ns %llu\n",
		   st.start_ns ? ktime_get_ns() - st.start_ns : 0);
	seq_printf(m, "passes %lu\n", st.passes);
	seq_printf(m, "passes_no_progress %lu\n", st.passes_no_progress);
	seq_printf(m, "blocks_emptied %lu\n", st.blocks_emptied);
	seq_printf(m, "blocks_busy %lu\n", st.blocks_busy);
	seq_printf(m, "blocks_failed %lu\n", st.blocks_failed);
	seq_printf(m, "blocks_freed_piecewise %lu\n",
		   st.blocks_freed_piecewise);
	seq_printf(m, "pages_floor %lu\n", st.pages_floor);
	seq_printf(m, "pages_migrated %lu\n", st.pages_migrated);
	seq_printf(m, "pgmigrate_success %lu\n",
		   st.start_ns ? pgmigrate - st.pgmigrate_base : 0);
	seq_printf(m, "pages_soaked %lu\n", st.pages_soaked);
	seq_printf(m, "hugepages_allocated %lu\n", st.hugepages_allocated);
	seq_printf(m, "alloc_failures %lu\n", st.alloc_failures);
	seq_printf(m, "compact_ns %llu\n", st.compact_ns);
	seq_printf(m, "target_reached_ns %lld\n",
		   st.start_ns ? st.target_reached_ns : -1);
	for_each_online_node(nid) {
		score = khh_node_frag(nid, &free);
		seq_printf(m, "node%d_score %u\n", nid, score);
		seq_printf(m, "node%d_free_blocks %llu\n", nid, free);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(khc_status);

static int khc_timeline_show(struct seq_file *m, void *v)
{
	unsigned long i, first, nr;
	struct khc_event e;

	spin_lock(&khc_stats_lock);
	nr = khc_timeline_nr;
	spin_unlock(&khc_stats_lock);
	first = nr > KHC_TIMELINE_LEN ? nr - KHC_TIMELINE_LEN : 0;
	seq_printf(m, "# time_ns node score free_blocks action (%lu dropped)\n",
		   first);
	for (i = first; i < nr; i++) {
		spin_lock(&khc_stats_lock);
		if (khc_timeline_nr - i > KHC_TIMELINE_LEN) {
			spin_unlock(&khc_stats_lock);
			continue;	/* overwritten while we printed */
		}
		e = khc_timeline[i % KHC_TIMELINE_LEN];
		spin_unlock(&khc_stats_lock);
		seq_printf(m, "%llu %d %u %lu %s\n", e.time_ns, e.nid, e.score,
			   e.free_blocks, khc_action_names[e.action]);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(khc_timeline);

/* The files of the compactor's session, and its test aid. */
void khh_compactor_debugfs_init(struct dentry *dir)
{
	debugfs_create_file("compactor_status", 0444, dir, NULL,
			    &khc_status_fops);
	debugfs_create_file("compactor_timeline", 0444, dir, NULL,
			    &khc_timeline_fops);
	debugfs_create_bool("compactor_hold_tail_ref", 0600, dir,
			    &khc_hold_tail_ref);
}

int khh_compactor_init(void)
{
	int ret;

	khc_timeline = vcalloc(KHC_TIMELINE_LEN, sizeof(*khc_timeline));
	if (!khc_timeline)
		return -ENOMEM;
	ret = register_pm_notifier(&khc_pm_nb);
	if (ret)
		goto err_free_timeline;
	mutex_lock(&khc_lock);
	/* Both watermarks are set now, in whichever order insmod gave them. */
	if (compactor_wmark_low >= compactor_wmark_high) {
		pr_err("compactor_wmark_low=%u: must be below compactor_wmark_high=%u\n",
		       compactor_wmark_low, compactor_wmark_high);
		ret = -EINVAL;
	} else {
		khc_ready = true;
		ret = compactor_enabled ? khc_start() : 0;
		if (ret)
			khc_ready = false;
	}
	mutex_unlock(&khc_lock);
	if (ret)
		goto err_unregister;
	return 0;

err_unregister:
	unregister_pm_notifier(&khc_pm_nb);
err_free_timeline:
	vfree(khc_timeline);
	return ret;
}

void khh_compactor_exit(void)
{
	mutex_lock(&khc_lock);
	khc_stop();
	khc_ready = false;
	mutex_unlock(&khc_lock);
	unregister_pm_notifier(&khc_pm_nb);
	khc_floors_free();
	vfree(khc_timeline);
}
