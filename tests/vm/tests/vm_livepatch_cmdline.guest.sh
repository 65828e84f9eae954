#!/bin/sh
# Guest side of vm_livepatch_cmdline (runs as PID 1's child in the VM).
set -eu
# shellcheck source-path=SCRIPTDIR source=../guest/lpvm-guest.sh
. /lpvm/lpvm-guest.sh

marker=fleetpatch_lp=1

orig=$(cat /proc/cmdline)
echo "cmdline-original: $orig"
case "$orig" in
*"$marker"*) lpvm_die "marker already in /proc/cmdline before patching" ;;
esac

lpvm_klp_load /lpvm/lp_cmdline.ko
patched=$(cat /proc/cmdline)
echo "cmdline-patched: $patched"
case "$patched" in
*"$marker"*) ;;
*) lpvm_die "/proc/cmdline has no '$marker' with lp_cmdline enabled" ;;
esac
[ "$(cat /sys/kernel/livepatch/lp_cmdline/enabled)" = 1 ] || lpvm_die "not enabled"

lpvm_klp_disable lp_cmdline
restored=$(cat /proc/cmdline)
echo "cmdline-restored: $restored"
[ "$restored" = "$orig" ] || lpvm_die "/proc/cmdline not restored after disabling"

lpvm_kmod_unload lp_cmdline

lpvm_check_dmesg
lpvm_say PASS
