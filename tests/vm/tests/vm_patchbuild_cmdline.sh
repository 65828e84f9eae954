#!/usr/bin/env bash
# A livepatch made by the product CLI on the real target: `patchbuild build`
# turns examples/cmdline/cmdline.patch into a signed bundle against Debian's
# linux-source-6.1 (lpvm_patchbuild: build, verify with inspect, extract the
# module). The patched cmdline_proc_show() still prints saved_command_line,
# which vmlinux does not export: the module reaches it only through a
# livepatch relocation (.klp.sym.vmlinux.saved_command_line,0), so seeing the
# real command line followed by " fleetpatch=cmdline" proves the klp
# relocation was resolved. Then disable (back to the original), rmmod, and no
# splat.
#   PATCHBUILD_BUILD_DIR   CMake build dir holding patchbuild (ctest sets it;
#                          default build/)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lpvm.sh
source "${here}/../lib/lpvm.sh"

check_transcript() {
	local log=$1
	lpvm_expect "${log}" '^cmdline-patched: .*console=ttyS0.* fleetpatch=cmdline$' &&
		lpvm_expect "${log}" '^cmdline-restored: .*console=ttyS0' &&
		lpvm_expect_klp_cycle "${log}" lp_gen_cmdline
}

main() {
	lpvm_init vm_patchbuild_cmdline
	local ko=${LPVM_WORK}/lp_gen_cmdline.ko
	lpvm_patchbuild lp_gen_cmdline "${ko}" --patch "${LPVM_SRC_ROOT}/examples/cmdline/cmdline.patch"
	lpvm_expect_built replaced vmlinux:cmdline_proc_show
	lpvm_run_guest "${here}/vm_patchbuild_cmdline.guest.sh" --file "${ko}" /lpvm/lp_gen_cmdline.ko \
		-- check_transcript
}

main "$@"
