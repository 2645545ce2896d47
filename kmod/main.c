// SPDX-License-Identifier: GPL-2.0
/*
 * khugehog: measure high-order page allocation latency on fragmented memory.
 *
 * Write "start" to /sys/kernel/debug/khugehog/control and the module
 * allocates pages of the given order, one after another, until the first
 * failure (or max_failures in a row, or a count), timing every
 * alloc_pages() call.  It holds the pages until "release" is written or
 * the module is unloaded.  The parameters
 * below are the defaults of every run; "start order=N gfp=NAME count=N
 * max_failures=N samples=N" overrides them for one run.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>

#include "khugehog.h"

struct khugehog khh;
struct khh_run_cfg khh_default_cfg;

/*
 * Order of every allocation.  9 is a 2 MiB page on x86-64, what THP and
 * the drivers that want huge pages ask for.
 */
static unsigned int order = 9;
module_param(order, uint, 0444);
MODULE_PARM_DESC(order,
		 "Order of each allocation, 0 to MAX_PAGE_ORDER (default: 9, 2 MiB on x86-64)");

/*
 * GFP flags preset.  "kernel" is GFP_KERNEL, what the reference
 * experiment used; the other two are what a THP fault asks for without
 * and with direct reclaim/compaction.  __GFP_NOWARN is always added.
 */
static char *gfp = "kernel";
module_param(gfp, charp, 0444);
MODULE_PARM_DESC(gfp,
		 "GFP preset: kernel (GFP_KERNEL, default), transhuge_light (GFP_TRANSHUGE_LIGHT), transhuge_retry (GFP_TRANSHUGE | __GFP_RETRY_MAYFAIL); __GFP_NOWARN is always added");

/* Attempts per run; 0: no limit but the failures. */
static unsigned long count;
module_param(count, ulong, 0444);
MODULE_PARM_DESC(count,
		 "Allocation attempts per run, at most (totalram_pages >> order) + 1024 (default: 0, no limit)");

/*
 * A run ends after this many failed allocations in a row.  1 is the
 * reference experiment: stop at the first failure.  One failed direct
 * compaction (async compaction giving up on contention, or compaction
 * deferred after a failure) can end such a run with most memory still
 * compactable; a few retries measure what the allocator can get.
 */
static unsigned int max_failures = 1;
module_param(max_failures, uint, 0444);
MODULE_PARM_DESC(max_failures,
		 "Failed allocations in a row that end a run, 1 to 1024 (default: 1, stop at the first failure)");

/*
 * The sample buffer: one sample per attempt.  0 sizes it for the run:
 * every page of RAM of the run's order times max_failures, at most 1/64
 * of RAM.  A run that fills it ends with stop_reason buffer_full.
 */
static unsigned long samples;
module_param(samples, ulong, 0444);
MODULE_PARM_DESC(samples,
		 "Sample buffer of a run, in attempts; 0 (default): every page of RAM of the order, times max_failures, at most 1/64 of RAM");

static int __init khugehog_init(void)
{
	int ret;

	khh_default_cfg.gfp = khh_gfp_preset_find(gfp);
	if (!khh_default_cfg.gfp) {
		pr_err("gfp=%s: not a preset (kernel, transhuge_light, transhuge_retry)\n",
		       gfp);
		return -EINVAL;
	}
	khh_default_cfg.order = order;
	khh_default_cfg.count = count;
	khh_default_cfg.max_failures = max_failures;
	khh_default_cfg.samples = samples;
	if (khh_run_cfg_check(&khh_default_cfg, true))
		return -EINVAL;

	khh_run_init();
	ret = khh_compactor_init();
	if (ret)
		return ret;
	/* Last: from here on, runs and pins can be started. */
	khh_debugfs_init();
	return 0;
}

static void __exit khugehog_exit(void)
{
	/* No control write or file read runs after this. */
	khh_debugfs_exit();
	khh_compactor_exit();
	khh_unpin();
	khh_run_exit();
}

module_init(khugehog_init);
module_exit(khugehog_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Measure high-order page allocation latency on fragmented memory");
