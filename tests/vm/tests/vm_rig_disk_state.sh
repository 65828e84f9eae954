#!/usr/bin/env bash
# A reboot that keeps state: two boots share one ext4 disk image mounted at
# /var/lib/patchd (where patchd keeps its cache); what the first boot wrote,
# the second reads, and the host reads both back out of the image.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lpvm.sh
source "${here}/../lib/lpvm.sh"

main() {
	lpvm_init vm_rig_disk_state
	local seed=${LPVM_WORK}/seed img=${LPVM_WORK}/state.img
	mkdir -p "${seed}"
	printf 'seeded by the host\n' >"${seed}/seed.txt"
	lpvm_disk_create "${img}" 32 "${seed}"

	local stage=${LPVM_WORK}/stage initrd=${LPVM_WORK}/initrd.cpio
	lpvm_initramfs_new "${stage}"
	lpvm_set_guest_script "${stage}" "${here}/vm_rig_disk_state.guest.sh"
	lpvm_initramfs_pack "${stage}" "${initrd}"

	lpvm_run --log boot1.log --disk "${img}:/var/lib/patchd" --param phase=1 "${initrd}"
	lpvm_run --log boot2.log --disk "${img}:/var/lib/patchd" --param phase=2 "${initrd}"

	local out=${LPVM_WORK}/extracted
	lpvm_disk_extract "${img}" "${out}"
	if ! diff -u <(printf 'boot 1\nboot 2\n') "${out}/state.txt"; then
		lpvm_err "state.txt in the image is not what the two boots wrote"
		return 1
	fi
	lpvm_log "PASS: state kept across the reboot"
}

main "$@"
