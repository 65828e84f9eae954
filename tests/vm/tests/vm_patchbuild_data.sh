#!/usr/bin/env bash
# New data and static locals in a patched function (issue 5 item 1), built by
# `patchbuild build` from examples/data-static/drop_caches.patch:
# drop_caches_sysctl_handler() gets a new static local and a new global (both
# allocated in the patch module: they count from 0 in the VM) and prints its
# existing static local stfu, which must stay the running kernel's (a klp
# relocation to stfu.N, never a copy). Before, with and after (disable, rmmod)
# the patch, no splat.
#   PATCHBUILD_BUILD_DIR   CMake build dir holding patchbuild (ctest sets it)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lpvm.sh
source "${here}/../lib/lpvm.sh"

check_transcript() {
	local log=$1
	lpvm_expect "${log}" '^data-patched: fleetpatch: drop_caches writes=2 total=4 stfu=4$' &&
		lpvm_expect "${log}" '^data-after: original lines 2, patched lines 2$' &&
		lpvm_expect_klp_cycle "${log}" lp_gen_data
}

# The module reaches stfu through a livepatch relocation and defines the new
# data itself (no klp symbol for it).
check_module() {
	local ko=$1 syms
	syms=$(readelf -sW "${ko}") || lpvm_err "readelf ${ko} failed" || return 1
	grep -Eq ' \.klp\.sym\.vmlinux\.stfu\.[0-9]+,0$' <<<"${syms}" ||
		lpvm_err "no livepatch symbol for the existing static local stfu" || return 1
	if grep -Eq 'klp\.sym\..*(lp_writes|fleetpatch_drop_total)' <<<"${syms}"; then
		lpvm_err "new data is referenced in the running kernel instead of the module"
		return 1
	fi
}

main() {
	lpvm_init vm_patchbuild_data
	local ko=${LPVM_WORK}/lp_gen_data.ko
	lpvm_patchbuild lp_gen_data "${ko}" --patch "${LPVM_SRC_ROOT}/examples/data-static/drop_caches.patch"
	grep -q '^  replaced  vmlinux:drop_caches_sysctl_handler ' "${LPVM_PB_LOG}" ||
		lpvm_err "build summary does not name drop_caches_sysctl_handler: $(cat "${LPVM_PB_LOG}")" || return 1
	check_module "${ko}"
	lpvm_run_guest "${here}/vm_patchbuild_data.guest.sh" --file "${ko}" /lpvm/lp_gen_data.ko \
		-- check_transcript
}

main "$@"
