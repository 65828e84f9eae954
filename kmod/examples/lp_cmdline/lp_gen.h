/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations of the hand-written /proc/cmdline example, in the form
 * patchbuild generates (see kmod/README.md).
 */
#ifndef LP_GEN_H
#define LP_GEN_H

#include <linux/seq_file.h>

#define LP_DESCRIPTION "fleetpatch example: marks /proc/cmdline as live patched"

/* The text the VM tests look for; keep in sync with tests/vm. */
#define LP_CMDLINE_MARKER "fleetpatch_lp=1"

int lp_cmdline_proc_show(struct seq_file *m, void *v);

#endif /* LP_GEN_H */
