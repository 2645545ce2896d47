// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/khugehog/: control, latencies, summary, status; the
 * fragmentation files are extfrag.c's.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "khugehog.h"

#define KHH_CONTROL_MAX 128

static struct dentry *khh_dir;

static const char * const khh_state_names[] = {
	[KHH_IDLE]	= "idle",
	[KHH_RUNNING]	= "running",
	[KHH_DONE]	= "done",
};

static const char * const khh_stop_names[] = {
	[KHH_STOP_NONE]		= "none",
	[KHH_STOP_FAILURE]	= "failure",
	[KHH_STOP_COUNT]	= "count",
	[KHH_STOP_ABORTED]	= "aborted",
	[KHH_STOP_FLOOR]	= "memory_floor",
	[KHH_STOP_FULL]		= "buffer_full",
};

/*
 * The next "key=value" of a command's arguments: 1 with *key and *val set,
 * 0 when there is none left, -EINVAL for a word without '='.
 */
static int khh_next_arg(char **args, char **key, char **val)
{
	char *tok;

	while ((tok = strsep(args, " \t")) != NULL) {
		if (!*tok)
			continue;
		*val = strchr(tok, '=');
		if (!*val)
			return -EINVAL;
		*(*val)++ = '\0';
		*key = tok;
		return 1;
	}
	return 0;
}

/*
 * "start" arguments: order=, gfp=, count=, max_failures=, samples=,
 * rate=; optional, any order.
 */
static int khh_parse_start(char *args, struct khh_run_cfg *cfg)
{
	char *tok, *val;
	int ret;

	while ((ret = khh_next_arg(&args, &tok, &val)) > 0) {
		if (!strcmp(tok, "order")) {
			ret = kstrtouint(val, 0, &cfg->order);
			if (ret)
				return ret;
		} else if (!strcmp(tok, "gfp")) {
			cfg->gfp = khh_gfp_preset_find(val);
			if (!cfg->gfp)
				return -EINVAL;
		} else if (!strcmp(tok, "count")) {
			ret = kstrtoul(val, 0, &cfg->count);
			if (ret)
				return ret;
		} else if (!strcmp(tok, "max_failures")) {
			ret = kstrtouint(val, 0, &cfg->max_failures);
			if (ret)
				return ret;
		} else if (!strcmp(tok, "samples")) {
			ret = kstrtoul(val, 0, &cfg->samples);
			if (ret)
				return ret;
		} else if (!strcmp(tok, "rate")) {
			ret = kstrtoul(val, 0, &cfg->rate);
			if (ret)
				return ret;
		} else {
			return -EINVAL;
		}
	}
	return ret ? ret : khh_run_cfg_check(cfg, false);
}

/* "pin share=PCT [seed=N]" */
static int khh_parse_pin(char *args)
{
	unsigned int share = 101;
	char *tok, *val;
	u64 seed = 1;
	int ret;

	while ((ret = khh_next_arg(&args, &tok, &val)) > 0) {
		if (!strcmp(tok, "share"))
			ret = kstrtouint(val, 0, &share);
		else if (!strcmp(tok, "seed"))
			ret = kstrtou64(val, 0, &seed);
		else
			ret = -EINVAL;
		if (ret)
			return ret;
	}
	if (ret || share > 100)
		return -EINVAL;
	return khh_pin(share, seed);
}

static int khh_control_exec(char *cmd)
{
	struct khh_run_cfg cfg = khh_default_cfg;
	char *verb;
	int ret;

	verb = strsep(&cmd, " \t");
	if (!strcmp(verb, "start")) {
		ret = khh_parse_start(cmd, &cfg);
		return ret ? ret : khh_run_start(&cfg);
	}
	if (!strcmp(verb, "pin"))
		return khh_parse_pin(cmd);
	if (cmd && *cmd)
		return -EINVAL;
	if (!strcmp(verb, "unpin")) {
		khh_unpin();
		return 0;
	}
	if (!strcmp(verb, "release"))
		return khh_run_release();
	if (!strcmp(verb, "abort")) {
		khh_run_abort();
		return 0;
	}
	return -EINVAL;
}

static ssize_t khh_control_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	char *buf;
	int ret;

	if (!len || len > KHH_CONTROL_MAX)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	ret = khh_control_exec(strim(buf));
	kfree(buf);
#ifdef KHUGEHOG_INJECT_USE_AFTER_FREE
	/*
	 * A deliberate bug, compiled in only by the test that proves the
	 * debug kernel's suite catches one
	 * (scripts/tests/kernels/debug-catches.sh).
	 */
	pr_info("injected use-after-free reads %d\n", READ_ONCE(buf[0]));
#endif
	return ret ? ret : len;
}

static const char khh_control_usage[] =
	"start [order=N] [gfp=kernel|transhuge_light|transhuge_retry] [count=N] [max_failures=N] [samples=N] [rate=PER_SECOND]\n"
	"release\n"
	"abort\n"
	"pin share=PERCENT [seed=N]\n"
	"unpin\n";

/* Reading the control file tells what it accepts. */
static ssize_t khh_control_read(struct file *file, char __user *ubuf,
				size_t len, loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, len, ppos, khh_control_usage,
				       sizeof(khh_control_usage) - 1);
}

static const struct file_operations khh_control_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= khh_control_read,
	.write	= khh_control_write,
	.llseek	= noop_llseek,
};

/*
 * One line per attempt: index, latency in ns, success, pfn, when it
 * began (ns from the run's start), and how late (khh_sample).  Readable
 * while a run is in progress: it shows the attempts finished so far.
 */
static void *khh_latencies_start(struct seq_file *m, loff_t *pos)
{
	mutex_lock(&khh.lock);
	return *pos < khh_samples_done(&khh.run) ? pos : NULL;
}

static void *khh_latencies_next(struct seq_file *m, void *v, loff_t *pos)
{
	(*pos)++;
	return *pos < khh_samples_done(&khh.run) ? pos : NULL;
}

static void khh_latencies_stop(struct seq_file *m, void *v)
{
	mutex_unlock(&khh.lock);
}

static int khh_latencies_show(struct seq_file *m, void *v)
{
	loff_t i = *(loff_t *)v;
	const struct khh_sample *s = &khh.run.samples[i];

	seq_printf(m, "%lld %llu %d %lu %llu %llu\n", i, s->latency_ns,
		   s->pfn != 0, s->pfn, s->start_ns, s->late_ns);
	return 0;
}

static const struct seq_operations khh_latencies_sops = {
	.start	= khh_latencies_start,
	.next	= khh_latencies_next,
	.stop	= khh_latencies_stop,
	.show	= khh_latencies_show,
};
DEFINE_SEQ_ATTRIBUTE(khh_latencies);

static void khh_show_cfg(struct seq_file *m, const struct khh_run_cfg *cfg,
			 const char *prefix)
{
	seq_printf(m, "%sorder %u\n", prefix, cfg->order);
	seq_printf(m, "%sgfp %s\n", prefix, cfg->gfp->name);
	seq_printf(m, "%sgfp_flags %#x\n", prefix,
		   (__force unsigned int)khh_run_gfp(cfg));
	seq_printf(m, "%scount %lu\n", prefix, cfg->count);
	seq_printf(m, "%smax_failures %u\n", prefix, cfg->max_failures);
	seq_printf(m, "%ssamples %lu\n", prefix, cfg->samples);
	seq_printf(m, "%srate %lu\n", prefix, cfg->rate);
}

static int khh_summary_show(struct seq_file *m, void *v)
{
	const struct khh_run *run = &khh.run;
	const struct khh_latency_stats *st = &run->stats;

	mutex_lock(&khh.lock);
	seq_printf(m, "state %s\n", khh_state_names[khh.state]);
	if (khh.state != KHH_DONE)
		goto out_unlock;
	khh_show_cfg(m, &run->cfg, "");
	seq_printf(m, "attempts %lu\n", run->nr);
	seq_printf(m, "allocated %lu\n", run->successes);
	seq_printf(m, "failed %lu\n", run->failures);
	seq_printf(m, "late %lu\n", run->late);
	seq_printf(m, "held %lu\n", run->allocated);
	seq_printf(m, "stop_reason %s\n", khh_stop_names[run->stop]);
	seq_printf(m, "samples_capacity %lu\n", run->capacity);
	seq_printf(m, "free_floor_kib %lu\n",
		   run->floor_pages << (PAGE_SHIFT - 10));
	seq_printf(m, "alloc_floor_kib %lu\n",
		   run->alloc_floor_pages << (PAGE_SHIFT - 10));
	seq_printf(m, "floor_drains %u\n", run->floor_drains);
	seq_printf(m, "floor_drains_failed %u\n", run->floor_drains_failed);
	seq_printf(m, "free_kib_before %lu\n", run->free_kib_before);
	seq_printf(m, "free_kib_after %lu\n", run->free_kib_after);
	seq_printf(m, "duration_ns %llu\n", run->duration_ns);
	seq_printf(m, "timer_overhead_ns %llu\n", run->timer_overhead_ns);
	seq_printf(m, "min_ns %llu\n", st->min_ns);
	seq_printf(m, "max_ns %llu\n", st->max_ns);
	seq_printf(m, "mean_ns %llu\n", st->mean_ns);
	seq_printf(m, "p50_ns %llu\n", st->p50_ns);
	seq_printf(m, "p90_ns %llu\n", st->p90_ns);
	seq_printf(m, "p99_ns %llu\n", st->p99_ns);
	seq_printf(m, "p999_ns %llu\n", st->p999_ns);
out_unlock:
	mutex_unlock(&khh.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(khh_summary);

static int khh_status_show(struct seq_file *m, void *v)
{
	const struct khh_run *run = &khh.run;
	unsigned long held;

	mutex_lock(&khh.lock);
	held = READ_ONCE(run->allocated);
	seq_printf(m, "state %s\n", khh_state_names[khh.state]);
	seq_printf(m, "attempts %lu\n", khh_samples_done(run));
	seq_printf(m, "held_pages %lu\n", held);
	seq_printf(m, "held_kib %lu\n",
		   held << (run->cfg.order + PAGE_SHIFT - 10));
	seq_printf(m, "runs %lu\n", khh.runs_done);
	seq_printf(m, "pinned %lu\n", khh_nr_pinned());
	khh_show_cfg(m, &khh_default_cfg, "default_");
	mutex_unlock(&khh.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(khh_status);

/*
 * debugfs failures are not fatal, and not checked, by kernel convention.
 * Created last in init: nothing can be started or pinned before the
 * module is ready.  latencies holds physical frame numbers: root only,
 * as /proc/PID/pagemap shows them to CAP_SYS_ADMIN only.
 */
void khh_debugfs_init(void)
{
	khh_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("control", 0600, khh_dir, NULL, &khh_control_fops);
	debugfs_create_file("latencies", 0400, khh_dir, NULL,
			    &khh_latencies_fops);
	debugfs_create_file("summary", 0444, khh_dir, NULL, &khh_summary_fops);
	debugfs_create_file("status", 0444, khh_dir, NULL, &khh_status_fops);
	khh_extfrag_debugfs_init(khh_dir);
	khh_pageblock_debugfs_init(khh_dir);
	khh_compactor_debugfs_init(khh_dir);
}

/* Waits for the files' users, so no control write runs after this. */
void khh_debugfs_exit(void)
{
	debugfs_remove_recursive(khh_dir);
}
