#!/usr/bin/env bash
# A livepatch of a module (kmod/examples/lp_testmod_patch against
# kmod/testmod): patched when loaded after the target module, and when the
# target module is loaded after the patch; callbacks run; disabling restores.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lpvm.sh
source "${here}/../lib/lpvm.sh"

check_transcript() {
	local log=$1 p="lp_testmod_patch: "
	lpvm_expect "${log}" '^after-patch: lp_testmod static_fn: patched' &&
		lpvm_expect "${log}" '^module-after-patch: lp_testmod global_fn: patched' &&
		lpvm_expect_dmesg "${log}" "${p}pre_patch lp_testmod" &&
		lpvm_expect_dmesg "${log}" "${p}post_patch lp_testmod" &&
		lpvm_expect_dmesg "${log}" "${p}pre_unpatch lp_testmod" &&
		lpvm_expect_dmesg "${log}" "${p}post_unpatch lp_testmod" &&
		lpvm_expect_dmesg "${log}" "livepatch: applying patch 'lp_testmod_patch' to loading module 'lp_testmod'"
}

main() {
	lpvm_init vm_livepatch_testmod
	lpvm_build_kmod testmod examples/lp_testmod_patch
	local stage=${LPVM_WORK}/stage initrd=${LPVM_WORK}/initrd.cpio
	lpvm_initramfs_new "${stage}"
	lpvm_add_file "${stage}" "${LPVM_WORK}/kmod/testmod/lp_testmod.ko" /lpvm/lp_testmod.ko
	lpvm_add_file "${stage}" "${LPVM_WORK}/kmod/examples/lp_testmod_patch/lp_testmod_patch.ko" \
		/lpvm/lp_testmod_patch.ko
	lpvm_set_guest_script "${stage}" "${here}/vm_livepatch_testmod.guest.sh"
	lpvm_initramfs_pack "${stage}" "${initrd}"
	lpvm_run "${initrd}" -- check_transcript
}

main "$@"
