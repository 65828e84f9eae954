#!/bin/sh
# Guest side of vm_patchbuild_syscall: umask(2) with a bit outside 0777 is
# accepted (and the bit ignored) by the original, refused with -EINVAL
# (-22) by the patched __x64_sys_umask the syscall table reaches (and by
# __ia32_sys_umask through int $0x80), and
# accepted again after disabling. Each lp_probe is a new process: the old
# mask it prints is the shell's.
set -eu
# shellcheck source-path=SCRIPTDIR source=../guest/lpvm-guest.sh
. /lpvm/lpvm-guest.sh

# probe [umask|umask32] MASK: umask32 enters through int $0x80, the 32-bit
# table, which reaches __ia32_sys_umask.
probe() {
	out=$(/lpvm/lp_probe "$1" "$2") || lpvm_die "lp_probe $1 $2 failed"
	echo "$out"
}

umask 022
r=$(probe umask 01022)
echo "syscall-before: $r"
[ "$r" = "umask(01022) = 022" ] || lpvm_die "the original umask did not accept 01022"
r=$(probe umask32 01022)
echo "syscall-before: $r"
[ "$r" = "umask32(01022) = 022" ] || lpvm_die "the original 32-bit umask did not accept 01022"

lpvm_klp_load /lpvm/lp_gen_umask.ko
r=$(probe umask 01022)
echo "syscall-patched: $r"
[ "$r" = "umask(01022) = -22" ] || lpvm_die "the patched umask did not refuse 01022 with EINVAL"
r=$(probe umask32 01022)
echo "syscall-patched: $r"
[ "$r" = "umask32(01022) = -22" ] || lpvm_die "the patched 32-bit umask did not refuse 01022 with EINVAL"
r=$(probe umask 027)
echo "syscall-patched-good: $r"
[ "$r" = "umask(027) = 022" ] || lpvm_die "the patched umask refused a good mask"

lpvm_klp_disable lp_gen_umask
r=$(probe umask 01022)
echo "syscall-after: $r"
[ "$r" = "umask(01022) = 022" ] || lpvm_die "umask not back to the original after disabling"
r=$(probe umask32 01022)
echo "syscall-after: $r"
[ "$r" = "umask32(01022) = 022" ] || lpvm_die "32-bit umask not back to the original after disabling"

lpvm_kmod_unload lp_gen_umask
lpvm_check_dmesg
lpvm_say PASS
