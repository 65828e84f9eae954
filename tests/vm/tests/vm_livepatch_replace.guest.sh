#!/bin/sh
# Guest side of vm_livepatch_replace.
set -eu
# shellcheck source-path=SCRIPTDIR source=../guest/lpvm-guest.sh
. /lpvm/lpvm-guest.sh

orig=$(cat /proc/cmdline)
insmod /lpvm/lp_testmod.ko

lpvm_klp_load /lpvm/lp_cmdline.ko
grep fleetpatch_lp=1 /proc/cmdline >/dev/null || lpvm_die "lp_cmdline not in effect"

# The second patch does not touch cmdline_proc_show; replacing the first
# must undo it as part of the same transition.
lpvm_klp_load /lpvm/lp_testmod_patch.ko
lpvm_klp_wait_gone lp_cmdline
[ "$(cat /proc/cmdline)" = "$orig" ] || lpvm_die "/proc/cmdline still patched after replace"
echo "replaced: cmdline back to the original"
grep "static_fn: patched" /proc/lp_testmod >/dev/null || lpvm_die "lp_testmod_patch not in effect"
ls /sys/kernel/livepatch

rmmod lp_cmdline || lpvm_die "the replaced patch's module cannot be removed"
lpvm_klp_disable lp_testmod_patch
rmmod lp_testmod_patch
rmmod lp_testmod
lpvm_check_dmesg
lpvm_say PASS
