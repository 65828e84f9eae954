#!/usr/bin/env bash
# A changed system call (issue 5 item 4), built by `patchbuild build` from
# examples/syscall-umask/umask.patch: SYSCALL_DEFINE1(umask) gains an
# argument check. The build must replace the wrappers the syscall table
# reaches (__x64_sys_umask, and __ia32_sys_umask for 32-bit tasks; the
# __se_/__do_ parts are inlined into them) and nothing else; the VM shows
# -EINVAL for a bad mask from a static test program (lp_probe: umask, and
# umask through int $0x80 for the 32-bit table) with the patch,
# the old behaviour before and after (disable, rmmod), no splat.
#   PATCHBUILD_BUILD_DIR   CMake build dir holding patchbuild (ctest sets it)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lpvm.sh
source "${here}/../lib/lpvm.sh"

check_transcript() {
	local log=$1
	lpvm_expect "${log}" '^syscall-before: umask\(01022\) = 022$' &&
		lpvm_expect "${log}" '^syscall-patched: umask\(01022\) = -22$' &&
		lpvm_expect "${log}" '^syscall-patched: umask32\(01022\) = -22$' &&
		lpvm_expect "${log}" '^syscall-after: umask32\(01022\) = 022$' &&
		lpvm_expect "${log}" '^syscall-after: umask\(01022\) = 022$' &&
		lpvm_expect_klp_cycle "${log}" lp_gen_umask
}

check_summary() {
	local replaced
	replaced=$(grep '^  replaced  ' "${LPVM_PB_LOG}" | awk '{print $2}' | sort | tr '\n' ' ')
	[[ "${replaced}" == "vmlinux:__ia32_sys_umask vmlinux:__x64_sys_umask " ]] ||
		lpvm_err "expected __x64_sys_umask and __ia32_sys_umask replaced, got: ${replaced}" || return 1
}

main() {
	lpvm_init vm_patchbuild_syscall
	local ko=${LPVM_WORK}/lp_gen_umask.ko probe=${LPVM_WORK}/lp_probe
	gcc -static -O2 -o "${probe}" "${here}/lp_probe.c" || lpvm_err "building lp_probe failed" || return 1
	lpvm_patchbuild lp_gen_umask "${ko}" --patch "${LPVM_SRC_ROOT}/examples/syscall-umask/umask.patch"
	check_summary
	lpvm_run_guest "${here}/vm_patchbuild_syscall.guest.sh" --file "${ko}" /lpvm/lp_gen_umask.ko \
		--file "${probe}" /lpvm/lp_probe -- check_transcript
}

main "$@"
