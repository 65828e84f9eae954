#!/bin/sh
# Guest side of vm_patchbuild_testmod: the generated patch for lp_testmod,
# loaded before and then after the module.
set -eu
# shellcheck source-path=SCRIPTDIR source=../guest/lpvm-guest.sh
. /lpvm/lpvm-guest.sh

# expect_read N PATCHED(yes|no): /proc/lp_testmod for the Nth read.
expect_read() {
	_out=$(cat /proc/lp_testmod)
	_orig="lp_testmod static_fn: original (read $1)
lp_testmod global_fn: original (read $1)"
	if [ "$2" = yes ]; then
		_want="lp_testmod show: patched by fleetpatch (read $1)
$_orig"
	else
		_want=$_orig
	fi
	[ "$_out" = "$_want" ] || lpvm_die "read $1: got '$_out', want '$_want'"
	printf '%s\n' "$_out" | head -n1
}

# 1. Patch first: its lp_testmod relocations wait for the module.
lpvm_klp_load /lpvm/lp_gen_testmod.ko
insmod /lpvm/lp_testmod.ko || lpvm_die "insmod lp_testmod failed"
echo "testmod-before: $(expect_read 1 yes)"
lpvm_klp_disable lp_gen_testmod
echo "testmod-disabled: $(expect_read 2 no)"
rmmod lp_gen_testmod || lpvm_die "rmmod lp_gen_testmod failed"

# 2. Module first: the relocations are applied when the patch loads.
lpvm_klp_load /lpvm/lp_gen_testmod.ko
echo "testmod-after: $(expect_read 3 yes)"
lpvm_klp_disable lp_gen_testmod
echo "testmod-restored: $(expect_read 4 no)"
rmmod lp_gen_testmod || lpvm_die "rmmod lp_gen_testmod failed"
rmmod lp_testmod || lpvm_die "rmmod lp_testmod failed"

lpvm_check_dmesg
lpvm_say PASS
