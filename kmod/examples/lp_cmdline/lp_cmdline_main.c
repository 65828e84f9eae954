// SPDX-License-Identifier: GPL-2.0
/*
 * The klp_patch of this module is the shared skeleton, driven by lp_gen.h in
 * this directory; compiling it here keeps each example's objects separate.
 */
#include "lp_skeleton.c"
