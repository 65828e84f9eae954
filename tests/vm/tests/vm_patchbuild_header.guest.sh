#!/bin/sh
# Guest side of vm_patchbuild_header: the patched pde_is_permanent() (a static
# inline of fs/proc/internal.h) logs "fleetpatch: permanent /proc entry NAME"
# under dynamic debug from every patched caller. /proc/cpuinfo is a permanent
# entry (its open/read/release go through proc_reg_*), /proc/cmdline is not.
set -eu
# shellcheck source-path=SCRIPTDIR source=../guest/lpvm-guest.sh
. /lpvm/lpvm-guest.sh

ctl=/proc/dynamic_debug/control
lines() { dmesg | grep -c "$1" || true; }

[ "$(grep -c 'fleetpatch: permanent' "$ctl" || true)" = 0 ] || lpvm_die "debug sites before patching"
cat /proc/cpuinfo >/dev/null
[ "$(lines 'fleetpatch: permanent')" = 0 ] || lpvm_die "messages before patching"

lpvm_klp_load /lpvm/lp_gen_header.ko
# One site per patched unit: the inline's descriptor is one per unit.
grep 'fleetpatch: permanent' "$ctl" | sed 's/^/header-site: /'
echo 'module lp_gen_header +p' >"$ctl" || lpvm_die "enabling the debug sites failed"
cat /proc/cpuinfo >/dev/null
n=$(lines 'fleetpatch: permanent /proc entry cpuinfo')
echo "header-patched: cpuinfo lines $n"
[ "$n" -ge 1 ] || lpvm_die "no message for /proc/cpuinfo from the patched proc_reg_* functions"
cat /proc/cmdline >/dev/null
[ "$(lines 'fleetpatch: permanent /proc entry cmdline')" = 0 ] || lpvm_die "/proc/cmdline is not permanent"

lpvm_klp_disable lp_gen_header
cat /proc/cpuinfo >/dev/null
after=$(lines 'fleetpatch: permanent /proc entry cpuinfo')
echo "header-after: cpuinfo lines $after"
[ "$after" = "$n" ] || lpvm_die "the patched code still runs after disabling"

lpvm_kmod_unload lp_gen_header
[ "$(grep -c 'fleetpatch: permanent' "$ctl" || true)" = 0 ] || lpvm_die "debug sites left after rmmod"
lpvm_check_dmesg
lpvm_say PASS
