// SPDX-License-Identifier: GPL-2.0
/*
 * The measured allocation run: allocate high-order pages one after another
 * until the first failure (or a count), timing each alloc_pages() call, and
 * hold the pages until they are released.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/vmstat.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/timekeeping.h>

#include "khugehog.h"
#include "percentile.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

#define KHH_TIMER_SAMPLES 1025

/* Callers never want the allocation-failure splat: failure is the expected end. */
const struct khh_gfp_preset khh_gfp_presets[] = {
	{ "kernel",		GFP_KERNEL },
	{ "transhuge_light",	GFP_TRANSHUGE_LIGHT },
	{ "transhuge_retry",	GFP_TRANSHUGE | __GFP_RETRY_MAYFAIL },
};

const unsigned int khh_nr_gfp_presets = ARRAY_SIZE(khh_gfp_presets);

const struct khh_gfp_preset *khh_gfp_preset_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < khh_nr_gfp_presets; i++)
		if (sysfs_streq(name, khh_gfp_presets[i].name))
			return &khh_gfp_presets[i];
	return NULL;
}

/*
 * A run cannot succeed more often than there are pages of its order, and
 * it ends after at most KHH_MAX_FAILURES_LIMIT failures in a row.
 */
unsigned long khh_max_count(unsigned int order)
{
	return (totalram_pages() >> order) + KHH_MAX_FAILURES_LIMIT;
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
	return 0;
}

static unsigned long khh_free_kib(void)
{
	return global_zone_page_state(NR_FREE_PAGES) << (PAGE_SHIFT - 10);
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
u64 khh_timer_overhead_ns(void)
{
	u64 *d, t0, ret;
	unsigned int i;

	d = kmalloc_array(KHH_TIMER_SAMPLES, sizeof(*d), GFP_KERNEL);
	if (!d)
		return 0;
	for (i = 0; i < KHH_TIMER_SAMPLES; i++) {
		t0 = ktime_get_ns();
		d[i] = ktime_get_ns() - t0;
	}
	sort(d, KHH_TIMER_SAMPLES, sizeof(*d), khh_cmp_u64, NULL);
	ret = d[KHH_TIMER_SAMPLES / 2];
	kfree(d);
	return ret;
}

static void khh_compute_stats(struct khh_run *run)
{
	struct khh_latency_stats *st = &run->stats;
	unsigned long i, n = 0;
	u64 *lat, sum = 0;

	memset(st, 0, sizeof(*st));
	if (!run->successes)
		return;
	lat = kvmalloc_array(run->successes, sizeof(*lat), GFP_KERNEL);
	if (!lat)
		return;
	for (i = 0; i < run->nr; i++) {
		if (!run->samples[i].pfn)
			continue;
		lat[n++] = run->samples[i].latency_ns;
		sum += run->samples[i].latency_ns;
	}
	sort(lat, n, sizeof(*lat), khh_cmp_u64, NULL);
	st->min_ns = lat[0];
	st->max_ns = lat[n - 1];
	st->mean_ns = div64_u64(sum, n);
	st->p50_ns = khugehog_percentile(lat, n, 500);
	st->p90_ns = khugehog_percentile(lat, n, 900);
	st->p99_ns = khugehog_percentile(lat, n, 990);
	st->p999_ns = khugehog_percentile(lat, n, 999);
	kvfree(lat);
}

static void khh_run_work(struct work_struct *work)
{
	struct khh_run *run = &khh.run;
	gfp_t gfp = run->cfg.gfp->gfp | __GFP_NOWARN;
	unsigned int order = run->cfg.order;
	enum khh_stop stop = KHH_STOP_COUNT;
	unsigned int in_a_row = 0;
	struct khh_sample *s;
	struct page *page;
	unsigned long i;
	u64 start, t0;

	run->timer_overhead_ns = khh_timer_overhead_ns();
	run->free_kib_before = khh_free_kib();
	start = ktime_get_ns();
	for (i = 0; i < run->capacity; i++) {
		if (atomic_read(&khh.abort)) {
			stop = KHH_STOP_ABORTED;
			break;
		}
		s = &run->samples[i];
		t0 = ktime_get_ns();
		page = alloc_pages(gfp, order);
		s->latency_ns = ktime_get_ns() - t0;
		s->pfn = page ? page_to_pfn(page) : 0;
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
	run->free_kib_after = khh_free_kib();

	mutex_lock(&khh.lock);
	run->stop = stop;
	khh_compute_stats(run);
	khh.state = KHH_DONE;
	khh.runs_done++;
	mutex_unlock(&khh.lock);
	pr_info("run %lu: %lu order-%u pages (%s) in %llu ms, %lu failed\n",
		khh.runs_done, run->successes, order, run->cfg.gfp->name,
		div_u64(run->duration_ns, NSEC_PER_MSEC), run->failures);
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
 * Start a run in the background.  The samples buffer is sized and
 * allocated here, before the first timed allocation, so the loop itself
 * allocates nothing but the pages it measures.
 */
int khh_run_start(const struct khh_run_cfg *cfg)
{
	struct khh_run *run = &khh.run;
	unsigned long capacity;
	struct khh_sample *samples;
	int ret = 0;

	capacity = cfg->count ?: khh_max_count(cfg->order);
	samples = kvcalloc(capacity, sizeof(*samples), GFP_KERNEL);
	if (!samples)
		return -ENOMEM;

	mutex_lock(&khh.lock);
	if (khh.state == KHH_RUNNING || run->allocated) {
		ret = -EBUSY;
		goto out_unlock;
	}
	kvfree(run->samples);
	memset(run, 0, sizeof(*run));
	run->cfg = *cfg;
	run->samples = samples;
	run->capacity = capacity;
	samples = NULL;
	atomic_set(&khh.abort, 0);
	khh.state = KHH_RUNNING;
	queue_work(system_unbound_wq, &khh.work);
out_unlock:
	mutex_unlock(&khh.lock);
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
	INIT_WORK(&khh.work, khh_run_work);
}

/* Module unload: stop a run in progress, then free every page. */
void khh_run_exit(void)
{
	khh_run_abort();
	flush_work(&khh.work);
	khh_free_held(&khh.run);
	kvfree(khh.run.samples);
	khh.run.samples = NULL;
}
