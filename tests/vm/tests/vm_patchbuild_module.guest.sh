#!/bin/sh
# Guest side of vm_patchbuild_module: the livepatch of the shipped
# binfmt_misc.ko, loaded before and then after the module.
set -eu
# shellcheck source-path=SCRIPTDIR source=../guest/lpvm-guest.sh
. /lpvm/lpvm-guest.sh

mnt=/tmp/binfmt_misc
mkdir -p "$mnt"

status() {
	cat "$mnt/status"
}

# 1. Livepatch first: binfmt_misc is not loaded, its part waits for it.
[ ! -d /sys/module/binfmt_misc ] || lpvm_die "binfmt_misc already loaded"
lpvm_klp_load /lpvm/lp_gen_binfmt.ko
lpvm_kmod_load binfmt_misc || lpvm_die "loading binfmt_misc failed"
mount -t binfmt_misc none "$mnt" || lpvm_die "mount -t binfmt_misc failed"
s=$(status)
echo "binfmt-patch-first: $s"
[ "$s" = "enabled fleetpatch=binfmt_misc" ] || lpvm_die "patched status wrong: '$s'"
# The module's own `enabled`, written by the unpatched bm_status_write.
echo 0 >"$mnt/status"
s=$(status)
echo "binfmt-patch-first-off: $s"
[ "$s" = "disabled fleetpatch=binfmt_misc" ] || lpvm_die "patched status after 'echo 0' wrong: '$s'"
echo 1 >"$mnt/status"
lpvm_klp_disable lp_gen_binfmt
s=$(status)
echo "binfmt-disabled: $s"
[ "$s" = enabled ] || lpvm_die "status not restored after disabling: '$s'"
rmmod lp_gen_binfmt || lpvm_die "rmmod lp_gen_binfmt failed"

# 2. Module first: the livepatch's module part is applied at its load.
lpvm_klp_load /lpvm/lp_gen_binfmt.ko
s=$(status)
echo "binfmt-module-first: $s"
[ "$s" = "enabled fleetpatch=binfmt_misc" ] || lpvm_die "patched status (module first) wrong: '$s'"
lpvm_klp_disable lp_gen_binfmt
s=$(status)
echo "binfmt-restored: $s"
[ "$s" = enabled ] || lpvm_die "status not restored after disabling: '$s'"
lpvm_kmod_unload lp_gen_binfmt

umount "$mnt" || lpvm_die "umount $mnt failed"
rmmod binfmt_misc || lpvm_die "rmmod binfmt_misc failed"

lpvm_check_dmesg
lpvm_say PASS
