#!/usr/bin/env bash
# A changed function that calls a NEW function, built by `patchbuild build`
# (lpvm_patchbuild): examples/new-function/version.patch makes
# version_proc_show() (fs/proc/version.c, vmlinux) call lp_append_tag(), a
# static noinline function the patch adds, which prints
# "fleetpatch: lp_append_tag release=<release>" after the banner. The build
# summary must list the new function next to the replaced one and the
# manifest the replaced one; in the guest /proc/version must be the original
# banner before, banner + that line with the patch, and the original again
# after disabling; then rmmod, no splat.
#   PATCHBUILD_BUILD_DIR   CMake build dir holding patchbuild (ctest sets it;
#                          default build/)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lpvm.sh
source "${here}/../lib/lpvm.sh"

check_transcript() {
	local log=$1
	lpvm_expect "${log}" "^version-patched-tag: fleetpatch: lp_append_tag release=${LPVM_RELEASE}\$" &&
		lpvm_expect "${log}" '^version-restored: Linux version ' &&
		lpvm_expect_klp_cycle "${log}" lp_gen_newfunc
}

# The summary names the changed function as replaced and the added one as
# new; the signed manifest lists the replaced function.
check_build() {
	lpvm_expect_built replaced vmlinux:version_proc_show || return 1
	lpvm_expect_built new vmlinux:lp_append_tag || return 1
	grep -q '"name":"version_proc_show"' "${LPVM_PB_MANIFEST}" ||
		lpvm_err "manifest lacks version_proc_show: $(cat "${LPVM_PB_MANIFEST}")" || return 1
	lpvm_log "build summary: $(grep -E '^  (replaced|new) ' "${LPVM_PB_LOG}" | tr -s ' ' | paste -sd';')"
}

main() {
	lpvm_init vm_patchbuild_newfunc
	local ko=${LPVM_WORK}/lp_gen_newfunc.ko
	lpvm_patchbuild lp_gen_newfunc "${ko}" --patch "${LPVM_SRC_ROOT}/examples/new-function/version.patch" \
		--description "version_proc_show calls the new lp_append_tag"
	check_build
	lpvm_run_guest "${here}/vm_patchbuild_newfunc.guest.sh" --file "${ko}" /lpvm/lp_gen_newfunc.ko \
		-- check_transcript
}

main "$@"
