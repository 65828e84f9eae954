#!/bin/sh
# Guest side of vm_patchbuild_cmdline: the generated module appends
# " fleetpatch=cmdline" to the real command line (saved_command_line, via a
# livepatch relocation); disabling restores the original exactly.
set -eu
# shellcheck source-path=SCRIPTDIR source=../guest/lpvm-guest.sh
. /lpvm/lpvm-guest.sh

orig=$(cat /proc/cmdline)
echo "cmdline-original: $orig"
case "$orig" in
*fleetpatch=cmdline*) lpvm_die "marker already in /proc/cmdline before patching" ;;
esac

lpvm_klp_load /lpvm/lp_gen_cmdline.ko
patched=$(cat /proc/cmdline)
echo "cmdline-patched: $patched"
[ "$patched" = "$orig fleetpatch=cmdline" ] ||
	lpvm_die "/proc/cmdline is not the original command line + ' fleetpatch=cmdline'"
[ "$(cat /sys/kernel/livepatch/lp_gen_cmdline/enabled)" = 1 ] || lpvm_die "not enabled"

lpvm_klp_disable lp_gen_cmdline
restored=$(cat /proc/cmdline)
echo "cmdline-restored: $restored"
[ "$restored" = "$orig" ] || lpvm_die "/proc/cmdline not restored after disabling"

lpvm_kmod_unload lp_gen_cmdline

lpvm_check_dmesg
lpvm_say PASS
