/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations of the hand-written lp_testmod example: one static and one
 * global function of a module, with all four callbacks so tests see in
 * dmesg when the livepatch core runs them (e.g. when lp_testmod is loaded
 * after the patch).
 */
#ifndef LP_GEN_H
#define LP_GEN_H

#include <linux/seq_file.h>

#define LP_DESCRIPTION "fleetpatch example: patches two functions of lp_testmod"

void lp_testmod_patch_static_fn(struct seq_file *m, unsigned long reads);
void lp_testmod_patch_global_fn(struct seq_file *m, unsigned long reads);

LP_PRE_PATCH_CB(lp_testmod_patch_pre_patch);
LP_POST_PATCH_CB(lp_testmod_patch_post_patch);
LP_PRE_UNPATCH_CB(lp_testmod_patch_pre_unpatch);
LP_POST_UNPATCH_CB(lp_testmod_patch_post_unpatch);

#endif /* LP_GEN_H */
