# shellcheck shell=bash
#
# e2e: the fleet journey driven through the real executables (eportal serve +
# CLI, patchd, patchctl, patchbuild) on 127.0.0.1 with TLS. Sourced by the
# tests/integration/*.sh scenarios, the VM journey test and scripts/demo.
#
#   e2e_init NAME                  work dir $E2E_WORK (wiped), binaries, traps
#   e2e_pki                        throwaway CA + server cert ($E2E_CA, 127.0.0.1, 10.0.2.2, lpvm-host)
#   e2e_keys                       patchbuild keys init $E2E_KEYS
#   e2e_lp_cmdline_ko [NAME]       kbuild kmod/examples/lp_cmdline once (cached), prints the .ko path;
#                                  with NAME, the same module under the module name NAME (NAME.ko)
#   e2e_bundle OUT ARGS...         patchbuild bundle --keys $E2E_KEYS -o OUT ARGS...
#   e2e_portal_init                eportal init; $E2E_ADMIN holds the admin token
#                                  (E2E_DB=pg: first e2e_pg_start, and init/serve use that database)
#   e2e_pg_start                   a throwaway PostgreSQL (initdb + pg_ctl on a socket in a temp dir,
#                                  as the postgres user when root); sets $E2E_DATABASE, stopped at exit
#   e2e_portal_start [PORT]        eportal serve over TLS; sets $E2E_PORT $E2E_URL $E2E_PORTAL_PID
#   e2e_portal_stop [SIGNAL]       stop it (SIGTERM: graceful) and wait
#   e2e_cli TOKEN ARGS...          the eportal admin CLI against $E2E_URL
#   e2e_device NAME TOKEN [BUILD_ID] [URL]  patchd config for a fake-kernel device; prints the config path
#   e2e_patchd NAME ARGS...        patchd --config <NAME's config> ARGS...
#   e2e_patchctl NAME ARGS...      patchctl --config <NAME's config> ARGS...
#   e2e_wait_until SECONDS CMD...  bounded poll (0.2 s steps)
#   e2e_bg PIDVAR CMD...           start CMD in the background, killed on exit
#   e2e_fail MSG                   print MSG and exit 1
#
# Every server and daemon started here is killed (by its pid) when the script exits.

E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_SRC_ROOT=$(cd "${E2E_LIB_DIR}/../../.." && pwd)
E2E_FAKE_RELEASE=6.1.0-99-amd64
E2E_FAKE_BUILD_ID=0123456789abcdef0123456789abcdef01234567
E2E_OTHER_BUILD_ID=fedcba9876543210fedcba9876543210fedcba98
E2E_PIDS=()
E2E_PG_STOP=()

e2e_log() { printf 'e2e: %s\n' "$*" >&2; }

e2e_fail() {
	printf 'e2e: FAIL: %s\n' "$*" >&2
	[[ -n "${E2E_WORK:-}" ]] && printf 'e2e: artifacts in %s\n' "${E2E_WORK}" >&2
	if [[ -n "${E2E_WORK:-}" && -f "${E2E_WORK}/portal.log" ]]; then
		printf 'e2e: last portal log lines:\n' >&2
		tail -n 15 "${E2E_WORK}/portal.log" >&2 || true
	fi
	exit 1
}

e2e_cleanup() {
	local pid
	for pid in "${E2E_PIDS[@]}"; do
		kill -TERM "${pid}" 2>/dev/null || true
	done
	for pid in "${E2E_PIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
			kill -0 "${pid}" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "${pid}" 2>/dev/null || true
		wait "${pid}" 2>/dev/null || true
	done
	E2E_PIDS=()
	if ((${#E2E_PG_STOP[@]})); then
		"${E2E_PG_STOP[@]}" >/dev/null 2>&1 || true
		rm -rf -- "${E2E_PG_DIR}"
		E2E_PG_STOP=()
	fi
}

# Start CMD in the background (stdout/stderr as the caller redirects them); its pid goes into PIDVAR.
e2e_bg() {
	local -n e2e__pidvar=$1
	shift
	"$@" &
	e2e__pidvar=$!
	E2E_PIDS+=("${e2e__pidvar}")
}

e2e_find_bin() {
	local rel=$1 path
	path=${E2E_BUILD_DIR}/${rel}
	[[ -x "${path}" ]] || e2e_fail "${path} not found: build first (cmake --build ${E2E_BUILD_DIR})"
	printf '%s\n' "${path}"
}

e2e_init() {
	local name=$1
	E2E_BUILD_DIR=${E2E_BUILD_DIR:-${E2E_SRC_ROOT}/build}
	E2E_WORK_ROOT=${E2E_WORK_ROOT:-/tmp/fleetpatch-e2e}
	E2E_CACHE=${E2E_CACHE:-${E2E_WORK_ROOT}/cache}
	E2E_WORK=${E2E_WORK_ROOT}/${name}
	rm -rf -- "${E2E_WORK}"
	mkdir -p -- "${E2E_WORK}" "${E2E_CACHE}"
	EPORTAL=$(e2e_find_bin eportal/eportal)
	PATCHD=$(e2e_find_bin patchd/patchd)
	PATCHCTL=$(e2e_find_bin patchd/patchctl)
	PATCHBUILD=$(e2e_find_bin patchbuild/patchbuild)
	local tool
	for tool in openssl curl jq python3; do
		command -v "${tool}" >/dev/null 2>&1 || e2e_fail "'${tool}' is needed (scripts/install-deps)"
	done
	E2E_KEYS=${E2E_WORK}/keys
	E2E_DATA=${E2E_WORK}/portal-data
	trap e2e_cleanup EXIT
	trap 'exit 130' INT TERM
	e2e_log "${name}: work dir ${E2E_WORK}"
}

# A throwaway CA and a server certificate valid for the loopback names the
# host (127.0.0.1, localhost) and a VM guest (10.0.2.2, lpvm-host) use.
e2e_pki() {
	local d=${E2E_WORK}/pki
	mkdir -p -- "${d}"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=fleetpatch e2e CA" -keyout "${d}/ca.key" -out "${d}/ca.pem" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
		>/dev/null 2>&1 || e2e_fail "openssl: CA"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=eportal" \
		-keyout "${d}/server.key" -out "${d}/server.csr" >/dev/null 2>&1 || e2e_fail "openssl: CSR"
	printf '%s\n' "subjectAltName=IP:127.0.0.1,IP:10.0.2.2,DNS:localhost,DNS:lpvm-host" \
		"basicConstraints=CA:FALSE" "extendedKeyUsage=serverAuth" >"${d}/ext.cnf"
	openssl x509 -req -in "${d}/server.csr" -CA "${d}/ca.pem" -CAkey "${d}/ca.key" -CAcreateserial \
		-days 2 -extfile "${d}/ext.cnf" -out "${d}/server.pem" >/dev/null 2>&1 || e2e_fail "openssl: sign"
	E2E_CA=${d}/ca.pem
	E2E_CERT=${d}/server.pem
	E2E_CERT_KEY=${d}/server.key
}

e2e_keys() {
	"${PATCHBUILD}" keys init "${E2E_KEYS}" >"${E2E_WORK}/keys-init.log" 2>&1 ||
		{ cat "${E2E_WORK}/keys-init.log" >&2; e2e_fail "patchbuild keys init"; }
}

# kbuild of kmod/examples/lp_cmdline against the target headers, once per
# cache dir (a lock keeps parallel tests from building it twice). With NAME
# (default lp_cmdline) the example's Kbuild is rewritten to link the same
# objects into NAME.ko, so the module's .modinfo name= (and the name the
# kernel knows it by) is NAME: each version of a cumulative stream needs a
# module name of its own, as the portal refuses a clash at import.
e2e_lp_cmdline_ko() {
	local name=${1:-lp_cmdline} out ko lock
	[[ "${name}" =~ ^[A-Za-z_][A-Za-z0-9_]{0,54}$ ]] || e2e_fail "e2e_lp_cmdline_ko: bad module name '${name}'"
	if [[ "${name}" == lp_cmdline ]]; then
		out=${E2E_CACHE}/kmod lock=${E2E_CACHE}/kmod.lock
	else
		out=${E2E_CACHE}/kmod-${name} lock=${E2E_CACHE}/kmod-${name}.lock
	fi
	ko=${out}/examples/lp_cmdline/${name}.ko
	mkdir -p -- "${E2E_CACHE}"
	(
		flock -w 300 9 || e2e_fail "timed out waiting for the kmod build lock"
		if [[ ! -f "${ko}" ]]; then
			# shellcheck source=/dev/null
			source "${E2E_SRC_ROOT}/scripts/lib/target-kernel.sh"
			local kdir kbuild log=${out}.kbuild.log
			kdir=$(lp_target_kdir) || e2e_fail "target kernel headers missing (scripts/install-deps)"
			rm -rf -- "${out}"
			mkdir -p -- "${out}"
			tar -C "${E2E_SRC_ROOT}/kmod" --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
				--exclude='*.mod.c' --exclude='.*.cmd' --exclude=modules.order \
				--exclude=Module.symvers -cf - . | tar -C "${out}" -xf -
			kbuild=${out}/examples/lp_cmdline/Kbuild
			if [[ "${name}" != lp_cmdline ]]; then
				sed -i -e "s/^obj-m += lp_cmdline\.o\$/obj-m += ${name}.o/" -e "s/^lp_cmdline-y :=/${name}-y :=/" \
					"${kbuild}"
				grep -qx "obj-m += ${name}.o" "${kbuild}" && grep -q "^${name}-y :=" "${kbuild}" ||
					e2e_fail "kmod/examples/lp_cmdline/Kbuild changed: cannot build it as ${name}"
			fi
			make -s -C "${kdir}" M="${out}/examples/lp_cmdline" modules >"${log}" 2>&1 ||
				{ cat "${log}" >&2; e2e_fail "kbuild of lp_cmdline as ${name} failed"; }
		fi
	) 9>"${lock}" || exit 1
	[[ -f "${ko}" ]] || e2e_fail "no ${ko}"
	printf '%s\n' "${ko}"
}

e2e_bundle() {
	local out=$1
	shift
	"${PATCHBUILD}" bundle --keys "${E2E_KEYS}" -o "${out}" "$@" >>"${E2E_WORK}/bundle.log" 2>&1 ||
		{ tail -n 5 "${E2E_WORK}/bundle.log" >&2; e2e_fail "patchbuild bundle $*"; }
}

# Never the system cluster: its own initdb'd server on a Unix socket, no TCP.
e2e_pg_start() {
	local bindir as=() log=${E2E_WORK}/pg-setup.log
	bindir=$(find /usr/lib/postgresql -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n1)
	[[ -n "${bindir}" && -x "${bindir}/initdb" && -x "${bindir}/pg_ctl" ]] ||
		e2e_fail "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (scripts/install-deps)"
	E2E_PG_DIR=$(mktemp -d /tmp/lp-e2e-pg-XXXXXX)
	# Postgres refuses to run as root.
	if [[ $(id -u) -eq 0 ]]; then
		chown postgres: "${E2E_PG_DIR}"
		as=(runuser -u postgres --)
	fi
	"${as[@]}" "${bindir}/initdb" -D "${E2E_PG_DIR}/data" -A trust -U postgres -E UTF8 --locale=C --no-sync \
		>"${log}" 2>&1 || { cat "${log}" >&2; e2e_fail "initdb"; }
	E2E_PG_STOP=("${as[@]}" "${bindir}/pg_ctl" -D "${E2E_PG_DIR}/data" -m immediate -w -s stop)
	"${as[@]}" "${bindir}/pg_ctl" -D "${E2E_PG_DIR}/data" -l "${E2E_PG_DIR}/server.log" -w -t 30 -s \
		-o "-k ${E2E_PG_DIR} -c listen_addresses= -c fsync=off" start >>"${log}" 2>&1 ||
		{ cat "${log}" "${E2E_PG_DIR}/server.log" >&2; e2e_fail "pg_ctl start"; }
	"${as[@]}" "${bindir}/createdb" -h "${E2E_PG_DIR}" -U postgres eportal >>"${log}" 2>&1 ||
		{ cat "${log}" >&2; e2e_fail "createdb"; }
	E2E_DATABASE="host=${E2E_PG_DIR} dbname=eportal user=postgres"
	e2e_log "PostgreSQL at ${E2E_DATABASE}"
}

# --database for eportal init/serve when the portal runs on PostgreSQL.
e2e_db_args() {
	E2E_DB_ARGS=()
	if [[ ${E2E_DB:-} == pg && -z ${E2E_DATABASE:-} ]]; then e2e_pg_start; fi
	if [[ -n ${E2E_DATABASE:-} ]]; then E2E_DB_ARGS=(--database "${E2E_DATABASE}"); fi
}

e2e_portal_init() {
	e2e_db_args
	E2E_ADMIN=$("${EPORTAL}" init --data-dir "${E2E_DATA}" --root-pub "${E2E_KEYS}/root.pub" \
		--keys-json "${E2E_KEYS}/keys.json" --keys-sig "${E2E_KEYS}/keys.json.sig" \
		--portal-key "${E2E_KEYS}/portal.key" "${E2E_DB_ARGS[@]}" 2>>"${E2E_WORK}/portal-init.log") ||
		{ cat "${E2E_WORK}/portal-init.log" >&2; e2e_fail "eportal init"; }
	[[ -n "${E2E_ADMIN}" ]] || e2e_fail "eportal init printed no admin token"
}

# eportal serve on 127.0.0.1 (PORT, default 0 = any free one) with TLS.
# Extra serve options (e.g. --poll-interval 2) come from E2E_SERVE_ARGS.
e2e_portal_start() {
	local port=${1:-0} i extra=()
	read -r -a extra <<<"${E2E_SERVE_ARGS:-}"
	e2e_db_args
	: >"${E2E_WORK}/portal.port"
	e2e_bg E2E_PORTAL_PID "${EPORTAL}" serve --data-dir "${E2E_DATA}" --listen "127.0.0.1:${port}" \
		--tls-cert "${E2E_CERT}" --tls-key "${E2E_CERT_KEY}" --threads 2 "${extra[@]}" "${E2E_DB_ARGS[@]}" \
		>"${E2E_WORK}/portal.port" 2>>"${E2E_WORK}/portal.log"
	for ((i = 0; i < 150; i++)); do
		if grep -q 'listening on port' "${E2E_WORK}/portal.port" 2>/dev/null; then break; fi
		kill -0 "${E2E_PORTAL_PID}" 2>/dev/null || e2e_fail "eportal serve exited at start"
		sleep 0.1
	done
	E2E_PORT=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "${E2E_WORK}/portal.port" | head -n1)
	[[ -n "${E2E_PORT}" ]] || e2e_fail "eportal serve did not say which port it listens on"
	E2E_URL=https://127.0.0.1:${E2E_PORT}
	curl -fsS --max-time 5 --cacert "${E2E_CA}" "${E2E_URL}/healthz" >/dev/null ||
		e2e_fail "GET ${E2E_URL}/healthz failed"
}

e2e_portal_stop() {
	local sig=${1:-TERM} i
	[[ -n "${E2E_PORTAL_PID:-}" ]] || return 0
	kill -"${sig}" "${E2E_PORTAL_PID}" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "${E2E_PORTAL_PID}" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "${E2E_PORTAL_PID}" 2>/dev/null && e2e_fail "eportal did not stop on SIG${sig} within 10 s"
	local rc=0
	wait "${E2E_PORTAL_PID}" 2>/dev/null || rc=$?
	E2E_PORTAL_PID=
	# A graceful stop is a clean exit.
	[[ "${sig}" != TERM || ${rc} -eq 0 ]] || e2e_fail "eportal exited ${rc} on SIGTERM (want 0)"
}

e2e_cli() {
	local token=$1
	shift
	"${EPORTAL}" --server "${E2E_URL}" --token "${token}" --cacert "${E2E_CA}" "$@"
}

# A device with the fake kernel (its sysfs tree under the device's dir) that
# pretends to run E2E_FAKE_RELEASE with BUILD_ID.
e2e_device() {
	local name=$1 token=$2 build_id=${3:-${E2E_FAKE_BUILD_ID}} url=${4:-${E2E_URL}}
	local d=${E2E_WORK}/devices/${name}
	mkdir -p -- "${d}/state" "${d}/sys" "${d}/proc"
	cat >"${d}/patchd.conf" <<-EOF
		portal_url = ${url}
		ca_file = ${E2E_CA}
		root_key = ${E2E_KEYS}/root.pub
		enroll_token = ${token}
		hostname = ${name}
		kernel = fake:${d}/sys
		fake_release = ${E2E_FAKE_RELEASE}
		fake_arch = x86_64
		fake_build_id = ${build_id}
		state_dir = ${d}/state
		sysfs_root = ${d}/sys
		procfs_root = ${d}/proc
		poll_interval = ${E2E_DEVICE_POLL:-300}
		http_timeout = ${E2E_DEVICE_HTTP_TIMEOUT:-10}
		backoff_max = ${E2E_DEVICE_BACKOFF_MAX:-3600}
	EOF
	printf '%s\n' "${d}/patchd.conf"
}

e2e_patchd() {
	local name=$1
	shift
	"${PATCHD}" --config "${E2E_WORK}/devices/${name}/patchd.conf" "$@"
}

e2e_patchctl() {
	local name=$1
	shift
	"${PATCHCTL}" --config "${E2E_WORK}/devices/${name}/patchd.conf" "$@"
}

e2e_wait_until() {
	local seconds=$1 i
	shift
	for ((i = 0; i < seconds * 5; i++)); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.2
	done
	return 1
}

# jq filter over `eportal status --json` (admin view) is true.
e2e_status_is() {
	e2e_cli "${E2E_ADMIN}" status --json | jq -e "$1" >/dev/null
}

# The state of device NAME's patch ID as `eportal devices --json` shows it.
e2e_device_json() {
	e2e_cli "${E2E_ADMIN}" devices --json | jq --arg h "$1" '.devices[] | select(.hostname == $h)'
}

# The man-in-the-middle portal (lib/evil_portal.py) in front of $E2E_URL; its
# behaviour is switched with e2e_evil MODE [JSON-EXTRA]. Sets $E2E_EVIL_URL.
e2e_evil_start() {
	E2E_EVIL_CTL=${E2E_WORK}/evil.json
	printf '{"mode":"pass"}\n' >"${E2E_EVIL_CTL}"
	rm -f -- "${E2E_WORK}/evil.port"
	e2e_bg E2E_EVIL_PID python3 "${E2E_LIB_DIR}/evil_portal.py" --listen-port-file "${E2E_WORK}/evil.port" \
		--upstream "${E2E_URL}" --ca "${E2E_CA}" --cert "${E2E_CERT}" --key "${E2E_CERT_KEY}" \
		--portal-key "${E2E_KEYS}/portal.key" --control "${E2E_EVIL_CTL}" 2>>"${E2E_WORK}/evil.log"
	e2e_wait_until 20 test -s "${E2E_WORK}/evil.port" || e2e_fail "evil_portal.py did not start"
	E2E_EVIL_URL=https://127.0.0.1:$(cat "${E2E_WORK}/evil.port")
	e2e_wait_until 10 curl -fsS --max-time 5 --cacert "${E2E_CA}" "${E2E_EVIL_URL}/healthz" ||
		e2e_fail "evil portal does not answer"
}

e2e_evil() {
	local mode=$1 fields=${2:-}
	printf '{"mode":"%s"%s}\n' "${mode}" "${fields:+,${fields}}" >"${E2E_EVIL_CTL}.tmp"
	mv -f -- "${E2E_EVIL_CTL}.tmp" "${E2E_EVIL_CTL}"
}

# A free TCP port on 127.0.0.1 (for a server that must come back on the same port).
e2e_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# lp_cmdline.ko (built as module NAME if given) with BYTES of random padding
# after the ELF image (ignored by ELF readers; makes a large blob so a kill
# can land mid-transfer).
e2e_padded_ko() {
	local out=$1 bytes=$2 ko
	ko=$(e2e_lp_cmdline_ko "${3:-lp_cmdline}")
	cp -- "${ko}" "${out}"
	head -c "${bytes}" /dev/urandom >>"${out}"
}

# Every content-addressed file DIR/<sha256>SUFFIX is complete (its sha256 is
# its name). Left-over temporaries (*.tmp.*) are counted in $E2E_TMP_LEFT and
# listed on stderr: harmless to correctness, but worth knowing about.
e2e_check_cas_dir() {
	local dir=$1 suffix=${2:-} f name sum bad=0
	E2E_TMP_LEFT=0
	[[ -d "${dir}" ]] || return 0
	for f in "${dir}"/*; do
		[[ -f "${f}" ]] || continue
		name=$(basename -- "${f}")
		if [[ "${name}" == *.tmp.* ]]; then
			printf 'e2e: note: left-over temporary %s (%s bytes)\n' "${f}" "$(stat -c %s -- "${f}")" >&2
			E2E_TMP_LEFT=$((E2E_TMP_LEFT + 1))
			continue
		fi
		[[ "${name}" == *"${suffix}" ]] || continue
		name=${name%"${suffix}"}
		[[ "${name}" =~ ^[0-9a-f]{64}$ ]] || continue
		sum=$(sha256sum -- "${f}" | cut -d' ' -f1)
		if [[ "${sum}" != "${name}" ]]; then
			printf 'e2e: %s is incomplete or damaged (sha256 %s)\n' "${f}" "${sum}" >&2
			bad=1
		fi
	done
	return "${bad}"
}

# `patchctl status --json` of device NAME, whatever its exit status says.
e2e_device_status() {
	e2e_patchctl "$1" status --json 2>/dev/null || true
}
