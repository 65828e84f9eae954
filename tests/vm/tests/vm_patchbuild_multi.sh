#!/usr/bin/env bash
# One bundle, three objects: `patchbuild build` (lpvm_patchbuild) with
#   examples/cmdline/cmdline.patch     vmlinux   /proc/cmdline gains " fleetpatch=cmdline"
#   examples/module-nls/nls_utf8.patch nls_utf8  uni2char() writes '_' (not observable here:
#                                                only its klp object's sysfs state is checked)
#   examples/module-zram/zram.patch    zram      /sys/block/zram0/max_comp_streams gains
#                                                " fleetpatch=zram"; a post-patch callback
#                                                of the zram object logs to dmesg
# The generated module must have one klp_object per target (sysfs:
# /sys/kernel/livepatch/lp_multi/{vmlinux,nls_utf8,zram}). The guest loads
# the shipped modules, then the patch, sees both observable changes and each
# object patched, disables (all original again) and removes it; then loads
# the patch before zram and sees zram patched as it loads (the zram
# callback runs once per time the patch takes effect for zram: twice).
#   PATCHBUILD_BUILD_DIR   CMake build dir holding patchbuild (ctest sets it;
#                          default build/)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lpvm.sh
source "${here}/../lib/lpvm.sh"

check_transcript() {
	local log=$1
	lpvm_expect "${log}" '^multi-patched: cmdline .* fleetpatch=cmdline$' &&
		lpvm_expect "${log}" '^multi-patched: zram [0-9]+ fleetpatch=zram$' &&
		lpvm_expect "${log}" '^multi-patched: objects nls_utf8 vmlinux zram$' &&
		lpvm_expect "${log}" '^multi-restored: zram [0-9]+$' &&
		lpvm_expect "${log}" '^multi-late: zram [0-9]+ fleetpatch=zram$' &&
		lpvm_expect "${log}" '^multi-callback: zram post_patch x2$' &&
		lpvm_expect_dmesg "${log}" "livepatch: applying patch 'lp_multi' to loading module 'zram'" &&
		lpvm_expect_klp_cycle "${log}" lp_multi
}

main() {
	lpvm_init vm_patchbuild_multi
	local examples=${LPVM_SRC_ROOT}/examples ko=${LPVM_WORK}/lp_multi.ko
	lpvm_patchbuild lp_multi "${ko}" --patch "${examples}/cmdline/cmdline.patch" \
		--patch "${examples}/module-nls/nls_utf8.patch" --patch "${examples}/module-zram/zram.patch"
	local f
	for f in vmlinux:cmdline_proc_show nls_utf8:uni2char zram:max_comp_streams_show; do
		grep -q "^  replaced  ${f} " "${LPVM_PB_LOG}" ||
			lpvm_err "the build does not replace ${f} (${LPVM_PB_LOG})" || return 1
	done
	lpvm_run_guest "${here}/vm_patchbuild_multi.guest.sh" --file "${ko}" /lpvm/lp_multi.ko \
		--kmod nls_utf8 --kmod zram -- check_transcript
}

main "$@"
