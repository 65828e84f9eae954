// SPDX-License-Identifier: GPL-2.0
/*
 * fleetpatch livepatch skeleton.
 *
 * Everything that differs between two patches lives in the generated
 * headers; this file wraps their lp_objects table into a klp_patch and
 * registers it. The patch appears as /sys/kernel/livepatch/<module name>.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/livepatch.h>

#include "lp_skeleton.h"
#include "lp_gen.h"
#include "lp_gen_table.h"

/*
 * Cumulative patches are the default: a new patch atomically replaces every
 * patch loaded before it, so a device carries exactly one patch state.
 */
#ifndef LP_REPLACE
#define LP_REPLACE true
#endif

static struct klp_patch lp_patch = {
	.mod = THIS_MODULE,
	.objs = lp_objects,
	.replace = LP_REPLACE,
};

static int __init lp_init(void)
{
	return klp_enable_patch(&lp_patch);
}

/*
 * Nothing to undo: the livepatch core keeps the module pinned while the
 * patch is enabled, so exit only runs once it has been disabled.
 */
static void __exit lp_exit(void)
{
}

module_init(lp_init);
module_exit(lp_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
#ifdef LP_DESCRIPTION
MODULE_DESCRIPTION(LP_DESCRIPTION);
#endif
