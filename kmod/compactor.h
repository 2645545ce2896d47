/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The proactive compactor's engine (compactor.c) and its strategies
 * (strategy_*.c): what a strategy is given, what it returns, and the few
 * services of the engine it may use.  Private to the compactor's files.
 */
#ifndef KHUGEHOG_COMPACTOR_H
#define KHUGEHOG_COMPACTOR_H

#include <linux/module.h>
#include <linux/types.h>

struct dentry;
struct zone;

/* mm/compaction.c's COMPACT_MAX_DEFER_SHIFT, private to it */
#define KHC_MAX_DEFER_SHIFT 6

/*
 * What one pass is asked to do, read from the parameters at its start.
 * fresh: the node has just started compacting, or the kthread slept
 * since the last pass; what a strategy kept from earlier passes (a plan)
 * may be stale.
 */
struct khc_pass_args {
	int nid;
	unsigned int order;		/* compactor_order */
	unsigned int bound;		/* compactor_pass_blocks */
	bool fresh;
};

/*
 * What one pass did.  done is the strategy's own measure of work (blocks
 * emptied, node compactions, hugepages gained): 0 is no progress.  The
 * counters are the session's; the engine adds them under its lock.
 */
struct khc_counters {
	unsigned long blocks_emptied;
	unsigned long blocks_busy;	/* -EBUSY from alloc_contig_range() */
	unsigned long blocks_failed;
	unsigned long blocks_freed_piecewise;
	unsigned long pages_floor;
	unsigned long pages_migrated;
	unsigned long pages_soaked;
	unsigned long hugepages_allocated;
	unsigned long alloc_failures;
	unsigned long plans;		/* full scans of a zone */
	/* where the pass's time went, in nanoseconds */
	unsigned long plan_ns;		/* scanning the zone and planning */
	unsigned long soak_ns;		/* taking free pages to steer migration */
	unsigned long contig_ns;	/* inside alloc_contig_range() */
};

struct khc_pass_result {
	unsigned long done;
	struct khc_counters counters;
};

/*
 * A strategy: its name (compactor_strategy), one pass over one node,
 * whether the engine drains the per-CPU lists after it (a pass that
 * frees many pages leaves them there), and optionally its files and
 * what it keeps over a session.
 */
struct khc_strategy {
	const char *name;
	void (*pass)(const struct khc_pass_args *args,
		     struct khc_pass_result *res);
	bool drain;
	void (*debugfs_init)(struct dentry *dir);
	void (*session_end)(void);
};

/*
 * Defines the strategy khc_strategy_NAME, named "NAME", and lists it in
 * the module's information: scripts that cannot read
 * /sys/module/khugehog/parameters/compactor_strategy (the module is not
 * loaded) read "modinfo -F compactor_strategy khugehog.ko".
 */
#define KHC_STRATEGY(sname, ...)					\
	MODULE_INFO(compactor_strategy, #sname);			\
	const struct khc_strategy khc_strategy_##sname = {		\
		.name = #sname,						\
		__VA_ARGS__						\
	}

/* The strategies, each in strategy_NAME.c; compactor.c has the table. */
extern const struct khc_strategy khc_strategy_targeted;
extern const struct khc_strategy khc_strategy_node;
extern const struct khc_strategy khc_strategy_alloc;

/* The engine's services. */
bool khc_should_stop(void);
bool khc_zone_tight(struct zone *zone);
bool khc_node_tight(int nid);

/* compactor_params.c */
struct khc_settings {
	unsigned int strategy;		/* index in the table */
	unsigned int interval_ms;
	unsigned int wmark_high, wmark_low;
	unsigned int index_threshold;
	unsigned int order;
	unsigned int pass_blocks;
	unsigned int reserve_blocks;
};

void khc_settings_read(struct khc_settings *s);
int khc_params_go_live(void);
const struct khc_strategy *khc_strategy_at(unsigned int i);

/* compactor_status.c */
void khc_status_debugfs_init(struct dentry *dir);

/* compactor.c, for compactor_status.c */
enum khc_action {
	KHC_ACT_IDLE,
	KHC_ACT_START,
	KHC_ACT_PASS,
	KHC_ACT_NOPROGRESS,
	KHC_ACT_TARGET,
	KHC_ACT_STOP,
};

enum khc_state {
	KHC_OFF,
	KHC_IDLE,
	KHC_COMPACTING,
	KHC_BACKOFF,
};

struct khc_event {
	u64 time_ns;
	int nid;
	unsigned int score;
	unsigned long free_blocks;
	enum khc_action action;
};

/* One session: from enable to disable.  Counters only grow within it. */
struct khc_session {
	u64 start_ns;
	u64 compact_ns;			/* in passes, draining included */
	u64 drain_ns;			/* draining per-CPU lists after passes */
	u64 sleep_ns;			/* waiting between checks */
	u64 cpu_ns;			/* the kthread's CPU time */
	s64 target_reached_ns;
	unsigned long passes, passes_no_progress;
	struct khc_counters counters;
	unsigned long pgmigrate_base;
	enum khc_state state;
};

#define KHC_TIMELINE_LEN 4096

bool khc_session_read(struct khc_session *s);
unsigned long khc_events_logged(void);
bool khc_event_read(unsigned long i, struct khc_event *e);
unsigned long khc_pgmigrate_success(void);

#endif /* KHUGEHOG_COMPACTOR_H */
