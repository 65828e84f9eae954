// SPDX-License-Identifier: GPL-2.0
/*
 * lp_testmod: a small module for livepatch tests to patch.
 *
 * Reading /proc/lp_testmod calls one static and one global function of this
 * module; each prints a line saying it is the original, so a test sees in
 * one read which of them a livepatch has replaced:
 *
 *   lp_testmod static_fn: original (read 1)
 *   lp_testmod global_fn: original (read 1)
 *
 * The functions are noinline and print through their arguments, so the
 * compiler keeps them as real functions with their own symbols (a livepatch
 * can only redirect a function that exists in the module's symbol table).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

#include "lp_testmod.h"

static atomic_long_t lp_testmod_reads = ATOMIC_LONG_INIT(0);

static noinline void lp_testmod_static_fn(struct seq_file *m,
					  unsigned long reads)
{
	seq_printf(m, "lp_testmod static_fn: original (read %lu)\n", reads);
}

noinline void lp_testmod_global_fn(struct seq_file *m, unsigned long reads)
{
	seq_printf(m, "lp_testmod global_fn: original (read %lu)\n", reads);
}

static noinline int lp_testmod_show(struct seq_file *m, void *v)
{
	unsigned long reads = atomic_long_inc_return(&lp_testmod_reads);

	lp_testmod_static_fn(m, reads);
	lp_testmod_global_fn(m, reads);
	return 0;
}

static int __init lp_testmod_init(void)
{
	if (!proc_create_single(KBUILD_MODNAME, 0444, NULL, lp_testmod_show))
		return -ENOMEM;
	pr_info("loaded, /proc/%s ready\n", KBUILD_MODNAME);
	return 0;
}

static void __exit lp_testmod_exit(void)
{
	remove_proc_entry(KBUILD_MODNAME, NULL);
	pr_info("unloaded\n");
}

module_init(lp_testmod_init);
module_exit(lp_testmod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("fleetpatch test target for module livepatches");
