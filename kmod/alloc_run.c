// SPDX-License-Identifier: GPL-2.0
/*
 * The measured allocation run: allocate pages of one order one after
 * another, in a kthread of its own, until max_failures fail in a row (or
 * a count, a full sample buffer, or the free-memory floor), timing each
 * alloc_pages() call, and hold the pages until they are released.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/vmstat.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/timekeeping.h>

#include "khugehog.h"
#include "percentile.h"
#include "trace.h"

#define KHH_TIMER_SAMPLES 1025
/* The sample buffer and its scratch take at most this share of RAM. */
#define KHH_SAMPLES_RAM_SHIFT 6

/* Callers never want the allocation-failure splat: failure is the expected end. */
const struct khh_gfp_preset khh_gfp_presets[] = {
	{ "kernel",		GFP_KERNEL },
	{ "transhuge_light",	GFP_TRANSHUGE_LIGHT },
	{ "transhuge_retry",	GFP_TRANSHUGE | __GFP_RETRY_MAYFAIL },
};

const unsigned int khh_nr_gfp_presets = ARRAY_SIZE(khh_gfp_presets);

/* Only the run's kthread uses it, and one run at a time. */
static u64 khh_timer_pairs[KHH_TIMER_SAMPLES];

const struct khh_gfp_preset *khh_gfp_preset_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < khh_nr_gfp_presets; i++)
		if (sysfs_streq(name, khh_gfp_presets[i].name))
			return &khh_gfp_presets[i];
	return NULL;
}

/*
 * The flags a run's allocations get: its preset's, __GFP_NOWARN, and at
 * orders up to PAGE_ALLOC_COSTLY_ORDER, __GFP_RETRY_MAYFAIL on a preset
 * that reclaims.  There the allocator does not fail a reclaiming
 * allocation: it retries, then calls the OOM killer, which cannot free
 * what the run holds and ends in a panic once nothing killable is left.
 * __GFP_RETRY_MAYFAIL retries as long, then fails.
 */
gfp_t khh_run_gfp(const struct khh_run_cfg *cfg)
{
	gfp_t gfp = cfg->gfp->gfp | __GFP_NOWARN;

	if (cfg->order <= PAGE_ALLOC_COSTLY_ORDER &&
	    (gfp & __GFP_DIRECT_RECLAIM) && !(gfp & __GFP_NORETRY))
		gfp |= __GFP_RETRY_MAYFAIL;
	return gfp;
}

/*
 * A run cannot succeed more often than there are pages of its order, and
 * it ends after at most KHH_MAX_FAILURES_LIMIT failures in a row.
 */
unsigned long khh_max_count(unsigned int order)
{
	return (totalram_pages() >> order) + KHH_MAX_FAILURES_LIMIT;
}

/* The largest sample buffer: 1/64 of RAM with its scratch. */
unsigned long khh_max_samples(void)
{
	return (totalram_pages() << (PAGE_SHIFT - KHH_SAMPLES_RAM_SHIFT)) /
	       (sizeof(struct khh_sample) + sizeof(u64));
}

/*
 * The bounds of a run's settings, for the module parameters (@verbose:
 * one dmesg line saying which is wrong) and for "start" (quietly).
 */
int khh_run_cfg_check(const struct khh_run_cfg *cfg, bool verbose)
{
	if (cfg->order >= KHH_NR_ORDERS) {
		if (verbose)
			pr_err("order=%u: out of range, 0 to %zu\n", cfg->order,
			       KHH_NR_ORDERS - 1);
		return -EINVAL;
	}
	if (cfg->count > khh_max_count(cfg->order)) {
		if (verbose)
			pr_err("count=%lu: out of range, 0 to %lu for order %u\n",
			       cfg->count, khh_max_count(cfg->order), cfg->order);
		return -EINVAL;
	}
	if (!cfg->max_failures || cfg->max_failures > KHH_MAX_FAILURES_LIMIT) {
		if (verbose)
			pr_err("max_failures=%u: out of range, 1 to %u\n",
			       cfg->max_failures, KHH_MAX_FAILURES_LIMIT);
		return -EINVAL;
	}
	if (cfg->rate > KHH_MAX_RATE) {
		if (verbose)
			pr_err("rate=%lu: out of range, 0 to %u\n", cfg->rate,
			       KHH_MAX_RATE);
		return -EINVAL;
	}
	if (cfg->samples > khh_max_samples()) {
		if (verbose)
			pr_err("samples=%lu: out of range, 0 to %lu\n",
			       cfg->samples, khh_max_samples());
		return -EINVAL;
	}
	return 0;
}

/*
 * The sample buffer a run needs: one sample per attempt.  Failures need
 * not come in one streak: each success can follow max_failures - 1 of
 * them.  So: every page of RAM of the run's order (reclaim can free more
 * than was free at the start), times max_failures, plus the last streak;
 * never more than khh_max_samples(), and no more than count.  The floor
 * is not taken off: at the start it may hold a watermark boost that is
 * gone a second later.  Only the cap can fill it (orders below 9 with
 * several failures): the run then ends with a stop reason of its own.
 */
static unsigned long khh_run_capacity(const struct khh_run_cfg *cfg)
{
	unsigned long n = totalram_pages() >> cfg->order;

	if (cfg->samples)
		return cfg->samples;
	n = min(n + 1, khh_max_samples() / cfg->max_failures) *
	    cfg->max_failures;
	return cfg->count ? min(n, cfg->count) : n;
}

static int khh_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * What two back-to-back timestamps cost: the part of every recorded
 * latency that is not the allocator's.  The median of many pairs, so an
 * interrupt in one pair does not count.
 */
static u64 khh_timer_overhead_ns(void)
{
	unsigned int i;
	u64 t0;

	for (i = 0; i < KHH_TIMER_SAMPLES; i++) {
		t0 = ktime_get_ns();
		khh_timer_pairs[i] = ktime_get_ns() - t0;
	}
	sort(khh_timer_pairs, KHH_TIMER_SAMPLES, sizeof(u64), khh_cmp_u64,
	     NULL);
	return khh_timer_pairs[KHH_TIMER_SAMPLES / 2];
}

/* In the scratch buffer allocated with the samples: no allocation here. */
static void khh_compute_stats(struct khh_run *run)
{
	struct khh_latency_stats *st = &run->stats;
	unsigned long i, n = 0;
	u64 *lat = run->sorted, sum = 0;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < run->nr; i++) {
		if (!run->samples[i].pfn)
			continue;
		lat[n++] = run->samples[i].latency_ns;
		sum += run->samples[i].latency_ns;
	}
	if (!n)
		return;
	sort(lat, n, sizeof(*lat), khh_cmp_u64, NULL);
	st->min_ns = lat[0];
	st->max_ns = lat[n - 1];
	st->mean_ns = div64_u64(sum, n);
	st->p50_ns = khugehog_percentile(lat, n, 500);
	st->p90_ns = khugehog_percentile(lat, n, 900);
	st->p99_ns = khugehog_percentile(lat, n, 990);
	st->p999_ns = khugehog_percentile(lat, n, 999);
}

/*
 * At the floor, the run first puts the per-CPU lists' pages back, as the
 * allocator itself drains them before it gives up, and goes on if that
 * lifts free memory above the floor.  The lists' high marks follow the low
 * watermark (6.1) or grow under bursts of frees (6.7+), and compaction
 * returns the free pages it isolated but did not use to them: tens of MiB
 * that the run would otherwise leave out.  Bounded, as another CPU can
 * refill them as fast.
 */
#define KHH_FLOOR_DRAINS 64

static bool khh_run_at_floor(struct khh_run *run)
{
	unsigned long floor;
	int nid;

	if (!khh_below_free_floor(run->cfg.order, &floor))
		goto allowed;
	if (run->floor_drains < KHH_FLOOR_DRAINS) {
		run->floor_drains++;
		for_each_online_node(nid)
			run->floor_drains_failed += khh_drain_pcp(nid);
		if (!khh_below_free_floor(run->cfg.order, &floor))
			goto allowed;
	}
	run->floor_pages = floor;
	return true;

allowed:
	run->alloc_floor_pages = floor;
	return false;
}

/* Why the run ends before attempt @i, or KHH_STOP_NONE. */
static enum khh_stop khh_run_should_stop(struct khh_run *run, unsigned long i)
{
	if (atomic_read(&khh.abort))
		return KHH_STOP_ABORTED;
	if (run->cfg.count && i == run->cfg.count)
		return KHH_STOP_COUNT;
	if (i == run->capacity)
		return KHH_STOP_FULL;
	if (khh_run_at_floor(run))
		return KHH_STOP_FLOOR;
	return KHH_STOP_NONE;
}

/* An abort ends a wait for the next attempt within this. */
#define KHH_WAIT_SLICE_NS (100 * NSEC_PER_MSEC)

/*
 * With a rate, each attempt is due a period after the one before it, from
 * the run's start.  If the attempt before it ended in time, the run sleeps
 * until then; otherwise the attempt is late, begins at once, and says by
 * how much.  A late attempt is never skipped: demand that arrives while
 * the allocator is slow waits for it, as a THP fault would, and the run
 * catches up on the schedule by allocating back to back.  Returns whether
 * the attempt due at @due is late.
 */
static bool khh_run_wait(u64 due)
{
	u64 now = ktime_get_ns();
	ktime_t until;

	if (now > due)
		return true;
	while (now < due && !atomic_read(&khh.abort)) {
		until = ns_to_ktime(min(due, now + KHH_WAIT_SLICE_NS));
		set_current_state(TASK_IDLE);
		schedule_hrtimeout(&until, HRTIMER_MODE_ABS);
		now = ktime_get_ns();
	}
	return false;
}

/*
 * The measured loop, in a kthread of its own: a workqueue worker sleeps a
 * jiffy on every reclaim retry (should_reclaim_retry()), where a task's
 * THP fault only reschedules.
 */
static int khh_run_thread(void *data)
{
	struct khh_run *run = &khh.run;
	unsigned int order = run->cfg.order;
	enum khh_stop stop = KHH_STOP_NONE;
	unsigned long i, runs, successes, failures;
	unsigned int in_a_row = 0;
	u64 start, t0, ms, period = 0;
	struct khh_sample *s;
	struct page *page;
	bool late = false;

	run->timer_overhead_ns = khh_timer_overhead_ns();
	run->free_kib_before = khh_free_pages() << (PAGE_SHIFT - 10);
	if (run->cfg.rate)
		period = div_u64(NSEC_PER_SEC, run->cfg.rate);
	start = ktime_get_ns();
	for (i = 0; ; i++) {
		stop = khh_run_should_stop(run, i);
		if (stop != KHH_STOP_NONE)
			break;
		/* The schedule starts with the first attempt. */
		if (period && i) {
			late = khh_run_wait(start + i * period);
			if (atomic_read(&khh.abort)) {
				stop = KHH_STOP_ABORTED;
				break;
			}
		}
		s = &run->samples[i];
		t0 = ktime_get_ns();
		page = alloc_pages(run->gfp, order);
		s->latency_ns = ktime_get_ns() - t0;
		s->pfn = page ? page_to_pfn(page) : 0;
		s->start_ns = t0 - start;
		s->late_ns = late ? s->start_ns - i * period : 0;
		run->late += late;
		/* Readers of the latencies file see only finished samples. */
		smp_store_release(&run->nr, i + 1);
		trace_alloc_latency(i, order, s->latency_ns, s->pfn);
		if (!page) {
			run->failures++;
			if (++in_a_row >= run->cfg.max_failures) {
				stop = KHH_STOP_FAILURE;
				break;
			}
		} else {
			in_a_row = 0;
			run->successes++;
			run->allocated++;
		}
		cond_resched();
	}
	run->duration_ns = ktime_get_ns() - start;
	run->free_kib_after = khh_free_pages() << (PAGE_SHIFT - 10);
	if (stop != KHH_STOP_FLOOR)
		run->floor_pages = khh_free_floor_pages(order);

	mutex_lock(&khh.lock);
	run->stop = stop;
	khh_compute_stats(run);
	khh.state = KHH_DONE;
	runs = ++khh.runs_done;
	successes = run->successes;
	failures = run->failures;
	ms = div_u64(run->duration_ns, NSEC_PER_MSEC);
	mutex_unlock(&khh.lock);
	/* A "start" may reset the run from here on: print the copies. */
	pr_info("run %lu: %lu order-%u pages in %llu ms, %lu failed\n",
		runs, successes, order, ms, failures);
	return 0;
}

static void khh_free_held(struct khh_run *run)
{
	unsigned long i;

	for (i = 0; i < run->nr && run->allocated; i++) {
		if (!run->samples[i].pfn)
			continue;
		__free_pages(pfn_to_page(run->samples[i].pfn), run->cfg.order);
		run->allocated--;
	}
}

/*
 * The last run's kthread, once its run is over (with khh.lock held), or
 * at unload (without: the thread takes the lock before it returns).
 */
static void khh_reap_runner(void)
{
	if (!khh.runner)
		return;
	kthread_stop(khh.runner);
	put_task_struct(khh.runner);
	khh.runner = NULL;
}

/*
 * Start a run.  The sample buffer is sized and allocated here, before
 * the first timed allocation, so the loop itself allocates nothing but
 * the pages it measures.
 */
int khh_run_start(const struct khh_run_cfg *cfg)
{
	unsigned long floor = khh_free_floor_pages(cfg->order);
	unsigned long capacity = khh_run_capacity(cfg);
	struct khh_run *run = &khh.run;
	struct khh_sample *samples;
	struct task_struct *t;
	u64 *sorted;
	int ret = 0;

	samples = kvcalloc(capacity, sizeof(*samples), GFP_KERNEL);
	sorted = kvcalloc(capacity, sizeof(*sorted), GFP_KERNEL);
	if (!samples || !sorted) {
		ret = -ENOMEM;
		goto out_free;
	}

	mutex_lock(&khh.lock);
	if (khh.state == KHH_RUNNING || run->allocated) {
		ret = -EBUSY;
		goto out_unlock;
	}
	khh_reap_runner();
	kvfree(run->samples);
	kvfree(run->sorted);
	memset(run, 0, sizeof(*run));
	run->cfg = *cfg;
	run->gfp = khh_run_gfp(cfg);
	run->samples = samples;
	run->sorted = sorted;
	run->capacity = capacity;
	run->floor_pages = floor;
	samples = NULL;
	sorted = NULL;
	atomic_set(&khh.abort, 0);
	t = kthread_create(khh_run_thread, NULL, "khugehog_run");
	if (IS_ERR(t)) {
		ret = PTR_ERR(t);
		khh.state = KHH_IDLE;	/* the last run's results are gone */
		goto out_unlock;
	}
	/* Held so that kthread_stop() works once the thread has returned. */
	get_task_struct(t);
	khh.runner = t;
	khh.state = KHH_RUNNING;
	wake_up_process(t);
out_unlock:
	mutex_unlock(&khh.lock);
out_free:
	kvfree(sorted);
	kvfree(samples);
	return ret;
}

/* Give the held pages back; the samples stay readable until the next run. */
int khh_run_release(void)
{
	int ret = 0;

	mutex_lock(&khh.lock);
	if (khh.state == KHH_RUNNING)
		ret = -EBUSY;
	else
		khh_free_held(&khh.run);
	mutex_unlock(&khh.lock);
	return ret;
}

void khh_run_abort(void)
{
	atomic_set(&khh.abort, 1);
}

void khh_run_init(void)
{
	mutex_init(&khh.lock);
}

/*
 * Module unload, after the debugfs files are gone: stop a run in
 * progress, then free every page.  A thread stopped before it ran never
 * marks its run done; the run holds nothing then.
 */
void khh_run_exit(void)
{
	khh_run_abort();
	khh_reap_runner();
	khh_free_held(&khh.run);
	kvfree(khh.run.samples);
	kvfree(khh.run.sorted);
	khh.run.samples = NULL;
	khh.run.sorted = NULL;
}
