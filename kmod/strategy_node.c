// SPDX-License-Identifier: GPL-2.0
/*
 * The node strategy: the kernel's own whole-node compaction, by a write to
 * /sys/devices/system/node/nodeN/compact (compact_memory for one node,
 * MIGRATE_SYNC).  One node compaction per pass.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/kernel.h>

#include "compactor.h"

/*
 * Kernel threads resolve paths from an empty root (nullfs) since 7.x:
 * the node's file is looked up in init's view of the filesystems, as a
 * write from userspace would be.
 */
static struct file *khc_open_node_file(const char *path)
{
#ifdef scoped_with_init_fs
	scoped_with_init_fs()
		return filp_open(path, O_WRONLY, 0);
#else
	return filp_open(path, O_WRONLY, 0);
#endif
}

static void khc_pass_node(const struct khc_pass_args *args,
			  struct khc_pass_result *res)
{
	char path[64];
	struct file *f;
	loff_t pos = 0;
	ssize_t ret;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/compact",
		 args->nid);
	f = khc_open_node_file(path);
	if (IS_ERR(f)) {
		pr_warn_once("compactor: cannot open %s: %ld\n", path,
			     PTR_ERR(f));
		return;
	}
	ret = kernel_write(f, "1", 1, &pos);
	filp_close(f, NULL);
	res->done = ret == 1;
}

KHC_STRATEGY(node,
	     .pass = khc_pass_node,
);
