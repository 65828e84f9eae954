// SPDX-License-Identifier: GPL-2.0
/*
 * Replacement for fs/proc/cmdline.c:cmdline_proc_show().
 *
 * The original prints saved_command_line, which is not exported to modules;
 * reaching it would need a livepatch relocation, which is patchbuild's job.
 * A hand-written example prints a fixed, recognisable line instead.
 */
#include <linux/seq_file.h>

#include "lp_skeleton.h"
#include "lp_gen.h"

int lp_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_puts(m, "fleetpatch: live patched by " KBUILD_MODNAME " "
		 LP_CMDLINE_MARKER "\n");
	return 0;
}
