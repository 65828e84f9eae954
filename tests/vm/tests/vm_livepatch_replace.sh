#!/usr/bin/env bash
# Cumulative patches (replace = true, the skeleton's default): loading a
# second livepatch atomically replaces the first, which leaves sysfs and
# can be unloaded; what only the first patched is back to the original.
# patchd relies on exactly this to move a device from one patch to the next.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lpvm.sh
source "${here}/../lib/lpvm.sh"

check_transcript() {
	local log=$1
	lpvm_expect "${log}" '^replaced: cmdline back to the original' &&
		lpvm_expect_dmesg "${log}" "livepatch: 'lp_testmod_patch': patching complete"
}

main() {
	lpvm_init vm_livepatch_replace
	lpvm_build_kmod examples/lp_cmdline testmod examples/lp_testmod_patch
	local stage=${LPVM_WORK}/stage initrd=${LPVM_WORK}/initrd.cpio ko
	lpvm_initramfs_new "${stage}"
	for ko in examples/lp_cmdline/lp_cmdline.ko testmod/lp_testmod.ko \
		examples/lp_testmod_patch/lp_testmod_patch.ko; do
		lpvm_add_file "${stage}" "${LPVM_WORK}/kmod/${ko}" "/lpvm/$(basename "${ko}")"
	done
	lpvm_set_guest_script "${stage}" "${here}/vm_livepatch_replace.guest.sh"
	lpvm_initramfs_pack "${stage}" "${initrd}"
	lpvm_run "${initrd}" -- check_transcript
}

main "$@"
