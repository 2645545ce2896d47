// SPDX-License-Identifier: GPL-2.0
/*
 * The compactor's session in debugfs: compactor_status ("key value"
 * lines) and compactor_timeline (one line per check and per pass).  The
 * keys are the module's: scripts read them from here.
 */
#include <linux/debugfs.h>
#include <linux/nodemask.h>
#include <linux/seq_file.h>
#include <linux/stddef.h>
#include <linux/timekeeping.h>

#include "khugehog.h"
#include "compactor.h"

static const char * const khc_action_names[] = {
	[KHC_ACT_IDLE]		= "idle",
	[KHC_ACT_START]		= "start",
	[KHC_ACT_PASS]		= "pass",
	[KHC_ACT_NOPROGRESS]	= "noprogress",
	[KHC_ACT_TARGET]	= "target",
	[KHC_ACT_STOP]		= "stop",
};

static const char * const khc_state_names[] = {
	[KHC_OFF]		= "off",
	[KHC_IDLE]		= "idle",
	[KHC_COMPACTING]	= "compacting",
	[KHC_BACKOFF]		= "backoff",
};

/* One status line per counter of the passes: its key is the field's name. */
#define KHC_COUNTER(field) { #field, offsetof(struct khc_counters, field) }

static const struct {
	const char *key;
	size_t offset;
} khc_counter_keys[] = {
	KHC_COUNTER(blocks_emptied),
	KHC_COUNTER(blocks_busy),
	KHC_COUNTER(blocks_failed),
	KHC_COUNTER(blocks_freed_piecewise),
	KHC_COUNTER(pages_floor),
	KHC_COUNTER(pages_migrated),
	KHC_COUNTER(pages_soaked),
	KHC_COUNTER(hugepages_allocated),
	KHC_COUNTER(alloc_failures),
	KHC_COUNTER(plans),
	KHC_COUNTER(plan_ns),
	KHC_COUNTER(soak_ns),
	KHC_COUNTER(contig_ns),
};

static int khc_status_show(struct seq_file *m, void *v)
{
	unsigned long pgmigrate = khc_pgmigrate_success();
	const struct khc_strategy *strategy;
	struct khc_settings set;
	struct khc_session st;
	unsigned int i, score;
	bool enabled;
	u64 free;
	int nid;

	BUILD_BUG_ON(ARRAY_SIZE(khc_counter_keys) !=
		     sizeof(struct khc_counters) / sizeof(unsigned long));
	enabled = khc_session_read(&st);
	khc_settings_read(&set);
	strategy = khc_strategy_at(set.strategy);
	seq_printf(m, "enabled %d\n", enabled);
	seq_printf(m, "strategy %s\n", strategy->name);
	seq_printf(m, "state %s\n", khc_state_names[st.state]);
	seq_printf(m, "session_ns %llu\n",
		   st.start_ns ? ktime_get_ns() - st.start_ns : 0);
	seq_printf(m, "passes %lu\n", st.passes);
	seq_printf(m, "passes_no_progress %lu\n", st.passes_no_progress);
	for (i = 0; i < ARRAY_SIZE(khc_counter_keys); i++)
		seq_printf(m, "%s %lu\n", khc_counter_keys[i].key,
			   *(unsigned long *)((char *)&st.counters +
					      khc_counter_keys[i].offset));
	seq_printf(m, "pgmigrate_success %lu\n",
		   st.start_ns ? pgmigrate - st.pgmigrate_base : 0);
	seq_printf(m, "compact_ns %llu\n", st.compact_ns);
	seq_printf(m, "drain_ns %llu\n", st.drain_ns);
	seq_printf(m, "sleep_ns %llu\n", st.sleep_ns);
	seq_printf(m, "cpu_ns %llu\n", st.cpu_ns);
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
	unsigned long i, first, nr = khc_events_logged();
	struct khc_event e;

	first = nr > KHC_TIMELINE_LEN ? nr - KHC_TIMELINE_LEN : 0;
	seq_printf(m, "# time_ns node score free_blocks action (%lu dropped)\n",
		   first);
	for (i = first; i < nr; i++) {
		if (!khc_event_read(i, &e))
			continue;	/* overwritten while we printed */
		seq_printf(m, "%llu %d %u %lu %s\n", e.time_ns, e.nid, e.score,
			   e.free_blocks, khc_action_names[e.action]);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(khc_timeline);

void khc_status_debugfs_init(struct dentry *dir)
{
	debugfs_create_file("compactor_status", 0444, dir, NULL,
			    &khc_status_fops);
	debugfs_create_file("compactor_timeline", 0444, dir, NULL,
			    &khc_timeline_fops);
}
