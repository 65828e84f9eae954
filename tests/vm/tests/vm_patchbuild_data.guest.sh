#!/bin/sh
# Guest side of vm_patchbuild_data: the patched drop_caches_sysctl_handler()
# logs "fleetpatch: drop_caches writes=W total=T stfu=S" where W (a new static
# local) and T (a new global) live in the patch module and count from 0, and
# S is the running kernel's static local stfu, which an "echo 4" before the
# patch set: a duplicated stfu would print 0 and let the original
# "drop_caches: N" line through again.
set -eu
# shellcheck source-path=SCRIPTDIR source=../guest/lpvm-guest.sh
. /lpvm/lpvm-guest.sh

dc=/proc/sys/vm/drop_caches
original_lines() { dmesg | grep -c ': drop_caches: ' || true; }
patched_lines() { dmesg | grep -c 'fleetpatch: drop_caches ' || true; }

# Before: the original logs every write until one has bit 4 (stfu).
echo 1 >"$dc"
[ "$(original_lines)" = 1 ] || lpvm_die "the original did not log 'drop_caches: 1'"
echo 4 >"$dc"
[ "$(original_lines)" = 2 ] || lpvm_die "the original did not log 'drop_caches: 4'"
echo 1 >"$dc"
[ "$(original_lines)" = 2 ] || lpvm_die "stfu did not silence the original"
echo "data-before: original lines $(original_lines), patched lines $(patched_lines)"

lpvm_klp_load /lpvm/lp_gen_data.ko
echo 1 >"$dc"
echo 3 >"$dc"
dmesg | grep 'fleetpatch: drop_caches ' | sed 's/^.*fleetpatch:/data-patched: fleetpatch:/'
[ "$(patched_lines)" = 2 ] || lpvm_die "expected two lines of the patched handler"
dmesg | grep -q 'fleetpatch: drop_caches writes=1 total=1 stfu=4$' || lpvm_die "first patched write wrong"
dmesg | grep -q 'fleetpatch: drop_caches writes=2 total=4 stfu=4$' || lpvm_die "second patched write wrong"
[ "$(original_lines)" = 2 ] || lpvm_die "stfu was not the running kernel's: the original line came back"

lpvm_klp_disable lp_gen_data
echo 1 >"$dc"
[ "$(patched_lines)" = 2 ] || lpvm_die "the patched handler still runs after disabling"
[ "$(original_lines)" = 2 ] || lpvm_die "stfu lost after disabling"
echo "data-after: original lines $(original_lines), patched lines $(patched_lines)"

lpvm_kmod_unload lp_gen_data
lpvm_check_dmesg
lpvm_say PASS
