#!/bin/sh
# Guest side of vm_patchbuild_data_once: the patched __set_oom_adj() logs each
# legacy oom_adj write; its existing pr_warn_once flag (__already_done.3, one
# of 49 of that name in vmlinux) must be the running kernel's, which the
# write before the patch already set: the deprecation warning stays at one.
# Its tracepoint (a vmlinux static key and static calls) works in the copy.
set -eu
# shellcheck source-path=SCRIPTDIR source=../guest/lpvm-guest.sh
. /lpvm/lpvm-guest.sh

adj=/proc/$$/oom_adj
deprecated() { dmesg | grep -c 'oom_adj is deprecated' || true; }
logged() { dmesg | grep -c 'fleetpatch: oom_adj of ' || true; }

echo 0 >"$adj"
echo 0 >"$adj"
[ "$(deprecated)" = 1 ] || lpvm_die "the original did not warn exactly once"

lpvm_klp_load /lpvm/lp_gen_once.ko
# The copy also carries __set_oom_adj's tracepoint: a __jump_table entry and
# static call sites whose keys are vmlinux's (klp relocations). Enabling the
# event must switch the module's branch and reach the tracer.
tr=/sys/kernel/debug/tracing
[ -d "$tr/events" ] || { tr=/sys/kernel/tracing; mount -t tracefs nodev "$tr" 2>/dev/null || true; }
[ -d "$tr/events/oom/oom_score_adj_update" ] || lpvm_die "no oom_score_adj_update event under $tr"
echo 1 >"$tr/events/oom/oom_score_adj_update/enable"
echo 0 >"$adj"
echo 0 >"$tr/events/oom/oom_score_adj_update/enable"
echo 0 >"$adj"
events=$(grep -c 'oom_score_adj_update:' "$tr/trace" || true)
echo "once-traced: $events"
[ "$events" = 1 ] || lpvm_die "expected one trace event from the patched __set_oom_adj, got $events"
echo "once-patched: logged $(logged), deprecated $(deprecated)"
[ "$(logged)" = 2 ] || lpvm_die "the patched __set_oom_adj did not log both writes"
[ "$(deprecated)" = 1 ] || lpvm_die "the once flag was not the running kernel's: warned again"

lpvm_klp_disable lp_gen_once
echo 0 >"$adj"
echo "once-after: logged $(logged), deprecated $(deprecated)"
[ "$(logged)" = 2 ] || lpvm_die "the patched code still runs after disabling"
[ "$(deprecated)" = 1 ] || lpvm_die "warned again after disabling"

lpvm_kmod_unload lp_gen_once
lpvm_check_dmesg
lpvm_say PASS
