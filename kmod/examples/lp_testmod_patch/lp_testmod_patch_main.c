// SPDX-License-Identifier: GPL-2.0
/* The klp_patch of this module is the shared skeleton; see lp_gen.h. */
#include "lp_skeleton.c"
