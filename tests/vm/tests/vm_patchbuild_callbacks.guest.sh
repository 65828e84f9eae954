#!/bin/sh
# Guest side of vm_patchbuild_callbacks: /proc/consoles lines gain
# " fleetpatch-shown=N" (a shadow counter per console) while lp_shadow_cb is
# enabled; its callbacks log to the kernel log; disabling frees the counters.
set -eu
# shellcheck source-path=SCRIPTDIR source=../guest/lpvm-guest.sh
. /lpvm/lpvm-guest.sh

# with_count N: the original lines, each with the counter N appended.
with_count() {
	printf '%s\n' "$orig" | awk -v n="$1" '{ printf "%s fleetpatch-shown=%d\n", $0, n }'
}

# expect_consoles TAG WANT: /proc/consoles must read WANT; prints it tagged.
expect_consoles() {
	_got=$(cat /proc/consoles)
	printf '%s\n' "$_got" | sed "s/^/$1: /"
	[ "$_got" = "$2" ] || lpvm_die "$1: /proc/consoles is not '$2'"
}

orig=$(cat /proc/consoles)
[ -n "$orig" ] || lpvm_die "/proc/consoles is empty"
case "$orig" in
*fleetpatch-shown*) lpvm_die "marker already in /proc/consoles before patching" ;;
esac
printf '%s\n' "$orig" | sed 's/^/shadow-original: /'

lpvm_klp_load /lpvm/lp_shadow_cb.ko
dmesg | grep -q 'fleetpatch-shadow: pre_patch' || lpvm_die "no pre_patch callback in the kernel log"
expect_consoles shadow-read-1 "$(with_count 1)"
expect_consoles shadow-read-2 "$(with_count 2)"

lpvm_klp_disable lp_shadow_cb
dmesg | grep -q 'fleetpatch-shadow: post_unpatch' || lpvm_die "no post_unpatch callback in the kernel log"
expect_consoles shadow-restored "$orig"
rmmod lp_shadow_cb || lpvm_die "rmmod lp_shadow_cb failed"

# A second time: the post-unpatch callback freed the counters, so they
# start again at 1 (a leftover shadow would continue at 3).
lpvm_klp_load /lpvm/lp_shadow_cb.ko
expect_consoles shadow-reload "$(with_count 1)"
lpvm_klp_disable lp_shadow_cb
expect_consoles shadow-restored-again "$orig"
rmmod lp_shadow_cb || lpvm_die "rmmod lp_shadow_cb failed"

lpvm_check_dmesg
lpvm_say PASS
