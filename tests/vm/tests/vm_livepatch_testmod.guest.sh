#!/bin/sh
# Guest side of vm_livepatch_testmod.
set -eu
# shellcheck source-path=SCRIPTDIR source=../guest/lpvm-guest.sh
. /lpvm/lpvm-guest.sh

# Print /proc/lp_testmod with a label; fail unless both functions show $2.
read_testmod() {
	out=$(cat /proc/lp_testmod) || lpvm_die "cannot read /proc/lp_testmod"
	echo "$out" | sed "s/^/$1: /"
	for fn in static_fn global_fn; do
		echo "$out" | grep "lp_testmod $fn: $2 " >/dev/null ||
			lpvm_die "$1: $fn is not '$2'"
	done
}

# 1. Patch a module that is already loaded.
insmod /lpvm/lp_testmod.ko
read_testmod before-patch original
lpvm_klp_load /lpvm/lp_testmod_patch.ko
read_testmod after-patch patched
lpvm_klp_disable lp_testmod_patch
read_testmod after-disable original
rmmod lp_testmod_patch
rmmod lp_testmod

# 2. Patch first, then load the module: the livepatch core patches it as it
#    comes (and runs the object's callbacks then).
lpvm_klp_load /lpvm/lp_testmod_patch.ko
insmod /lpvm/lp_testmod.ko
read_testmod module-after-patch patched
lpvm_klp_disable lp_testmod_patch
read_testmod module-after-disable original
rmmod lp_testmod_patch
rmmod lp_testmod
[ ! -d /sys/module/lp_testmod ] || lpvm_die "lp_testmod still loaded"

lpvm_check_dmesg
lpvm_say PASS
