#!/usr/bin/env bash
# Cumulative patches with atomic replace, built by `patchbuild build`
# (lpvm_patchbuild) as one stream (--patch-id lp_cumul):
#   v1  --patch examples/cmdline              --version 1  module lp_cumul_v1
#   v2  --patch examples/cmdline
#       --patch examples/consoles-static      --version 2  module lp_cumul_v2
# Each version is its own module (both are loaded while v2 replaces v1). The
# guest loads v1 (fix A in /proc/cmdline), then v2 (A and B in
# /proc/consoles), checks v1 left /sys/kernel/livepatch (replaced) and its
# module can be removed, then disables v2: everything is original again.
#   PATCHBUILD_BUILD_DIR   CMake build dir holding patchbuild (ctest sets it;
#                          default build/)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lpvm.sh
source "${here}/../lib/lpvm.sh"

check_transcript() {
	local log=$1
	lpvm_expect "${log}" '^cumul-v1: cmdline .* fleetpatch=cmdline$' &&
		lpvm_expect "${log}" '^cumul-v2: consoles ttyS0 .* fleetpatch=consoles next=' &&
		lpvm_expect "${log}" '^cumul-v2: v1 replaced and removed$' &&
		lpvm_expect_dmesg "${log}" "livepatch: enabling patch 'lp_cumul_v1'" &&
		lpvm_expect_klp_cycle "${log}" lp_cumul_v2
}

# The manifest (inspect --json) of the last lpvm_patchbuild: stream, version,
# module and replace flag.
check_manifest() {
	local version=$1 module=$2
	jq -e --argjson v "${version}" --arg m "${module}" \
		'.patch_id == "lp_cumul" and .version == $v and .module_name == $m and .replace == true' \
		"${LPVM_PB_MANIFEST}" >/dev/null ||
		lpvm_err "manifest of ${module} is not lp_cumul version ${version} with replace: $(cat "${LPVM_PB_MANIFEST}")"
}

main() {
	lpvm_init vm_patchbuild_cumulative
	lpvm_require_cmd jq || return 1
	local examples=${LPVM_SRC_ROOT}/examples v1=${LPVM_WORK}/lp_cumul_v1.ko v2=${LPVM_WORK}/lp_cumul_v2.ko
	lpvm_patchbuild lp_cumul_v1 "${v1}" --patch-id lp_cumul --version 1 --patch "${examples}/cmdline/cmdline.patch"
	check_manifest 1 lp_cumul_v1 || return 1
	lpvm_patchbuild lp_cumul_v2 "${v2}" --patch-id lp_cumul --version 2 \
		--patch "${examples}/cmdline/cmdline.patch" --patch "${examples}/consoles-static/consoles.patch"
	check_manifest 2 lp_cumul_v2 || return 1
	grep -q '^  replaced  vmlinux:cmdline_proc_show' "${LPVM_PB_LOG}" &&
		grep -q '^  replaced  vmlinux:show_console_dev' "${LPVM_PB_LOG}" ||
		lpvm_err "v2 does not replace both functions (${LPVM_PB_LOG})" || return 1
	lpvm_run_guest "${here}/vm_patchbuild_cumulative.guest.sh" \
		--file "${v1}" /lpvm/lp_cumul_v1.ko --file "${v2}" /lpvm/lp_cumul_v2.ko -- check_transcript
}

main "$@"
