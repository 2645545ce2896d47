// SPDX-License-Identifier: GPL-2.0
/*
 * khugehog_compactd: an optional proactive compactor, the engine.
 *
 * A kthread wakes every compactor_interval_ms, computes each online node's
 * fragmentation score (as kcompactd does, see extfrag.c) and, when a node
 * passes the high watermark, compacts it in bounded passes until its score
 * is at or below the low watermark.  How a pass compacts is a strategy's
 * (strategy_*.c), chosen by compactor_strategy from the table below; the
 * engine runs the passes, keeps the session's counters and timeline, and
 * starts and stops the kthread.  The parameters are compactor_params.c's,
 * the debugfs files compactor_status.c's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/freezer.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/moduleparam.h>
#include <linux/nodemask.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/suspend.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>
#include <linux/wait.h>

#include "khugehog.h"
#include "fragmentation.h"
#include "compactor.h"

/*
 * A pass without progress doubles the interval, up to 64x: kcompactd's
 * proactive back-off.
 */
#define KHC_MAX_BACKOFF KHC_MAX_DEFER_SHIFT

/* The strategies, in the order compactor_strategy lists them. */
static const struct khc_strategy *const khc_strategies[] = {
	&khc_strategy_targeted,
	&khc_strategy_node,
	&khc_strategy_alloc,
};

static DEFINE_MUTEX(khc_lock);		/* enable/disable, khc_task, khc_pm_paused */
static DEFINE_SPINLOCK(khc_session_lock); /* khc_session and the timeline */
static DECLARE_WAIT_QUEUE_HEAD(khc_wait);
static struct task_struct *khc_task;
static bool khc_ready;			/* module initialised, not exiting */
static bool khc_stopping;
static bool khc_pm_paused;		/* between suspend prepare and resume */
static struct khc_session khc_session;
static struct khc_event *khc_timeline;
static unsigned long khc_timeline_nr;	/* events ever logged this session */

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

const struct khc_strategy *khc_strategy_at(unsigned int i)
{
	return i < ARRAY_SIZE(khc_strategies) ? khc_strategies[i] : NULL;
}

/* The kthread returns: khc_stop(), or module unload. */
static bool khc_stop_requested(void)
{
	return kthread_should_stop() || READ_ONCE(khc_stopping);
}

/* A pass in progress ends early: the compactor stops, or the system sleeps. */
bool khc_should_stop(void)
{
	return khc_stop_requested() || READ_ONCE(khc_pm_paused);
}

static u64 khc_now(void)
{
	return ktime_get_ns() - khc_session.start_ns;
}

unsigned long khc_pgmigrate_success(void)
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

	spin_lock(&khc_session_lock);
	e = &khc_timeline[khc_timeline_nr++ % KHC_TIMELINE_LEN];
	e->time_ns = khc_now();
	e->nid = nid;
	e->score = score;
	e->free_blocks = free_blocks;
	e->action = action;
	spin_unlock(&khc_session_lock);
}

static void khc_set_state(enum khc_state state)
{
	spin_lock(&khc_session_lock);
	khc_session.state = state;
	spin_unlock(&khc_session_lock);
}

/* Adds a pass's counters to the session's, field by field. */
static void khc_counters_add(struct khc_counters *to,
			     const struct khc_counters *from)
{
	unsigned long *t = (unsigned long *)to;
	const unsigned long *f = (const unsigned long *)from;
	unsigned int i;

	BUILD_BUG_ON(sizeof(*to) % sizeof(unsigned long));
	for (i = 0; i < sizeof(*to) / sizeof(unsigned long); i++)
		t[i] += f[i];
}

/* The session so far; returns whether the compactor is enabled. */
bool khc_session_read(struct khc_session *s)
{
	bool enabled;

	mutex_lock(&khc_lock);
	enabled = khc_task;
	spin_lock(&khc_session_lock);
	*s = khc_session;
	spin_unlock(&khc_session_lock);
	mutex_unlock(&khc_lock);
	return enabled;
}

unsigned long khc_events_logged(void)
{
	unsigned long nr;

	spin_lock(&khc_session_lock);
	nr = khc_timeline_nr;
	spin_unlock(&khc_session_lock);
	return nr;
}

/* Event @i of the session, unless it has been overwritten since. */
bool khc_event_read(unsigned long i, struct khc_event *e)
{
	bool ok;

	spin_lock(&khc_session_lock);
	ok = i < khc_timeline_nr && khc_timeline_nr - i <= KHC_TIMELINE_LEN;
	if (ok)
		*e = khc_timeline[i % KHC_TIMELINE_LEN];
	spin_unlock(&khc_session_lock);
	return ok;
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
bool khc_zone_tight(struct zone *zone)
{
	return zone_page_state(zone, NR_FREE_PAGES) <
	       4 * high_wmark_pages(zone) + 512;
}

bool khc_node_tight(int nid)
{
	pg_data_t *pgdat = NODE_DATA(nid);
	int z;

	for (z = 0; z < MAX_NR_ZONES; z++)
		if (populated_zone(&pgdat->node_zones[z]) &&
		    khc_zone_tight(&pgdat->node_zones[z]))
			return true;
	return false;
}

/* ---- the kthread ---- */

/*
 * The reserve (compactor_reserve_blocks): the free blocks of
 * compactor_order each node had after its last check, so that the next
 * check sees how many were taken since.  Only the kthread uses it.
 */
static u64 khc_last_free[MAX_NUMNODES];

/* How many free blocks @nid should have now: 0 without a reserve. */
static u64 khc_reserve_target(const struct khc_settings *set, int nid,
			      u64 free)
{
	u64 taken = khc_last_free[nid] > free ? khc_last_free[nid] - free : 0;

	return set->reserve_blocks ? set->reserve_blocks + taken : 0;
}

static bool khc_node_wants(const struct khc_settings *set, int nid,
			   unsigned int score, bool compacting, bool short_of)
{
	if (short_of)
		return true;
	if (compacting)
		return score > set->wmark_low;
	return score > set->wmark_high ||
	       (score > set->wmark_low &&
		khc_node_index_high(nid, set->order, set->index_threshold));
}

/* The end of a session: what the strategies kept over it goes. */
static void khc_session_end(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(khc_strategies); i++)
		if (khc_strategies[i]->session_end)
			khc_strategies[i]->session_end();
}

/* The kthread's CPU time so far: each session has a thread of its own. */
static void khc_account_cpu(void)
{
	u64 cpu = current->se.sum_exec_runtime;

	spin_lock(&khc_session_lock);
	khc_session.cpu_ns = cpu;
	spin_unlock(&khc_session_lock);
}

/*
 * One pass on one node; true if it made progress.  @short_of: the node
 * is below its reserve, and a demand may take blocks as fast as the pass
 * makes them, so work done counts as progress.
 */
static bool khc_pass(const struct khc_settings *set, int nid, bool fresh,
		     bool short_of)
{
	const struct khc_strategy *strategy = khc_strategy_at(set->strategy);
	struct khc_pass_args args = {
		.nid = nid,
		.order = set->order,
		.bound = set->pass_blocks,
		.fresh = fresh,
	};
	struct khc_pass_result res = { };
	u64 t0 = ktime_get_ns(), t_drain = 0, free_before, free_after;
	unsigned int before, after;

	before = khh_node_frag(nid, &free_before);
	strategy->pass(&args, &res);
	if (strategy->drain) {
		t_drain = ktime_get_ns();
		khh_drain_pcp(nid);
		t_drain = ktime_get_ns() - t_drain;
	}
	after = khh_node_frag(nid, &free_after);
	spin_lock(&khc_session_lock);
	khc_session.passes++;
	khc_session.compact_ns += ktime_get_ns() - t0;
	khc_session.drain_ns += t_drain;
	khc_counters_add(&khc_session.counters, &res.counters);
	spin_unlock(&khc_session_lock);
	khc_account_cpu();
	return res.done &&
	       (after < before || free_after > free_before || short_of);
}

/*
 * Every node's score against the watermarks; true if all are at target.
 * @slept: the kthread waited since the last check.
 */
static bool khc_check(nodemask_t *compacting, unsigned int *backoff,
		      bool slept)
{
	bool all_low = true, progress;
	struct khc_settings set;
	unsigned int score;
	u64 free, blocks;
	bool short_of;
	int nid;

	khc_settings_read(&set);
	for_each_online_node(nid) {
		bool was = node_isset(nid, *compacting);

		score = khh_node_frag(nid, &free);
		blocks = khh_node_free_blocks(nid, set.order);
		short_of = blocks < khc_reserve_target(&set, nid, blocks);
		if (!khc_node_wants(&set, nid, score, was, short_of)) {
			khc_last_free[nid] = blocks;
			if (was)
				node_clear(nid, *compacting);
			khc_log(nid, score, free,
				was ? KHC_ACT_TARGET : KHC_ACT_IDLE);
			if (score > set.wmark_low)
				all_low = false;
			continue;
		}
		if (!was) {
			node_set(nid, *compacting);
			khc_log(nid, score, free, KHC_ACT_START);
		}
		khc_set_state(KHC_COMPACTING);
		progress = khc_pass(&set, nid, slept || !was, short_of);
		if (khc_should_stop())
			return false;
		score = khh_node_frag(nid, &free);
		khc_last_free[nid] = khh_node_free_blocks(nid, set.order);
		khc_log(nid, score, free,
			progress ? KHC_ACT_PASS : KHC_ACT_NOPROGRESS);
		if (progress) {
			*backoff = 0;
		} else {
			spin_lock(&khc_session_lock);
			khc_session.passes_no_progress++;
			spin_unlock(&khc_session_lock);
			if (*backoff < KHC_MAX_BACKOFF)
				(*backoff)++;
		}
		if (score <= set.wmark_low &&
		    khc_last_free[nid] >= khc_reserve_target(&set, nid,
							     khc_last_free[nid])) {
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
	struct khc_settings set;
	unsigned int backoff = 0;
	unsigned long timeout;
	bool slept = true;
	u64 t0;

	set_freezable();
	allow_kernel_signal(SIGKILL);
	memset(khc_last_free, 0, sizeof(khc_last_free));
	while (!khc_stop_requested()) {
		bool at_target;

		khc_flush_stray_signal();
		if (READ_ONCE(khc_pm_paused)) {
			/* Suspend or hibernation: freeze here, not mid-pass. */
			wait_event_freezable(khc_wait, khc_stop_requested() ||
					     !READ_ONCE(khc_pm_paused));
			slept = true;
			continue;
		}
		/* A node may have gone offline since it started compacting. */
		nodes_and(compacting, compacting, node_states[N_ONLINE]);
		at_target = khc_check(&compacting, &backoff, slept);
		slept = false;

		if (at_target) {
			spin_lock(&khc_session_lock);
			if (khc_session.target_reached_ns < 0)
				khc_session.target_reached_ns = khc_now();
			spin_unlock(&khc_session_lock);
		}
		if (!nodes_empty(compacting) && !backoff) {
			/* More to do: no sleep, but no holding up suspend. */
			try_to_freeze();
			continue;
		}
		khc_set_state(backoff ? KHC_BACKOFF : KHC_IDLE);
		khc_settings_read(&set);
		timeout = msecs_to_jiffies(set.interval_ms << backoff);
		khc_flush_stray_signal();
		t0 = ktime_get_ns();
		wait_event_freezable_timeout(khc_wait, khc_should_stop(),
					     timeout);
		spin_lock(&khc_session_lock);
		khc_session.sleep_ns += ktime_get_ns() - t0;
		spin_unlock(&khc_session_lock);
		khc_account_cpu();
		slept = true;
	}
	khc_session_end();
	return 0;
}

/* With khc_lock held. */
static int khc_start(void)
{
	struct task_struct *t;

	if (khc_task)
		return 0;
	spin_lock(&khc_session_lock);
	memset(&khc_session, 0, sizeof(khc_session));
	khc_session.target_reached_ns = -1;
	khc_session.start_ns = ktime_get_ns();
	khc_session.state = KHC_IDLE;
	khc_timeline_nr = 0;
	spin_unlock(&khc_session_lock);
	khc_session.pgmigrate_base = khc_pgmigrate_success();
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

/* The compactor's files, and those of its strategies. */
void khh_compactor_debugfs_init(struct dentry *dir)
{
	unsigned int i;

	khc_status_debugfs_init(dir);
	for (i = 0; i < ARRAY_SIZE(khc_strategies); i++)
		if (khc_strategies[i]->debugfs_init)
			khc_strategies[i]->debugfs_init(dir);
}

int khh_compactor_init(void)
{
	int ret;

	khc_timeline = vcalloc(KHC_TIMELINE_LEN, sizeof(*khc_timeline));
	if (!khc_timeline)
		return -ENOMEM;
	ret = khc_params_go_live();
	if (ret)
		goto err_free_timeline;
	ret = register_pm_notifier(&khc_pm_nb);
	if (ret)
		goto err_free_timeline;
	mutex_lock(&khc_lock);
	khc_ready = true;
	ret = compactor_enabled ? khc_start() : 0;
	if (ret)
		khc_ready = false;
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
	vfree(khc_timeline);
}
