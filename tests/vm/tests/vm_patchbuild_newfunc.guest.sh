#!/bin/sh
# Guest side of vm_patchbuild_newfunc: with the patch, /proc/version is the
# original banner followed by the line the new function lp_append_tag()
# prints; disabling restores the banner alone.
set -eu
# shellcheck source-path=SCRIPTDIR source=../guest/lpvm-guest.sh
. /lpvm/lpvm-guest.sh

tag="fleetpatch: lp_append_tag release=$(uname -r)"
orig=$(cat /proc/version)
echo "version-original: $orig"
case "$orig" in
*fleetpatch*) lpvm_die "marker already in /proc/version before patching" ;;
esac

lpvm_klp_load /lpvm/lp_gen_newfunc.ko
patched=$(cat /proc/version)
printf '%s\n' "$patched" | sed -n '2p' | sed 's/^/version-patched-tag: /'
[ "$patched" = "$orig
$tag" ] || lpvm_die "/proc/version is not the banner + '$tag': '$patched'"

lpvm_klp_disable lp_gen_newfunc
restored=$(cat /proc/version)
echo "version-restored: $restored"
[ "$restored" = "$orig" ] || lpvm_die "/proc/version not restored after disabling"

lpvm_kmod_unload lp_gen_newfunc

lpvm_check_dmesg
lpvm_say PASS
