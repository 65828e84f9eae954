#!/usr/bin/env bash
# A generated livepatch for a loadable module: kmod/testmod built twice
# (original, and with examples/testmod-show/lp_testmod.patch) with
# -ffunction-sections -fdata-sections, the pair turned into lp_gen_testmod.ko
# by patchbuild_generate_example --pair. The replacement lp_testmod_show()
# uses the module's static counter, static function and non-exported global
# function only through .klp.rela.lp_testmod.* relocations, which the kernel
# applies when lp_testmod loads: so the patch is loaded once before and once
# after the module, and both times /proc/lp_testmod must show the patched
# line with consistent read counts. Disable, rmmod, no splat.
# Why not `patchbuild build` (lpvm_patchbuild) like the other vm_patchbuild_*
# tests: the CLI compiles the units a patch touches inside a prepared kernel
# source tree, and kmod/testmod is an out-of-tree module that tree does not
# contain; so this test compiles the pair itself and uses the generate stage
# through the test tool. vm_patchbuild_module covers a shipped module through
# the CLI.
#   PATCHBUILD_BUILD_DIR   CMake build dir holding the example tool
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lpvm.sh
source "${here}/../lib/lpvm.sh"

check_transcript() {
	local log=$1
	lpvm_expect "${log}" '^testmod-before: lp_testmod show: patched by fleetpatch \(read 1\)' &&
		lpvm_expect "${log}" '^testmod-after: lp_testmod show: patched by fleetpatch \(read 3\)' &&
		lpvm_expect_dmesg "${log}" "livepatch: applying patch 'lp_gen_testmod' to loading module 'lp_testmod'" &&
		lpvm_expect_dmesg "${log}" "livepatch: 'lp_gen_testmod': unpatching complete"
}

# A copy of kmod/testmod's sources in DIR.
copy_testmod() {
	mkdir -p -- "$1"
	cp -- "${LPVM_SRC_ROOT}"/kmod/testmod/{Kbuild,lp_testmod.c,lp_testmod.h} "$1/"
}

# Builds the copy in DIR with function and data sections.
build_testmod() {
	local dir=$1
	make -s -C "${LPVM_KDIR}" M="${dir}" KCFLAGS="-ffunction-sections -fdata-sections" modules \
		>"${dir}.log" 2>&1 || { cat "${dir}.log" >&2; lpvm_err "kbuild of ${dir} failed"; return 1; }
}

main() {
	lpvm_init vm_patchbuild_testmod
	local tool=${PATCHBUILD_BUILD_DIR:-${LPVM_SRC_ROOT}/build}/tests/patchbuild/generate/patchbuild_generate_example
	[[ -x "${tool}" ]] || lpvm_err "${tool} not built (cmake --build <dir> --target patchbuild_generate_example)" || return 1
	local orig=${LPVM_WORK}/orig patched=${LPVM_WORK}/patched ko=${LPVM_WORK}/lp_gen_testmod.ko
	copy_testmod "${orig}"
	build_testmod "${orig}"
	copy_testmod "${patched}"
	patch -s -p3 -d "${patched}" <"${LPVM_SRC_ROOT}/examples/testmod-show/lp_testmod.patch"
	build_testmod "${patched}"
	"${tool}" --pair "${LPVM_RELEASE}" "${orig}/lp_testmod.o" "${patched}/lp_testmod.o" "${orig}/lp_testmod.ko" \
		lp_gen_testmod "${ko}" || lpvm_err "generating the module failed" || return 1
	lpvm_run_guest "${here}/vm_patchbuild_testmod.guest.sh" --file "${orig}/lp_testmod.ko" /lpvm/lp_testmod.ko \
		--file "${ko}" /lpvm/lp_gen_testmod.ko -- check_transcript
}

main "$@"
