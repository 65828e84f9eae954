#!/usr/bin/env bash
# Shadow variables and callbacks (kmod/include/fleetpatch/livepatch.h) in a
# module built by `patchbuild build` (lpvm_patchbuild) from
# examples/shadow-callbacks/consoles_shadow.patch: show_console_dev() counts
# in a shadow variable of each struct console how often it was shown and
# appends " fleetpatch-shown=N"; a pre-patch callback logs
# "fleetpatch-shadow: pre_patch", a post-unpatch callback frees every counter
# and logs "fleetpatch-shadow: post_unpatch". The guest checks /proc/consoles
# before, with (counts 1, 2), after disabling (original again), and with the
# patch loaded a second time (count back to 1: the counters were freed).
#   PATCHBUILD_BUILD_DIR   CMake build dir holding patchbuild (ctest sets it;
#                          default build/)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lpvm.sh
source "${here}/../lib/lpvm.sh"

check_transcript() {
	local log=$1
	lpvm_expect "${log}" '^shadow-read-2: ttyS0 .* fleetpatch-shown=2$' &&
		lpvm_expect "${log}" '^shadow-reload: ttyS0 .* fleetpatch-shown=1$' &&
		lpvm_expect_dmesg "${log}" 'fleetpatch-shadow: pre_patch: counting /proc/consoles reads' &&
		lpvm_expect_dmesg "${log}" 'fleetpatch-shadow: post_unpatch: shadow counters freed' &&
		lpvm_expect_klp_cycle "${log}" lp_shadow_cb
}

main() {
	lpvm_init vm_patchbuild_callbacks
	local ko=${LPVM_WORK}/lp_shadow_cb.ko
	lpvm_patchbuild lp_shadow_cb "${ko}" --patch "${LPVM_SRC_ROOT}/examples/shadow-callbacks/consoles_shadow.patch"
	grep -q '^  new       vmlinux:consoles_pre_patch' "${LPVM_PB_LOG}" ||
		lpvm_err "build summary does not list the callback consoles_pre_patch (${LPVM_PB_LOG})" || return 1
	lpvm_run_guest "${here}/vm_patchbuild_callbacks.guest.sh" --file "${ko}" /lpvm/lp_shadow_cb.ko \
		-- check_transcript
}

main "$@"
