#!/usr/bin/env bash
# A change to a static inline function of a header (issue 5 item 2), built by
# `patchbuild build` from examples/header-inline/proc_permanent.patch:
# pde_is_permanent() in fs/proc/internal.h gains a pr_debug. Every fs/proc
# unit that includes the header is compiled twice; the build must replace
# exactly the functions that inline it (proc_reg_* of fs/proc/inode.c,
# remove_proc_entry/remove_proc_subtree of fs/proc/generic.c) and leave the
# other units out. In the VM the message appears for a permanent /proc entry
# with the patch (enabled through /proc/dynamic_debug/control), not before and
# not after disabling; rmmod, no splat.
#   PATCHBUILD_BUILD_DIR   CMake build dir holding patchbuild (ctest sets it)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lpvm.sh
source "${here}/../lib/lpvm.sh"

check_transcript() {
	local log=$1
	local sites
	sites=$(lpvm_guest_output "${log}" |
		grep -c '^header-site: fs/proc/internal.h:[0-9]* \[lp_gen_header\]pde_is_permanent ' || true)
	((sites == 2)) || lpvm_err "expected one debug site of the patch module per patched unit (2), got ${sites}" ||
		return 1
	lpvm_expect "${log}" '^header-after: cpuinfo lines [1-9]' &&
		lpvm_expect "${log}" '^header-patched: cpuinfo lines [1-9]' &&
		lpvm_expect_dmesg "${log}" 'fleetpatch: permanent /proc entry cpuinfo' &&
		lpvm_expect_klp_cycle "${log}" lp_gen_header
}

# Replaced: the proc_reg_* file operations and the two removal functions,
# nothing from the other units that include fs/proc/internal.h.
check_summary() {
	local files funcs
	files=$(grep '^  replaced  ' "${LPVM_PB_LOG}" | awk '{print $NF}' | sed 's/:[0-9]*$//' | sort -u | tr '\n' ' ')
	[[ "${files}" == "fs/proc/generic.c fs/proc/inode.c " ]] ||
		lpvm_err "replaced functions come from: ${files}" || return 1
	funcs=$(grep -c '^  replaced  vmlinux:proc_reg_' "${LPVM_PB_LOG}")
	((funcs >= 8)) || lpvm_err "only ${funcs} proc_reg_* functions replaced" || return 1
	grep -q '^  replaced  vmlinux:remove_proc_entry ' "${LPVM_PB_LOG}" ||
		lpvm_err "remove_proc_entry not replaced" || return 1
}

main() {
	lpvm_init vm_patchbuild_header
	local ko=${LPVM_WORK}/lp_gen_header.ko
	lpvm_patchbuild lp_gen_header "${ko}" --patch "${LPVM_SRC_ROOT}/examples/header-inline/proc_permanent.patch"
	check_summary
	lpvm_run_guest "${here}/vm_patchbuild_header.guest.sh" --file "${ko}" /lpvm/lp_gen_header.ko \
		-- check_transcript
}

main "$@"
