/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vocabulary of a generated livepatch (lp_gen.h and lp_gen_table.h).
 *
 * A livepatch module built from the skeleton is lp_skeleton.c, one or more
 * objects holding the replacement functions, and two headers written by
 * patchbuild (or by hand for the examples):
 *   lp_gen.h        declarations: replacement functions, callbacks, options
 *   lp_gen_table.h  the klp_func arrays and the lp_objects array
 * kmod/README.md documents the contract.
 */
#ifndef LP_SKELETON_H
#define LP_SKELETON_H

#include <linux/livepatch.h>

/* klp_object.name for functions of the kernel image itself. */
#define LP_VMLINUX NULL

/* One patched function; sympos 0 means the name is unique in its object. */
#define LP_FUNC(old, new, sympos) \
	{ .old_name = (old), .new_func = (new), .old_sympos = (sympos) }

/* One target object (LP_VMLINUX or a module name) without callbacks. */
#define LP_OBJECT(objname, func_array) \
	{ .name = (objname), .funcs = (func_array) }

/*
 * One target object with callbacks; pass NULL for those not wanted. A
 * pre_patch callback that returns non-zero makes the kernel refuse the
 * patch (or the loading of that target module while the patch is on).
 */
#define LP_OBJECT_CB(objname, func_array, pre_p, post_p, pre_u, post_u)	\
	{								\
		.name = (objname),					\
		.funcs = (func_array),				\
		.callbacks = {						\
			.pre_patch = (pre_p),				\
			.post_patch = (post_p),				\
			.pre_unpatch = (pre_u),				\
			.post_unpatch = (post_u),			\
		},							\
	}

/* Callback signatures, for lp_gen.h to declare the functions it names. */
#define LP_PRE_PATCH_CB(fn)	int fn(struct klp_object *obj)
#define LP_POST_PATCH_CB(fn)	void fn(struct klp_object *obj)
#define LP_PRE_UNPATCH_CB(fn)	void fn(struct klp_object *obj)
#define LP_POST_UNPATCH_CB(fn)	void fn(struct klp_object *obj)

#endif /* LP_SKELETON_H */
