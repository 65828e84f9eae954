#!/bin/sh
# Guest side of vm_patchbuild_multi: one livepatch for vmlinux, nls_utf8 and
# zram, loaded after the two modules, then once more before zram loads.
set -eu
# shellcheck source-path=SCRIPTDIR source=../guest/lpvm-guest.sh
. /lpvm/lpvm-guest.sh

lpvm_kmod_load nls_utf8 || lpvm_die "loading nls_utf8 failed"
lpvm_kmod_load zram || lpvm_die "loading zram failed"
streams=/sys/block/zram0/max_comp_streams
[ -r $streams ] || lpvm_die "no $streams after loading zram"

cmdline_orig=$(cat /proc/cmdline)
zram_orig=$(cat $streams)
case "$cmdline_orig$zram_orig" in
*fleetpatch=*) lpvm_die "a marker is there before patching" ;;
esac
echo "multi-original: zram $zram_orig"

# post_patched N: zram's post-patch callback has run N times.
post_patched() {
	_n=$(dmesg | grep -c 'zram: fleetpatch post_patch: max_comp_streams patched' || true)
	[ "$_n" = "$1" ] || lpvm_die "zram's post_patch callback ran $_n times, not $1"
	echo "multi-callback: zram post_patch x$_n"
}

# expect TAG WHAT FILE WANT
expect() {
	_got=$(cat "$3")
	echo "$1: $2 $_got"
	[ "$_got" = "$4" ] || lpvm_die "$1: $3 is '$_got', not '$4'"
}

lpvm_klp_load /lpvm/lp_multi.ko
post_patched 1
expect multi-patched cmdline /proc/cmdline "$cmdline_orig fleetpatch=cmdline"
expect multi-patched zram $streams "$zram_orig fleetpatch=zram"
dir=$(lpvm_klp_dir lp_multi)
objects=$(cd "$dir" && for o in *; do [ -d "$o" ] && printf ' %s' "$o"; done)
echo "multi-patched: objects$objects"
for o in vmlinux nls_utf8 zram; do
	[ "$(cat "$dir/$o/patched")" = 1 ] || lpvm_die "object $o of lp_multi is not patched"
done
# sysfs names a function with sympos 0 "<name>,1"
[ -d "$dir/nls_utf8/uni2char,1" ] || lpvm_die "nls_utf8 object lacks uni2char"

lpvm_klp_disable lp_multi
expect multi-restored cmdline /proc/cmdline "$cmdline_orig"
expect multi-restored zram $streams "$zram_orig"
rmmod lp_multi || lpvm_die "rmmod lp_multi failed"

# The patch first, zram afterwards: its klp object is patched when it loads.
rmmod zram || lpvm_die "rmmod zram failed"
lpvm_klp_load /lpvm/lp_multi.ko
[ "$(cat "$dir/zram/patched")" = 0 ] || lpvm_die "zram object patched while zram is not loaded"
post_patched 1
lpvm_kmod_load zram || lpvm_die "loading zram under the patch failed"
post_patched 2
[ "$(cat "$dir/zram/patched")" = 1 ] || lpvm_die "zram object not patched after zram loaded"
expect multi-late zram $streams "$zram_orig fleetpatch=zram"
lpvm_klp_disable lp_multi
expect multi-late-restored zram $streams "$zram_orig"
rmmod lp_multi || lpvm_die "rmmod lp_multi failed"

lpvm_check_dmesg
lpvm_say PASS
