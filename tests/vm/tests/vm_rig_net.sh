#!/usr/bin/env bash
# The rig's network, module and program staging: a dynamically linked host program
# runs in the guest with its libraries, and the guest fetches a file from a
# server on the host's loopback through 10.0.2.2 (what patchd will do with
# the portal) over plain HTTP and over TLS with a pinned CA, and the guest
# clock is the host's (signed answers expire).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lpvm.sh
source "${here}/../lib/lpvm.sh"

server_pids=()
stop_servers() {
	local pid
	for pid in "${server_pids[@]}"; do
		kill "${pid}" 2>/dev/null || true
		wait "${pid}" 2>/dev/null || true
	done
}

# A self-signed certificate for the host as the guest sees it (10.0.2.2,
# lpvm-host), like a portal's.
make_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$1/key.pem" -out "$1/cert.pem" -days 2 -subj /CN=lpvm-host \
		-addext "subjectAltName=IP:10.0.2.2,DNS:lpvm-host" >/dev/null 2>&1 ||
		lpvm_err "openssl could not make a test certificate"
}

main() {
	lpvm_init vm_rig_net
	local www=${LPVM_WORK}/www port
	mkdir -p "${www}"
	printf 'hello from the host %s\n' "$$" >"${www}/hello.txt"
	trap stop_servers EXIT
	port=$(lpvm_free_port)
	busybox httpd -f -p "127.0.0.1:${port}" -h "${www}" &
	server_pids+=($!)
	lpvm_wait_port "${port}"
	local tls=${LPVM_WORK}/tls tls_port
	mkdir -p "${tls}"
	make_cert "${tls}"
	tls_port=$(lpvm_free_port)
	# -WWW serves files relative to its working directory.
	(cd "${www}" && exec openssl s_server -quiet -WWW -accept "127.0.0.1:${tls_port}" \
		-cert "${tls}/cert.pem" -key "${tls}/key.pem") </dev/null >"${LPVM_WORK}/s_server.log" 2>&1 &
	server_pids+=($!)
	lpvm_wait_port "${tls_port}"

	local stage=${LPVM_WORK}/stage initrd=${LPVM_WORK}/initrd.cpio
	lpvm_initramfs_new "${stage}"
	# coreutils' sha256sum is dynamically linked (busybox has its own applet
	# under /bin; this one goes to /usr/local/bin).
	lpvm_add_program "${stage}" /usr/bin/sha256sum /usr/local/bin/sha256sum
	# curl with OpenSSL: what a device agent's HTTPS to the portal needs.
	lpvm_add_program "${stage}" /usr/bin/curl /usr/bin/curl
	lpvm_add_file "${stage}" "${tls}/cert.pem" /lpvm/ca.pem
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
	lpvm_run --net --param "port=${port}" --param "tls_port=${tls_port}" \
		--param "hostnow=$(date +%s)" "${initrd}"
}

main "$@"
