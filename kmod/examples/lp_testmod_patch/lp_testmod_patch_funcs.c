// SPDX-License-Identifier: GPL-2.0
/*
 * Replacements and callbacks for lp_testmod. The callbacks only log, so a
 * test can assert on the order the livepatch core ran them in.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/seq_file.h>

#include "lp_skeleton.h"
#include "lp_gen.h"

void lp_testmod_patch_static_fn(struct seq_file *m, unsigned long reads)
{
	seq_printf(m, "lp_testmod static_fn: patched (read %lu)\n", reads);
}

void lp_testmod_patch_global_fn(struct seq_file *m, unsigned long reads)
{
	seq_printf(m, "lp_testmod global_fn: patched (read %lu)\n", reads);
}

LP_PRE_PATCH_CB(lp_testmod_patch_pre_patch)
{
	pr_info("pre_patch %s\n", obj->name);
	return 0;
}

LP_POST_PATCH_CB(lp_testmod_patch_post_patch)
{
	pr_info("post_patch %s\n", obj->name);
}

LP_PRE_UNPATCH_CB(lp_testmod_patch_pre_unpatch)
{
	pr_info("pre_unpatch %s\n", obj->name);
}

LP_POST_UNPATCH_CB(lp_testmod_patch_post_unpatch)
{
	pr_info("post_unpatch %s\n", obj->name);
}
