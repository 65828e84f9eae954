#!/usr/bin/env bash
# The hand-written /proc/cmdline livepatch on the real target kernel: load
# it, see /proc/cmdline change, disable it through sysfs, see it back,
# unload it, and find no crash in the kernel log.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lpvm.sh
source "${here}/../lib/lpvm.sh"

# What must be on the console besides the guest script's own checks: the
# guest asserts as it goes, the host asserts on the transcript afterwards.
check_transcript() {
	local log=$1
	lpvm_expect "${log}" '^cmdline-patched: .*fleetpatch_lp=1' &&
		lpvm_expect "${log}" '^cmdline-restored: .*console=ttyS0' &&
		lpvm_expect_dmesg "${log}" "livepatch: enabling patch 'lp_cmdline'" &&
		lpvm_expect_dmesg "${log}" "livepatch: 'lp_cmdline': patching complete" &&
		lpvm_expect_dmesg "${log}" "livepatch: 'lp_cmdline': unpatching complete"
}

main() {
	lpvm_init vm_livepatch_cmdline
	lpvm_build_kmod examples/lp_cmdline
	local stage=${LPVM_WORK}/stage initrd=${LPVM_WORK}/initrd.cpio
	lpvm_initramfs_new "${stage}"
	lpvm_add_file "${stage}" "${LPVM_WORK}/kmod/examples/lp_cmdline/lp_cmdline.ko" /lpvm/lp_cmdline.ko
	lpvm_set_guest_script "${stage}" "${here}/vm_livepatch_cmdline.guest.sh"
	lpvm_initramfs_pack "${stage}" "${initrd}"
	lpvm_run "${initrd}" -- check_transcript
}

main "$@"
