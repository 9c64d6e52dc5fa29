/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hotpatch/klp-helpers.h - callbacks and shadow variables for fixes built by `hotpatch build`.
 *
 * A fix that changes data the running kernel already holds cannot change that data in place:
 * the structures are allocated and in use. Two tools of the kernel's livepatch core cover most
 * such fixes, and this header makes them usable from the fix itself (a unified diff against
 * the kernel source). `hotpatch build` adds this header to the fix's scratch tree when the
 * fix includes it, so the fix needs only:
 *
 *	#include <hotpatch/klp-helpers.h>
 *
 * 1. Callbacks (Documentation/livepatch/callbacks.rst). Declare at most one of each kind per
 *    compilation unit; they run for the klp object (vmlinux or the module) the unit belongs to,
 *    and only while that object is loaded:
 *
 *	static int my_pre(struct klp_object *obj) { ... return 0; }
 *	HOTPATCH_PRE_PATCH(my_pre);      before patching; non-zero refuses the patch
 *	HOTPATCH_POST_PATCH(my_post);    after the transition to the patched state
 *	HOTPATCH_PRE_UNPATCH(my_preun);  before unpatching starts
 *	HOTPATCH_POST_UNPATCH(my_postun);after the transition back (free shadow data here)
 *
 *    The macros define functions with the reserved names __hotpatch_pre_patch etc.; the build
 *    finds them among the fix's new functions and puts them into klp_object.callbacks.
 *
 * 2. Shadow variables (Documentation/livepatch/shadow-vars.rst): extra data attached to an
 *    existing object, keyed by <object address, id>, i.e. a new field for a structure that is
 *    already allocated. Use the kernel's API directly (declared in <linux/livepatch.h>):
 *
 *	klp_shadow_get(obj, id)                          the data, or NULL
 *	klp_shadow_alloc(obj, id, size, gfp, ctor, ctor_data)
 *	klp_shadow_get_or_alloc(obj, id, size, gfp, ctor, ctor_data)
 *	klp_shadow_free(obj, id, dtor)                   when the object is freed
 *	klp_shadow_free_all(id, dtor)                    from HOTPATCH_POST_UNPATCH
 *
 *    Pick ids with HOTPATCH_SHADOW_ID(n): ids are global to the kernel, so they carry a tag.
 *    Allocation may sleep unless gfp says otherwise; the constructor runs under a spinlock.
 *    Shadow data of a replaced patch stays attached: a cumulative patch that takes it over must
 *    use the same id and layout.
 *
 * See examples/shadow-struct-field/ for a worked example that is built and verified in a VM.
 */
#ifndef _HOTPATCH_KLP_HELPERS_H
#define _HOTPATCH_KLP_HELPERS_H

#include <linux/compiler.h>
#include <linux/livepatch.h>

/* A shadow variable id: "hp" in the high bits keeps hotpatch's ids apart from others. */
#define HOTPATCH_SHADOW_ID(n) ((unsigned long)0x68700000UL | ((unsigned long)(n) & 0xffffUL))

/* noinline + __used: the callbacks must stay functions of their own with these exact names
 * (the build looks them up); `fn` may be inlined into them. */
#define HOTPATCH_PRE_PATCH(fn)                                                   \
	static noinline __used int __hotpatch_pre_patch(struct klp_object *obj)  \
	{                                                                        \
		return fn(obj);                                                  \
	}
#define HOTPATCH_POST_PATCH(fn)                                                  \
	static noinline __used void __hotpatch_post_patch(struct klp_object *obj) \
	{                                                                        \
		fn(obj);                                                         \
	}
#define HOTPATCH_PRE_UNPATCH(fn)                                                 \
	static noinline __used void __hotpatch_pre_unpatch(struct klp_object *obj) \
	{                                                                        \
		fn(obj);                                                         \
	}
#define HOTPATCH_POST_UNPATCH(fn)                                                \
	static noinline __used void __hotpatch_post_unpatch(struct klp_object *obj) \
	{                                                                        \
		fn(obj);                                                         \
	}

#endif /* _HOTPATCH_KLP_HELPERS_H */
