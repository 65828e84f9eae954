#!/bin/sh
# Guest side of vm_patchbuild_syscall: umask(2) with a bit outside 0777 is
# accepted (and the bit ignored) by the original, refused with -EINVAL
# (-22) by the patched __x64_sys_umask the syscall table reaches, and
# accepted again after disabling. Each lp_probe is a new process: the old
# mask it prints is the shell's.
set -eu
# shellcheck source-path=SCRIPTDIR source=../guest/lpvm-guest.sh
. /lpvm/lpvm-guest.sh

probe() {
	out=$(/lpvm/lp_probe umask "$1") || lpvm_die "lp_probe umask $1 failed"
	echo "$out"
}

umask 022
r=$(probe 01022)
echo "syscall-before: $r"
[ "$r" = "umask(01022) = 022" ] || lpvm_die "the original umask did not accept 01022"

lpvm_klp_load /lpvm/lp_gen_umask.ko
r=$(probe 01022)
echo "syscall-patched: $r"
[ "$r" = "umask(01022) = -22" ] || lpvm_die "the patched umask did not refuse 01022 with EINVAL"
r=$(probe 027)
echo "syscall-patched-good: $r"
[ "$r" = "umask(027) = 022" ] || lpvm_die "the patched umask refused a good mask"

lpvm_klp_disable lp_gen_umask
r=$(probe 01022)
echo "syscall-after: $r"
[ "$r" = "umask(01022) = 022" ] || lpvm_die "umask not back to the original after disabling"

rmmod lp_gen_umask || lpvm_die "rmmod lp_gen_umask failed"
[ ! -d /sys/module/lp_gen_umask ] || lpvm_die "lp_gen_umask still loaded after rmmod"
lpvm_check_dmesg
lpvm_say PASS
