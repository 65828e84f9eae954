/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fleetpatch/livepatch.h - what a source patch may use beyond plain C.
 *
 * A patch for a kernel source file includes this header with
 *	#include <fleetpatch/livepatch.h>
 * (`patchbuild build` compiles both sides of the patch with -I kmod/include)
 * and gets:
 *
 * Callbacks of the patched object. The object is the one the patched file
 * is built into: vmlinux, or the module it belongs to. Define the function
 * in the patch, then name it once with the macro of its kind:
 *
 *	static int my_pre_patch(struct klp_object *obj)
 *	{
 *		pr_info("about to patch\n");
 *		return 0;
 *	}
 *	FLEETPATCH_PRE_PATCH(my_pre_patch);
 *
 * The macro leaves a struct klp_callbacks naming the function in a section
 * named .fleetpatch.callbacks.<kind>; patchbuild finds it there, copies the
 * function into the livepatch module and puts it in the object's
 * klp_callbacks. At most one callback of each kind per object. The
 * callback must be a function the patch adds (static is fine).
 *
 * Shadow variables: thin wrappers over the kernel's klp_shadow_* API
 * (exported by the kernel, so the patch module links against it). A shadow
 * variable is data attached to an existing object, keyed by (pointer, id):
 * the way to add a field to a structure that running code already uses.
 * Shadow data starts zeroed. Free what the patch allocated in its
 * post-unpatch callback, with fleetpatch_shadow_free_all(id). A cumulative
 * patch that replaces this one (klp_patch.replace) runs only its own
 * callbacks: keep the id across versions so the next one finds the data.
 */
#ifndef _FLEETPATCH_LIVEPATCH_H
#define _FLEETPATCH_LIVEPATCH_H

#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/livepatch.h>

/*
 * A klp_callbacks with only the member @kind set: a function with the
 * wrong signature does not compile, and the one relocation in the entry
 * names the function.
 */
#define __FLEETPATCH_CALLBACK(kind, fn)					\
	static const struct klp_callbacks __fleetpatch_##kind##_##fn	\
	__used __section(".fleetpatch.callbacks." #kind) = { .kind = (fn) }

/* Before patching; non-zero refuses the patch (or the module's loading). */
#define FLEETPATCH_PRE_PATCH(fn)	__FLEETPATCH_CALLBACK(pre_patch, fn)
/* After the patch took effect for the object. */
#define FLEETPATCH_POST_PATCH(fn)	__FLEETPATCH_CALLBACK(post_patch, fn)
/* Before the patch is taken away from the object. */
#define FLEETPATCH_PRE_UNPATCH(fn)	__FLEETPATCH_CALLBACK(pre_unpatch, fn)
/* After the object runs the old code again: free shadow variables here. */
#define FLEETPATCH_POST_UNPATCH(fn)	__FLEETPATCH_CALLBACK(post_unpatch, fn)

/* The shadow variable @id of @obj, or NULL. */
static inline void *fleetpatch_shadow_get(void *obj, unsigned long id)
{
	return klp_shadow_get(obj, id);
}

/* A new zeroed shadow variable; NULL (and a warning) if it exists. */
static inline void *fleetpatch_shadow_alloc(void *obj, unsigned long id,
					    size_t size, gfp_t gfp)
{
	return klp_shadow_alloc(obj, id, size, gfp, NULL, NULL);
}

/* The existing shadow variable, or a new zeroed one; NULL if out of memory. */
static inline void *fleetpatch_shadow_get_or_alloc(void *obj, unsigned long id,
						   size_t size, gfp_t gfp)
{
	return klp_shadow_get_or_alloc(obj, id, size, gfp, NULL, NULL);
}

/* Frees the shadow variable @id of @obj, if any. */
static inline void fleetpatch_shadow_free(void *obj, unsigned long id)
{
	klp_shadow_free(obj, id, NULL);
}

/* Frees the shadow variables @id of every object. */
static inline void fleetpatch_shadow_free_all(unsigned long id)
{
	klp_shadow_free_all(id, NULL);
}

#endif /* _FLEETPATCH_LIVEPATCH_H */
