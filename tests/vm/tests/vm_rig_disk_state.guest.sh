#!/bin/sh
# Guest side of vm_rig_disk_state; lpvm.phase says which boot this is.
set -eu
# shellcheck source-path=SCRIPTDIR source=../guest/lpvm-guest.sh
. /lpvm/lpvm-guest.sh

dir=/var/lib/patchd
phase=$(lpvm_param phase)
grep " $dir ext4 " /proc/mounts >/dev/null || lpvm_die "$dir is not mounted"
[ "$(cat "$dir/seed.txt")" = "seeded by the host" ] || lpvm_die "seed.txt missing"

case "$phase" in
1)
	[ ! -e "$dir/state.txt" ] || lpvm_die "state.txt exists before the first boot wrote it"
	echo "boot 1" >"$dir/state.txt"
	;;
2)
	[ "$(cat "$dir/state.txt")" = "boot 1" ] || lpvm_die "state of boot 1 not kept"
	echo "boot 2" >>"$dir/state.txt"
	;;
*)
	lpvm_die "unknown phase '$phase'"
	;;
esac
echo "state after boot $phase:"
cat "$dir/state.txt"
lpvm_check_dmesg
lpvm_say PASS
