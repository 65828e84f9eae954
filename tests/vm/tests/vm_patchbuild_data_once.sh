#!/usr/bin/env bash
# An existing static local whose name many files share (issue 5 item 1), built
# by `patchbuild build` from examples/data-once/oom_adj.patch: the patched
# __set_oom_adj() keeps its pr_warn_once, whose flag __already_done.3 has 49
# namesakes in vmlinux. generate finds the right one (klp symbol
# __already_done.3,<pos>) through the address the shipped code of a function
# using it holds; the VM shows the warning printed before the patch is not
# printed again with it, while the new log line is. The copy's tracepoint
# (__jump_table entry and static call sites keyed on vmlinux symbols through
# klp relocations) fires once while the event is enabled. Then disable,
# rmmod, no splat.
#   PATCHBUILD_BUILD_DIR   CMake build dir holding patchbuild (ctest sets it)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lpvm.sh
source "${here}/../lib/lpvm.sh"

check_transcript() {
	local log=$1
	lpvm_expect "${log}" '^once-patched: logged 2, deprecated 1$' &&
		lpvm_expect "${log}" '^once-traced: 1$' &&
		lpvm_expect "${log}" '^once-after: logged 2, deprecated 1$' &&
		lpvm_expect_klp_cycle "${log}" lp_gen_once
}

check_module() {
	local ko=$1 syms
	syms=$(readelf -sW "${ko}") || lpvm_err "readelf ${ko} failed" || return 1
	grep -Eq ' \.klp\.sym\.vmlinux\.__already_done\.[0-9]+,[1-9][0-9]*$' <<<"${syms}" ||
		lpvm_err "no livepatch symbol with a sympos for the once flag" || return 1
}

main() {
	lpvm_init vm_patchbuild_data_once
	local ko=${LPVM_WORK}/lp_gen_once.ko
	lpvm_patchbuild lp_gen_once "${ko}" --patch "${LPVM_SRC_ROOT}/examples/data-once/oom_adj.patch"
	grep -Eq '^  replaced  vmlinux:__set_oom_adj(\.isra\.[0-9]+)? ' "${LPVM_PB_LOG}" ||
		lpvm_err "build summary does not name __set_oom_adj: $(cat "${LPVM_PB_LOG}")" || return 1
	check_module "${ko}"
	lpvm_run_guest "${here}/vm_patchbuild_data_once.guest.sh" --file "${ko}" /lpvm/lp_gen_once.ko \
		-- check_transcript
}

main "$@"
