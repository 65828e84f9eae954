#!/bin/sh
# Guest side of vm_patchbuild_cumulative: v1 (fix A: /proc/cmdline), then
# v2 (A + B: /proc/consoles) replacing it atomically, then v2 disabled.
set -eu
# shellcheck source-path=SCRIPTDIR source=../guest/lpvm-guest.sh
. /lpvm/lpvm-guest.sh

cmdline_orig=$(cat /proc/cmdline)
consoles_orig=$(cat /proc/consoles)
case "$cmdline_orig$consoles_orig" in
*fleetpatch=*) lpvm_die "a marker is there before patching" ;;
esac
cmdline_a="$cmdline_orig fleetpatch=cmdline"
# Fix B: each console line names the next console (the last: none).
consoles_b=$(printf '%s\n' "$consoles_orig" | awk '
	{ line[NR] = $0; split($1, a, /[0-9]+$/); name[NR] = a[1] }
	END { for (i = 1; i <= NR; i++)
		printf "%s fleetpatch=consoles next=%s\n", line[i], (i < NR ? name[i + 1] : "none") }')

# expect TAG FILE WANT
expect() {
	_got=$(cat "$2")
	printf '%s: %s %s\n' "$1" "$(basename "$2")" "$_got"
	[ "$_got" = "$3" ] || lpvm_die "$1: $2 is not '$3'"
}

lpvm_klp_load /lpvm/lp_cumul_v1.ko
expect cumul-v1 /proc/cmdline "$cmdline_a"
expect cumul-v1 /proc/consoles "$consoles_orig"

lpvm_klp_load /lpvm/lp_cumul_v2.ko
expect cumul-v2 /proc/cmdline "$cmdline_a"
expect cumul-v2 /proc/consoles "$consoles_b"
# v2 replaced v1: v1's patch is gone, its module stays until removed.
lpvm_klp_wait_gone lp_cumul_v1
[ "$(cat /sys/kernel/livepatch/lp_cumul_v2/enabled)" = 1 ] || lpvm_die "lp_cumul_v2 is not enabled"
[ -d /sys/module/lp_cumul_v1 ] || lpvm_die "lp_cumul_v1's module is gone before rmmod"
rmmod lp_cumul_v1 || lpvm_die "rmmod of the replaced lp_cumul_v1 failed"
[ ! -d /sys/module/lp_cumul_v1 ] || lpvm_die "lp_cumul_v1 still loaded after rmmod"
echo "cumul-v2: v1 replaced and removed"
expect cumul-v2-alone /proc/cmdline "$cmdline_a"
expect cumul-v2-alone /proc/consoles "$consoles_b"

lpvm_klp_disable lp_cumul_v2
expect cumul-restored /proc/cmdline "$cmdline_orig"
expect cumul-restored /proc/consoles "$consoles_orig"
rmmod lp_cumul_v2 || lpvm_die "rmmod lp_cumul_v2 failed"
[ -z "$(ls /sys/kernel/livepatch)" ] || lpvm_die "livepatches left: $(ls /sys/kernel/livepatch)"

lpvm_check_dmesg
lpvm_say PASS
