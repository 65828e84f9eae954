#!/usr/bin/env bash
# Check-in throughput of one eportal node (SQLite, loopback) beside nginx
# serving a static file of the same size, with wrk (Debian package), and
# patchd's memory idle and while applying.
#
#   bench/checkin_bench.sh [BUILD_DIR]      (default build/; env: DURATION=10 CONNS=64 THREADS=2)
#
# Installs wrk and nginx-light with apt-get when they are missing (it says so).
# What is measured, all on 127.0.0.1 over TLS (TLS 1.3, keep-alive: handshakes amortised):
#   checkin-200   authenticated POST /api/v1/checkin of DEVICES (200) enrolled devices in turn, no ETag:
#                 the full signed answer (one manifest)
#   checkin-304   the same with If-None-Match of the current answer: the idle-fleet case
#   eportal-healthz GET /healthz: the server without the check-in handler (where the time goes)
#   nginx-static  GET of a static file as large as the 200 answer
#   patchd RSS    VmRSS of the patchd daemon (fake kernel) idle, and VmHWM (peak) after applying an 8 MB module
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "${here}/.." && pwd)
E2E_BUILD_DIR=${1:-${E2E_BUILD_DIR:-${root}/build}}
E2E_WORK_ROOT=${BENCH_WORK_ROOT:-/tmp/fleetpatch-bench}
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
# shellcheck source-path=SCRIPTDIR source=../tests/integration/lib/e2e.sh
source "${root}/tests/integration/lib/e2e.sh"

need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
[[ -x /usr/sbin/nginx ]] || need+=(nginx-light)
if ((${#need[@]})); then
	echo "bench: installing ${need[*]} with apt-get (missing)" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

e2e_init bench
e2e_pki
e2e_keys
e2e_portal_init
E2E_SERVE_ARGS="--quiet --poll-interval 2 --answer-lifetime 600"
e2e_portal_start
ko=$(e2e_lp_cmdline_ko)
w=${E2E_WORK}
e2e_bundle "${w}/lp.bundle" --module "${ko}" --target "${E2E_FAKE_RELEASE}" --build-id "${E2E_FAKE_BUILD_ID}" --cve CVE-2024-1234
e2e_cli "${E2E_ADMIN}" patch import "${w}/lp.bundle" >/dev/null
e2e_cli "${E2E_ADMIN}" release lp_cmdline --group bench >/dev/null
token=$(e2e_cli "${E2E_ADMIN}" token create --group bench)
identity="{\"release\":\"${E2E_FAKE_RELEASE}\",\"build_id\":\"${E2E_FAKE_BUILD_ID}\",\"arch\":\"x86_64\"}"
body="{\"identity\":${identity},\"applied\":[],\"last_error\":\"\",\"wait\":0}"
# DEVICES enrolled devices; each request of wrk uses the next one's credential
# (and, for the 304 run, that device's current ETag).
DEVICES=${DEVICES:-200}
: >"${w}/devices.lua"
for ((i = 1; i <= DEVICES; i++)); do
	cred=$(curl -fsS --cacert "${E2E_CA}" -H 'Content-Type: application/json' \
		--data "{\"token\":\"${token}\",\"hostname\":\"bench-${i}\",\"identity\":${identity}}" \
		"${E2E_URL}/api/v1/enroll" | jq -r .credential)
	curl -fsS --cacert "${E2E_CA}" -D "${w}/h200" -o "${w}/answer.json" -H "Authorization: Bearer ${cred}" \
		-H 'Content-Type: application/json' --data "${body}" "${E2E_URL}/api/v1/checkin"
	etag=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *\(.*\)\r$/\1/p' "${w}/h200")
	printf '{"%s", [[%s]]},\n' "${cred}" "${etag}" >>"${w}/devices.lua"
done
size=$(stat -c %s "${w}/answer.json")
code304=$(curl -sS --cacert "${E2E_CA}" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${cred}" \
	-H "If-None-Match: ${etag}" -H 'Content-Type: application/json' --data "${body}" "${E2E_URL}/api/v1/checkin")
[[ ${code304} == 304 ]] || e2e_fail "a check-in with the current ETag answered ${code304}, not 304"

lua() { # FILE USE_ETAG(0|1)
	{
		printf 'local devices = {\n'
		cat "${w}/devices.lua"
		printf '}\nlocal i = 0\nlocal body = [[%s]]\n' "${body}"
		cat <<-LUA
			request = function()
			  i = i % #devices + 1
			  local h = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. devices[i][1]}
			  if ${2} == 1 then h["If-None-Match"] = devices[i][2] end
			  return wrk.format("POST", nil, h, body)
			end
		LUA
	} >"$1"
}
lua "${w}/checkin200.lua" 0
lua "${w}/checkin304.lua" 1

# nginx with one worker per core, the answer-sized file, TLS with the same certificate.
mkdir -p "${w}/nginx/www" "${w}/nginx/tmp"
head -c "${size}" /dev/urandom >"${w}/nginx/www/answer.json"
nport=$(e2e_free_port)
cat >"${w}/nginx/nginx.conf" <<NGINX
worker_processes auto;
pid ${w}/nginx/nginx.pid;
error_log ${w}/nginx/error.log;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${w}/nginx/tmp; proxy_temp_path ${w}/nginx/tmp; fastcgi_temp_path ${w}/nginx/tmp;
  uwsgi_temp_path ${w}/nginx/tmp; scgi_temp_path ${w}/nginx/tmp;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:${nport} ssl;
    ssl_certificate ${E2E_CERT}; ssl_certificate_key ${E2E_CERT_KEY};
    root ${w}/nginx/www;
  }
}
NGINX
e2e_bg nginx_pid /usr/sbin/nginx -c "${w}/nginx/nginx.conf" -e "${w}/nginx/error.log"
e2e_wait_until 10 curl -fsS -k "https://127.0.0.1:${nport}/answer.json" -o /dev/null || e2e_fail "nginx did not start"

run_wrk() { # NAME ARGS...
	local name=$1
	shift
	wrk -t"${THREADS}" -c"${CONNS}" -d"${DURATION}s" --latency "$@" >"${w}/wrk-${name}.txt" 2>&1 || e2e_fail "wrk ${name}"
	local rps p50 p99 non2xx
	rps=$(awk '/^Requests\/sec/ {print $2}' "${w}/wrk-${name}.txt")
	p50=$(awk '$1 == "50%" {print $2}' "${w}/wrk-${name}.txt")
	p99=$(awk '$1 == "99%" {print $2}' "${w}/wrk-${name}.txt")
	non2xx=$(awk '/Non-2xx/ {print $NF}' "${w}/wrk-${name}.txt")
	printf '%-14s %10s req/s   p50 %8s   p99 %8s   %s\n' "${name}" "${rps}" "${p50}" "${p99}" \
		"${non2xx:+(non-2xx: ${non2xx})}"
}

echo "bench: ${DEVICES} devices, ${THREADS} wrk threads, ${CONNS} connections, ${DURATION} s each; answer ${size} bytes; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
run_wrk checkin-200 -s "${w}/checkin200.lua" "${E2E_URL}/api/v1/checkin"
run_wrk checkin-304 -s "${w}/checkin304.lua" "${E2E_URL}/api/v1/checkin"
run_wrk eportal-healthz "${E2E_URL}/healthz"
run_wrk nginx-static "https://127.0.0.1:${nport}/answer.json"
echo "(non-2xx counts 4xx/5xx answers; the 200 and 304 answers were checked with curl first)"
printf 'eportal RSS after the runs: %s\n' "$(awk '/VmRSS/ {print $2 " " $3}' "/proc/${E2E_PORTAL_PID}/status")"

# patchd memory: the daemon idle, then applying an 8 MB module.
mkdir -p "${w}/big"
e2e_padded_ko "${w}/big/lp_cmdline.ko" $((8 << 20))
e2e_bundle "${w}/big.bundle" --module "${w}/big/lp_cmdline.ko" --target "${E2E_FAKE_RELEASE}" \
	--build-id "${E2E_FAKE_BUILD_ID}" --version 2 --patch-id lp_big
e2e_cli "${E2E_ADMIN}" patch import "${w}/big.bundle" >/dev/null
dtoken=$(e2e_cli "${E2E_ADMIN}" token create --group rss)
conf=$(e2e_device rss1 "${dtoken}")
e2e_bg patchd_pid "${PATCHD}" --config "${conf}" 2>"${w}/patchd.log"
enrolled() { e2e_device_status rss1 | jq -e '.last_checkin != null'; }
e2e_wait_until 30 enrolled || e2e_fail "patchd did not enroll"
sleep 3
idle=$(awk '/VmRSS/ {print $2}' "/proc/${patchd_pid}/status")
e2e_cli "${E2E_ADMIN}" release lp_big --group rss >/dev/null
applied() { e2e_patchctl rss1 status >/dev/null; }
e2e_wait_until 60 applied || e2e_fail "patchd did not apply the 8 MB patch"
peak=$(awk '/VmHWM/ {print $2}' "/proc/${patchd_pid}/status")
after=$(awk '/VmRSS/ {print $2}' "/proc/${patchd_pid}/status")
printf 'patchd RSS: idle %s kB, peak while applying an 8 MB module %s kB, after %s kB\n' "${idle}" "${peak}" "${after}"
