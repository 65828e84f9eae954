#!/usr/bin/env bash
# A change inside a module Debian SHIPS, built by `patchbuild build`
# (lpvm_patchbuild): examples/binfmt-misc/binfmt_misc.patch changes
# bm_status_read() of binfmt_misc.ko (CONFIG_BINFMT_MISC=m) to append
# " fleetpatch=binfmt_misc" to the status file of a binfmt_misc mount, still
# reading the module's static `enabled`, which the livepatch reaches only
# through a .klp.rela.binfmt_misc.* relocation the kernel applies when the
# module is there. The guest stages the target's own binfmt_misc.ko and
# checks both orders: livepatch first, then the module (the kernel patches
# the loading module), and module first, then the livepatch; each time the
# status file follows the module's real `enabled` (echo 0 > status), and
# disabling brings back the original text. rmmod of both, no splat.
#   PATCHBUILD_BUILD_DIR   CMake build dir holding patchbuild (ctest sets it;
#                          default build/)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lpvm.sh
source "${here}/../lib/lpvm.sh"

check_transcript() {
	local log=$1
	lpvm_expect "${log}" '^binfmt-patch-first: enabled fleetpatch=binfmt_misc$' &&
		lpvm_expect "${log}" '^binfmt-patch-first-off: disabled fleetpatch=binfmt_misc$' &&
		lpvm_expect "${log}" '^binfmt-module-first: enabled fleetpatch=binfmt_misc$' &&
		lpvm_expect "${log}" '^binfmt-restored: enabled$' &&
		lpvm_expect_dmesg "${log}" "livepatch: applying patch 'lp_gen_binfmt' to loading module 'binfmt_misc'" &&
		lpvm_expect_klp_cycle "${log}" lp_gen_binfmt
}

main() {
	lpvm_init vm_patchbuild_module
	[[ -n "$(lpvm_kmod_path binfmt_misc)" ]] ||
		lpvm_err "binfmt_misc is built into ${LPVM_RELEASE}, not a module: this test needs it loadable" || return 1
	local ko=${LPVM_WORK}/lp_gen_binfmt.ko
	lpvm_patchbuild lp_gen_binfmt "${ko}" --patch "${LPVM_SRC_ROOT}/examples/binfmt-misc/binfmt_misc.patch"
	lpvm_expect_built replaced binfmt_misc:bm_status_read
	lpvm_run_guest "${here}/vm_patchbuild_module.guest.sh" --file "${ko}" /lpvm/lp_gen_binfmt.ko \
		--kmod binfmt_misc -- check_transcript
}

main "$@"
