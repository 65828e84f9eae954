#!/usr/bin/env bash
# A generated livepatch whose replacement calls a static function of
# vmlinux that several files define: examples/consoles-static/consoles.patch
# makes show_console_dev() (fs/proc/consoles.c) call the file's own c_next()
# and print " fleetpatch=consoles next=<name>". The module reaches c_next
# only through .klp.sym.vmlinux.c_next,<sympos> (sympos > 0: picked by
# matching the rebuilt code against the shipped kernel) and the static local
# con_flags.0 through another klp relocation; a wrong instance would print
# garbage or crash. Then disable (back to the original), rmmod, no splat.
#   PATCHBUILD_BUILD_DIR   CMake build dir holding the example tool
#                          (ctest sets it; default build/)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lpvm.sh
source "${here}/../lib/lpvm.sh"

check_transcript() {
	local log=$1
	lpvm_expect "${log}" '^consoles-patched: ttyS0 .* fleetpatch=consoles next=' &&
		lpvm_expect_dmesg "${log}" "livepatch: enabling patch 'lp_gen_consoles'" &&
		lpvm_expect_dmesg "${log}" "livepatch: 'lp_gen_consoles': patching complete" &&
		lpvm_expect_dmesg "${log}" "livepatch: 'lp_gen_consoles': unpatching complete"
}

main() {
	lpvm_init vm_patchbuild_consoles
	local tool=${PATCHBUILD_BUILD_DIR:-${LPVM_SRC_ROOT}/build}/tests/patchbuild/generate/patchbuild_generate_example
	[[ -x "${tool}" ]] || lpvm_err "${tool} not built (cmake --build <dir> --target patchbuild_generate_example)" || return 1
	local ko=${LPVM_WORK}/lp_gen_consoles.ko
	"${tool}" "${LPVM_RELEASE}" "${LPVM_SRC_ROOT}/examples/consoles-static/consoles.patch" lp_gen_consoles "${ko}" ||
		lpvm_err "generating the module failed" || return 1
	local stage=${LPVM_WORK}/stage initrd=${LPVM_WORK}/initrd.cpio
	lpvm_initramfs_new "${stage}"
	lpvm_add_file "${stage}" "${ko}" /lpvm/lp_gen_consoles.ko
	lpvm_set_guest_script "${stage}" "${here}/vm_patchbuild_consoles.guest.sh"
	lpvm_initramfs_pack "${stage}" "${initrd}"
	lpvm_run "${initrd}" -- check_transcript
}

main "$@"
