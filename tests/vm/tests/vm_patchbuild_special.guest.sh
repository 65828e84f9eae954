#!/bin/sh
# Guest side of vm_patchbuild_special: the patched comm_write() (fs/proc/base.c)
# reads the first byte with unsafe_get_user (its fault goes through the
# module's __ex_table), refuses '!' with WARN_ON_ONCE (the module's
# __bug_table must name fs/proc/base.c, else ud2 is an oops), logs under
# dynamic debug (the module's __dyndbg + __jump_table, switched on through
# /proc/dynamic_debug/control) and calls cond_resched() (a static call site).
# The WARN is expected: the host allows it and checks there is no oops.
set -eu
# shellcheck source-path=SCRIPTDIR source=../guest/lpvm-guest.sh
. /lpvm/lpvm-guest.sh

comm=/proc/$$/comm
set_comm() { printf '%s' "$1" 2>/dev/null >"$comm"; }
lines() { dmesg | grep -c "$1" || true; }

# Before: any name is taken, a fault is a plain -EFAULT.
set_comm '!before' || lpvm_die "the original refused a name"
[ "$(cat "$comm")" = '!before' ] || lpvm_die "comm not set by the original"
echo "special-before: $(/lpvm/lp_probe badwrite "$comm")"
[ "$(lines 'fleetpatch: comm_write')" = 0 ] || lpvm_die "patched messages before patching"

lpvm_klp_load /lpvm/lp_gen_special.ko
set_comm 'patched' || lpvm_die "the patched comm_write refused a good name"
[ "$(cat "$comm")" = patched ] || lpvm_die "comm not set by the patched function"
[ "$(lines 'fleetpatch: comm_write first byte')" = 0 ] || lpvm_die "pr_debug printed while disabled"

# Dynamic debug: the patch module's own descriptor, switched by its static key.
grep 'fleetpatch: comm_write first byte' /proc/dynamic_debug/control | sed 's/^/special-ddebug: /'
echo 'module lp_gen_special +p' >/proc/dynamic_debug/control || lpvm_die "enabling pr_debug failed"
set_comm 'hello' || lpvm_die "write failed with pr_debug on"
echo 'module lp_gen_special -p' >/proc/dynamic_debug/control
set_comm 'quiet' || lpvm_die "write failed with pr_debug off"
[ "$(lines 'fleetpatch: comm_write first byte 0x68')" = 1 ] || lpvm_die "pr_debug did not print once for 'hello'"
[ "$(lines 'fleetpatch: comm_write first byte')" = 1 ] || lpvm_die "pr_debug printed after switching it off"
echo "special-ddebug-line: $(dmesg | grep 'fleetpatch: comm_write first byte' | sed 's/^\[[^]]*\] //')"

# The fault path: the module's exception table entry leads to its label.
echo "special-patched: $(/lpvm/lp_probe badwrite "$comm")"
[ "$(lines 'fleetpatch: comm_write: fault reading the new name')" = 1 ] ||
	lpvm_die "the fault did not reach the patched fixup"

# WARN_ON_ONCE: refused twice, warned once, against the patched function.
if set_comm '!bad'; then lpvm_die "the patched comm_write took a name starting with '!'"; fi
if set_comm '!again'; then lpvm_die "the second '!' name was taken"; fi
[ "$(cat "$comm")" = quiet ] || lpvm_die "a refused name changed comm"
[ "$(lines 'WARNING: ')" = 1 ] || lpvm_die "expected exactly one WARNING"
echo "special-warn: $(dmesg | grep 'WARNING: ' | sed 's/^\[[^]]*\] //')"

lpvm_klp_disable lp_gen_special
set_comm '!after' || lpvm_die "the original refused '!after' after disabling"
[ "$(cat "$comm")" = '!after' ] || lpvm_die "comm not set after disabling"
echo "special-after: $(/lpvm/lp_probe badwrite "$comm")"
[ "$(lines 'fleetpatch: comm_write: fault')" = 1 ] || lpvm_die "the patched fixup ran after disabling"
lpvm_kmod_unload lp_gen_special
if dmesg | grep -E 'Oops|BUG:|general protection|Kernel panic|invalid opcode'; then
	lpvm_die "kernel log shows a crash (lines above)"
fi
lpvm_say PASS
