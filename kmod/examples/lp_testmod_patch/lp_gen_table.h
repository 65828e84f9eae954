/* SPDX-License-Identifier: GPL-2.0 */
/* Patch table of the lp_testmod example; included by lp_skeleton.c only. */

static struct klp_func lp_funcs_lp_testmod[] = {
	LP_FUNC("lp_testmod_static_fn", lp_testmod_patch_static_fn, 0),
	LP_FUNC("lp_testmod_global_fn", lp_testmod_patch_global_fn, 0),
	{ }
};

static struct klp_object lp_objects[] = {
	LP_OBJECT_CB("lp_testmod", lp_funcs_lp_testmod,
		     lp_testmod_patch_pre_patch, lp_testmod_patch_post_patch,
		     lp_testmod_patch_pre_unpatch,
		     lp_testmod_patch_post_unpatch),
	{ }
};
