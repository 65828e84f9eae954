/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LP_TESTMOD_H
#define LP_TESTMOD_H

#include <linux/seq_file.h>

/* Global (non-static) target: one line naming which version ran. */
void lp_testmod_global_fn(struct seq_file *m, unsigned long reads);

#endif /* LP_TESTMOD_H */
