// SPDX-License-Identifier: GPL-2.0
/*
 * The compactor's tuning parameters, under /sys/module/khugehog/parameters/.
 * Every one can be changed while the compactor runs; a pass reads them
 * once, at its start (khc_settings_read()).  Each is bounded, and a write
 * out of bounds fails with -EINVAL and changes nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "khugehog.h"
#include "compactor.h"

/* The watermark pair, and whether insmod is over (then it is checked). */
static DEFINE_MUTEX(khc_params_lock);
static bool khc_params_live;

static int khc_strategy_set(const char *val, const struct kernel_param *kp);
static int khc_strategy_get(char *buf, const struct kernel_param *kp);
static const struct kernel_param_ops khc_strategy_ops = {
	.set = khc_strategy_set,
	.get = khc_strategy_get,
};

/* How a pass compacts: one of the strategies in compactor.c's table. */
static unsigned int compactor_strategy;
module_param_cb(compactor_strategy, &khc_strategy_ops, &compactor_strategy,
		0644);
MODULE_PARM_DESC(compactor_strategy,
		 "How a pass compacts: reads like THP's 'enabled', the strategies with the selected one in brackets (default: the first, targeted)");

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
KHC_UINT_PARAM(reserve_blocks, 0, 1U << 20);

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

/*
 * A third trigger, for a steady demand: a node with fewer free blocks of
 * compactor_order than this is compacted too, until it has this many
 * plus as many as were taken from it since the last check (refilling
 * ahead of the demand).
 */
static unsigned int compactor_reserve_blocks;
module_param_cb(compactor_reserve_blocks, &khc_reserve_blocks_ops,
		&compactor_reserve_blocks, 0644);
MODULE_PARM_DESC(compactor_reserve_blocks,
		 "Also compact a node with fewer free blocks of compactor_order than this, until it has this many plus those taken since the last check, 0 to 1048576 (default: 0, off)");

static int khc_strategy_set(const char *val, const struct kernel_param *kp)
{
	const struct khc_strategy *s;
	unsigned int i;

	for (i = 0; (s = khc_strategy_at(i)); i++) {
		if (sysfs_streq(val, s->name)) {
			WRITE_ONCE(compactor_strategy, i);
			return 0;
		}
	}
	return -EINVAL;
}

/* "[targeted] node alloc", as THP's enabled file lists its choices. */
static int khc_strategy_get(char *buf, const struct kernel_param *kp)
{
	unsigned int i, cur = READ_ONCE(compactor_strategy);
	const struct khc_strategy *s;
	int n = 0;

	for (i = 0; (s = khc_strategy_at(i)); i++)
		n += sysfs_emit_at(buf, n, i == cur ? "%s[%s]" : "%s%s",
				   i ? " " : "", s->name);
	return n + sysfs_emit_at(buf, n, "\n");
}

/*
 * low < high is checked against the other one's current value once the
 * module is live, and once both are set at insmod (khc_params_go_live()),
 * so that insmod can take them in either order.
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
	mutex_lock(&khc_params_lock);
	if (khc_params_live && (high ? v <= compactor_wmark_low :
				       v >= compactor_wmark_high))
		ret = -EINVAL;
	else
		WRITE_ONCE(*(unsigned int *)kp->arg, v);
	mutex_unlock(&khc_params_lock);
	return ret;
}

/* At the end of insmod: the pair insmod set, checked; then each write. */
int khc_params_go_live(void)
{
	int ret = 0;

	mutex_lock(&khc_params_lock);
	if (compactor_wmark_low >= compactor_wmark_high) {
		pr_err("compactor_wmark_low=%u: must be below compactor_wmark_high=%u\n",
		       compactor_wmark_low, compactor_wmark_high);
		ret = -EINVAL;
	} else {
		khc_params_live = true;
	}
	mutex_unlock(&khc_params_lock);
	return ret;
}

void khc_settings_read(struct khc_settings *s)
{
	s->strategy = READ_ONCE(compactor_strategy);
	s->interval_ms = READ_ONCE(compactor_interval_ms);
	s->wmark_high = READ_ONCE(compactor_wmark_high);
	s->wmark_low = READ_ONCE(compactor_wmark_low);
	s->index_threshold = READ_ONCE(compactor_index_threshold);
	s->order = READ_ONCE(compactor_order);
	s->pass_blocks = READ_ONCE(compactor_pass_blocks);
	s->reserve_blocks = READ_ONCE(compactor_reserve_blocks);
}
