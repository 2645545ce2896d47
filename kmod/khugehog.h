/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khugehog: measure how long the page allocator takes to hand out
 * high-order (by default order-9, 2 MiB) pages.
 */
#ifndef KHUGEHOG_H
#define KHUGEHOG_H

#include <linux/atomic.h>
#include <asm/barrier.h>
#include <linux/gfp.h>
#include <linux/mutex.h>
#include <linux/types.h>

/* Number of buddy orders; MAX_ORDER changed meaning and name after 6.1. */
#define KHH_NR_ORDERS ARRAY_SIZE(((struct zone *)NULL)->free_area)

/*
 * alloc_contig_range() of [start, end), movable pages migrated away: its
 * third argument is a migratetype on 6.1 and 6.12, flags on 7.3.
 */
static inline int khh_alloc_contig(unsigned long start, unsigned long end)
{
#ifdef ACR_FLAGS_NONE
	return alloc_contig_range(start, end, ACR_FLAGS_NONE,
				  GFP_KERNEL | __GFP_NOWARN);
#else
	return alloc_contig_range(start, end, MIGRATE_MOVABLE,
				  GFP_KERNEL | __GFP_NOWARN);
#endif
}

/* A free movable page of the node, if there is one, without reclaim. */
#define KHH_GFP_FREE_PAGE	((GFP_HIGHUSER_MOVABLE & ~__GFP_RECLAIM) | \
				 __GFP_THISNODE | __GFP_NOWARN | \
				 __GFP_NOMEMALLOC)

struct khh_gfp_preset {
	const char *name;
	gfp_t gfp;
};

extern const struct khh_gfp_preset khh_gfp_presets[];
extern const unsigned int khh_nr_gfp_presets;

const struct khh_gfp_preset *khh_gfp_preset_find(const char *name);

/*
 * One allocation attempt: pfn is 0 when the attempt failed.  start_ns:
 * when it began, from the start of the run.  late_ns: with a rate, how
 * long after its due time it began, when the attempt before it ended
 * after that time; 0 when it was on time (the run waited for it).
 */
struct khh_sample {
	u64 latency_ns;
	unsigned long pfn;
	u64 start_ns;
	u64 late_ns;
};

struct khh_run_cfg {
	unsigned int order;
	const struct khh_gfp_preset *gfp;
	unsigned long count;	/* attempts at most; 0: no limit */
	unsigned int max_failures;	/* consecutive failures that end a run */
	unsigned long samples;	/* sample buffer size; 0: sized for the run */
	unsigned long rate;	/* attempts per second; 0: back to back */
};

#define KHH_MAX_FAILURES_LIMIT 1024
#define KHH_MAX_RATE 1000000

enum khh_state {
	KHH_IDLE,		/* no run yet */
	KHH_RUNNING,
	KHH_DONE,
};

enum khh_stop {
	KHH_STOP_NONE,
	KHH_STOP_FAILURE,	/* max_failures allocations failed in a row */
	KHH_STOP_COUNT,		/* the requested count was reached */
	KHH_STOP_ABORTED,	/* abort written, or module unloading */
	KHH_STOP_FLOOR,		/* one more would leave less than the floor free */
	KHH_STOP_FULL,		/* the sample buffer is full */
};

struct khh_latency_stats {
	u64 min_ns, max_ns, mean_ns;
	u64 p50_ns, p90_ns, p99_ns, p999_ns;
};

struct khh_run {
	struct khh_run_cfg cfg;
	gfp_t gfp;			/* what alloc_pages() is given */
	struct khh_sample *samples;
	u64 *sorted;			/* the statistics' scratch, allocated with samples */
	unsigned long capacity;
	unsigned long floor_pages;	/* the free-memory floor, when the run ended */
	/*
	 * The floor the last allocation was checked against: a watermark
	 * boost can lift the floor above free memory between two checks.
	 */
	unsigned long alloc_floor_pages;
	unsigned int floor_drains;	/* per-CPU list drains at the floor */
	unsigned int floor_drains_failed;	/* zones a drain did not reach */
	unsigned long nr;		/* samples written; smp_store_release */
	unsigned long allocated;	/* successful samples not yet released */
	unsigned long successes;
	unsigned long failures;
	unsigned long late;		/* attempts that began late */
	enum khh_stop stop;
	u64 duration_ns;
	u64 timer_overhead_ns;
	unsigned long free_kib_before, free_kib_after;
	struct khh_latency_stats stats;
};

struct task_struct;

struct khugehog {
	struct mutex lock;	/* state, run, runner, and the samples buffer */
	enum khh_state state;
	struct khh_run run;
	unsigned long runs_done;
	atomic_t abort;
	struct task_struct *runner;	/* the last run's kthread, referenced */
};

extern struct khugehog khh;

static inline unsigned long khh_samples_done(const struct khh_run *run)
{
	/* Pairs with the smp_store_release() that publishes each sample. */
	return smp_load_acquire(&run->nr);
}

extern struct khh_run_cfg khh_default_cfg;

struct dentry;

void khh_run_init(void);
int khh_run_start(const struct khh_run_cfg *cfg);
int khh_run_release(void);
void khh_run_abort(void);
void khh_run_exit(void);
unsigned long khh_max_count(unsigned int order);
unsigned long khh_max_samples(void);
int khh_run_cfg_check(const struct khh_run_cfg *cfg, bool verbose);
gfp_t khh_run_gfp(const struct khh_run_cfg *cfg);

/* free_memory.c */
unsigned long khh_free_pages(void);
unsigned long khh_free_floor_pages(unsigned int order);
bool khh_below_free_floor(unsigned int order, unsigned long *floor);
unsigned int khh_drain_pcp(int nid);

void khh_debugfs_init(void);
void khh_debugfs_exit(void);

/* COMPACTION_HPAGE_ORDER: the order kcompactd scores nodes at. */
#define KHH_SCORE_ORDER (PMD_SHIFT - PAGE_SHIFT)

void khh_extfrag_debugfs_init(struct dentry *dir);
struct zone;
void khh_zone_nr_free(struct zone *zone, u64 *nr_free);
unsigned int khh_node_frag(int nid, u64 *free_blocks);
u64 khh_node_free_blocks(int nid, unsigned int order);

/* pageblock.c */
struct page;
bool khh_pfn_usable(struct zone *zone, unsigned long pfn, struct page **pagep);
bool khh_pageblock_movable(unsigned long pfn);
void khh_pageblock_debugfs_init(struct dentry *dir);

int khh_compactor_init(void);
void khh_compactor_debugfs_init(struct dentry *dir);
void khh_compactor_exit(void);

int khh_pin(unsigned int share, u64 seed);
void khh_unpin(void);
unsigned long khh_nr_pinned(void);

#endif /* KHUGEHOG_H */
