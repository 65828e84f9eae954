#!/usr/bin/env bash
# A livepatch (built by `patchbuild build` from a bundle, lpvm_patchbuild)
# whose replacement calls a static function of vmlinux that several files
# define: examples/consoles-static/consoles.patch makes show_console_dev()
# (fs/proc/consoles.c) call the file's own c_next() and print
# " fleetpatch=consoles next=<name>". The module reaches c_next only through
# .klp.sym.vmlinux.c_next,<sympos> (sympos > 0: picked by matching the
# rebuilt code against the shipped kernel) and the static local con_flags.0
# through another klp relocation; a wrong instance would print garbage or
# crash. Then disable (back to the original), rmmod, no splat.
#   PATCHBUILD_BUILD_DIR   CMake build dir holding patchbuild (ctest sets it;
#                          default build/)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lpvm.sh
source "${here}/../lib/lpvm.sh"

check_transcript() {
	local log=$1
	lpvm_expect "${log}" '^consoles-patched: ttyS0 .* fleetpatch=consoles next=' &&
		lpvm_expect_klp_cycle "${log}" lp_gen_consoles
}

main() {
	lpvm_init vm_patchbuild_consoles
	local ko=${LPVM_WORK}/lp_gen_consoles.ko
	lpvm_patchbuild lp_gen_consoles "${ko}" --patch "${LPVM_SRC_ROOT}/examples/consoles-static/consoles.patch"
	lpvm_run_guest "${here}/vm_patchbuild_consoles.guest.sh" --file "${ko}" /lpvm/lp_gen_consoles.ko \
		-- check_transcript
}

main "$@"
