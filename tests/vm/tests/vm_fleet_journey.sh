#!/usr/bin/env bash
# The fleet journey on the real target kernel: eportal serves on the host's
# loopback with TLS; the VM (Debian's kernel, a state disk at /var/lib/patchd)
# runs patchd, which enrolls through qemu's user network (10.0.2.2), applies
# the released lp_cmdline bundle (made by `patchbuild build` from the source
# fix examples/cmdline for the very kernel the VM boots, so the build ids
# match), /proc/cmdline changes,
# `patchctl status --json` in the VM and `eportal status --json` on the host
# both show it applied. A second boot without a network re-applies it from
# the cache (`patchd --apply-cached`).
# LPVM_SHOW_OUTPUT=1 prints the guest's output and both status views (scripts/demo).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lpvm.sh
source "${here}/../lib/lpvm.sh"
# shellcheck source=../../integration/lib/e2e.sh
source "${here}/../../integration/lib/e2e.sh"

show() { [[ "${LPVM_SHOW_OUTPUT:-0}" == 1 ]]; }

# The text between two marker lines the guest printed.
between() {
	lpvm_guest_output "$1" | sed -n "/^$2-BEGIN\$/,/^$2-END\$/p" | sed '1d;$d'
}

check_boot1() {
	local log=$1
	lpvm_expect "${log}" '^cmdline-patched: .*fleetpatch=cmdline' || return 1
	between "${log}" PATCHCTL-JSON >"${LPVM_WORK}/vm-status-boot1.json"
	jq -e --arg b "${build_id}" '.kernel.build_id == $b and .patches[0].in_effect and .patches[0].patch_id == "lp_cmdline"
		and .exit == 0' "${LPVM_WORK}/vm-status-boot1.json" >/dev/null ||
		lpvm_err "patchctl status --json in the VM: $(cat "${LPVM_WORK}/vm-status-boot1.json")"
}

check_boot2() {
	local log=$1
	lpvm_expect "${log}" '^network: none' || return 1
	lpvm_expect "${log}" '^cmdline-before: ' || return 1
	lpvm_expect "${log}" '^cmdline-reapplied: .*fleetpatch=cmdline' || return 1
	between "${log}" PATCHCTL-JSON >"${LPVM_WORK}/vm-status-boot2.json"
	jq -e '.patches[0].in_effect and .exit == 0' "${LPVM_WORK}/vm-status-boot2.json" >/dev/null ||
		lpvm_err "patchctl status --json after the offline reboot: $(cat "${LPVM_WORK}/vm-status-boot2.json")"
}

main() {
	local t0=${SECONDS}
	lpvm_init vm_fleet_journey
	E2E_WORK_ROOT=${LPVM_WORK} E2E_CACHE=${LPVM_WORK}/cache
	e2e_init host
	lpvm_require_cmd jq openssl curl

	e2e_pki
	e2e_keys
	e2e_portal_init
	e2e_portal_start 0
	# The bundle comes from the source fix, as a security team would make it:
	# patchbuild build of examples/cmdline against Debian's linux-source,
	# signed with the keys the portal trusts.
	LPVM_PB_KEYS=${E2E_KEYS} PATCHBUILD_BUILD_DIR=${PATCHBUILD_BUILD_DIR:-${E2E_BUILD_DIR:-}} \
		lpvm_patchbuild lp_cmdline "${LPVM_WORK}/lp_cmdline.ko" \
		--patch "${LPVM_SRC_ROOT}/examples/cmdline/cmdline.patch" --cve CVE-2024-0001 \
		--description "/proc/cmdline shows fleetpatch=cmdline" || return 1
	local bundle=${LPVM_PB_BUNDLE}
	"${PATCHBUILD}" inspect "${bundle}" --root "${E2E_KEYS}/root.pub" --json >"${LPVM_WORK}/manifest.json" ||
		lpvm_err "patchbuild inspect refused the bundle" || return 1
	build_id=$(jq -r .target.build_id "${LPVM_WORK}/manifest.json")
	lpvm_log "bundle for ${LPVM_RELEASE} build id ${build_id}"
	e2e_cli "${E2E_ADMIN}" patch import "${bundle}" >/dev/null || e2e_fail "import"
	e2e_cli "${E2E_ADMIN}" release lp_cmdline --group vm >/dev/null || e2e_fail "release"
	local token
	token=$(e2e_cli "${E2E_ADMIN}" token create --group vm) || e2e_fail "token create"

	# The device: patchd, patchctl and their config; state on the disk.
	local etc=${LPVM_WORK}/etc-patchd
	mkdir -p "${etc}"
	cat >"${etc}/patchd.conf" <<-CONF
		portal_url = https://10.0.2.2:${E2E_PORT}
		ca_file = /etc/patchd/portal-ca.pem
		root_key = /etc/patchd/root.pub.pem
		enroll_token = ${token}
		hostname = vm-device-1
		kernel = sysfs
		state_dir = /var/lib/patchd
		poll_interval = 300
		http_timeout = 60
		transition_timeout = 60
	CONF
	local stage=${LPVM_WORK}/stage initrd=${LPVM_WORK}/initrd.cpio img=${LPVM_WORK}/state.img
	lpvm_initramfs_new "${stage}"
	lpvm_add_program "${stage}" "${PATCHD}" /usr/sbin/patchd
	lpvm_add_program "${stage}" "${PATCHCTL}" /usr/sbin/patchctl
	lpvm_add_file "${stage}" "${etc}/patchd.conf" /etc/patchd/patchd.conf
	lpvm_add_file "${stage}" "${E2E_CA}" /etc/patchd/portal-ca.pem
	lpvm_add_file "${stage}" "${E2E_KEYS}/root.pub" /etc/patchd/root.pub.pem
	lpvm_set_guest_script "${stage}" "${here}/vm_fleet_journey.guest.sh"
	lpvm_initramfs_pack "${stage}" "${initrd}"
	lpvm_disk_create "${img}" 32

	local t1=${SECONDS}
	lpvm_run --log boot1.log --net --disk "${img}:/var/lib/patchd" --param phase=1 "${initrd}" -- check_boot1
	lpvm_log "boot 1 (enroll, download, apply over the network): $((SECONDS - t1)) s"
	e2e_cli "${E2E_ADMIN}" status --json >"${LPVM_WORK}/eportal-status.json"
	e2e_cli "${E2E_ADMIN}" devices --json >"${LPVM_WORK}/eportal-devices.json"
	jq -e '.devices == 1 and .patched == 1 and .failed == 0' "${LPVM_WORK}/eportal-status.json" >/dev/null ||
		e2e_fail "eportal status --json: $(cat "${LPVM_WORK}/eportal-status.json")"
	jq -e --arg b "${build_id}" --arg r "${LPVM_RELEASE}" '.devices[0] | .identity.build_id == $b and
		.identity.release == $r and .hostname == "vm-device-1" and .status == "patched"
		and (.applied[] | select(.patch_id == "lp_cmdline") | .state == "applied")' \
		"${LPVM_WORK}/eportal-devices.json" >/dev/null ||
		e2e_fail "eportal devices --json: $(cat "${LPVM_WORK}/eportal-devices.json")"

	t1=${SECONDS}
	lpvm_run --log boot2.log --disk "${img}:/var/lib/patchd" --param phase=2 "${initrd}" -- check_boot2
	lpvm_log "boot 2 (offline, patchd --apply-cached): $((SECONDS - t1)) s"

	if show; then
		printf '\n===== patchctl status, in the VM (boot 1, online) =====\n'
		between "${LPVM_WORK}/boot1.log" PATCHCTL-TEXT
		printf '\n===== patchctl status, in the VM (boot 2, offline, after patchd --apply-cached) =====\n'
		between "${LPVM_WORK}/boot2.log" PATCHCTL-TEXT
		printf '\n===== eportal status, on the host =====\n'
		e2e_cli "${E2E_ADMIN}" status
		printf '\n===== eportal devices, on the host =====\n'
		e2e_cli "${E2E_ADMIN}" devices
		printf '\n'
	fi
	lpvm_log "PASS: the VM enrolled, applied lp_cmdline from the portal, the portal counts it patched, and an offline reboot re-applied it from the cache ($((SECONDS - t0)) s)"
}

build_id=
main "$@"
