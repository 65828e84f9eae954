#!/bin/sh
# Guest side of vm_patchbuild_consoles: with the generated module each line
# of /proc/consoles is the original line + " fleetpatch=consoles next=<name
# of the next console>" (the last one: "none"); disabling restores it.
set -eu
# shellcheck source-path=SCRIPTDIR source=../guest/lpvm-guest.sh
. /lpvm/lpvm-guest.sh

orig=$(cat /proc/consoles)
printf 'consoles-original: %s\n' "$orig"
case "$orig" in
*fleetpatch=consoles*) lpvm_die "marker already in /proc/consoles before patching" ;;
esac

# What the patch must print: the name (without index) of the following line.
expected=$(printf '%s\n' "$orig" | awk '
	{ line[NR] = $0; split($1, a, /[0-9]+$/); name[NR] = a[1] }
	END { for (i = 1; i <= NR; i++)
		printf "%s fleetpatch=consoles next=%s\n", line[i], (i < NR ? name[i + 1] : "none") }')

lpvm_klp_load /lpvm/lp_gen_consoles.ko
patched=$(cat /proc/consoles)
printf 'consoles-patched: %s\n' "$patched"
[ "$patched" = "$expected" ] || lpvm_die "/proc/consoles is not as expected: '$expected'"

lpvm_klp_disable lp_gen_consoles
restored=$(cat /proc/consoles)
printf 'consoles-restored: %s\n' "$restored"
[ "$restored" = "$orig" ] || lpvm_die "/proc/consoles not restored after disabling"

lpvm_kmod_unload lp_gen_consoles

lpvm_check_dmesg
lpvm_say PASS
