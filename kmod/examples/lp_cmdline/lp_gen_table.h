/* SPDX-License-Identifier: GPL-2.0 */
/* Patch table of the /proc/cmdline example; included by lp_skeleton.c only. */

/* fs/proc/cmdline.c: the name is unique in vmlinux, so sympos 0. */
static struct klp_func lp_funcs_vmlinux[] = {
	LP_FUNC("cmdline_proc_show", lp_cmdline_proc_show, 0),
	{ }
};

static struct klp_object lp_objects[] = {
	LP_OBJECT(LP_VMLINUX, lp_funcs_vmlinux),
	{ }
};
