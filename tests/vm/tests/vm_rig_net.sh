#!/usr/bin/env bash
# The rig's network, module and program staging: a dynamically linked host program
# runs in the guest with its libraries, and the guest fetches a file from a
# server on the host's loopback through 10.0.2.2 (what patchd will do with
# the portal), and the guest clock is the host's (signed answers expire).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lpvm.sh
source "${here}/../lib/lpvm.sh"

httpd_pid=''
stop_httpd() {
	if [[ -n "${httpd_pid}" ]]; then
		kill "${httpd_pid}" 2>/dev/null || true
		wait "${httpd_pid}" 2>/dev/null || true
	fi
}

main() {
	lpvm_init vm_rig_net
	local www=${LPVM_WORK}/www port
	mkdir -p "${www}"
	printf 'hello from the host %s\n' "$$" >"${www}/hello.txt"
	port=$(lpvm_free_port)
	trap stop_httpd EXIT
	busybox httpd -f -p "127.0.0.1:${port}" -h "${www}" &
	httpd_pid=$!
	lpvm_wait_port "${port}"

	local stage=${LPVM_WORK}/stage initrd=${LPVM_WORK}/initrd.cpio
	lpvm_initramfs_new "${stage}"
	# coreutils' sha256sum is dynamically linked (busybox has its own applet
	# under /bin; this one goes to /usr/local/bin).
	lpvm_add_program "${stage}" /usr/bin/sha256sum /usr/local/bin/sha256sum
	(cd "${www}" && sha256sum hello.txt) >"${LPVM_WORK}/hello.sha256"
	lpvm_add_file "${stage}" "${LPVM_WORK}/hello.sha256" /lpvm/hello.sha256
	# Module staging: one with a dependency chain loaded by init, one left
	# for the guest script to load.
	lpvm_add_kmod "${stage}" --load 9pnet_virtio
	lpvm_add_kmod "${stage}" dummy
	# Built in: staged as nothing, loading it is a no-op.
	lpvm_add_kmod "${stage}" af_packet
	lpvm_set_guest_script "${stage}" "${here}/vm_rig_net.guest.sh"
	lpvm_initramfs_pack "${stage}" "${initrd}"
	lpvm_run --net --param "port=${port}" --param "hostnow=$(date +%s)" "${initrd}"
}

main "$@"
