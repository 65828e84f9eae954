#!/usr/bin/env bash
# Fleet simulation: DEVICES (default 1000; the issue's goal is 10000) simulated
# devices in one Python process long-poll one eportal node (SQLite, TLS,
# loopback); prints the portal's CPU while they sit idle and, after one
# release, the time until all have applied and reported (p50/p95/max), and the
# time until `eportal status` counts them all patched. See bench/fleet_sim.py.
#
#   bench/fleet_sim.sh [BUILD_DIR]        env: DEVICES=1000 IDLE_SECONDS=10
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "${here}/.." && pwd)
E2E_BUILD_DIR=${1:-${E2E_BUILD_DIR:-${root}/build}}
E2E_WORK_ROOT=${BENCH_WORK_ROOT:-/tmp/fleetpatch-bench}
DEVICES=${DEVICES:-1000}
# shellcheck source-path=SCRIPTDIR source=../tests/integration/lib/e2e.sh
source "${root}/tests/integration/lib/e2e.sh"

e2e_init fleet_sim
e2e_pki
e2e_keys
e2e_portal_init
E2E_SERVE_ARGS="--quiet"
e2e_portal_start 0
ko=$(e2e_lp_cmdline_ko)
w=${E2E_WORK}
e2e_bundle "${w}/lp.bundle" --module "${ko}" --target "${E2E_FAKE_RELEASE}" --build-id "${E2E_FAKE_BUILD_ID}"
e2e_cli "${E2E_ADMIN}" patch import "${w}/lp.bundle" >/dev/null
token=$(e2e_cli "${E2E_ADMIN}" token create --group sim)
release="'${EPORTAL}' --server '${E2E_URL}' --token '${E2E_ADMIN}' --cacert '${E2E_CA}' release lp_cmdline --group sim"
echo "fleet_sim: ${DEVICES} devices against one portal node ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
start=$(date +%s%N)
python3 "${here}/fleet_sim.py" --url "${E2E_URL}" --ca "${E2E_CA}" --token "${token}" --release "${release}" \
	--portal-pid "${E2E_PORTAL_PID}" --devices "${DEVICES}" --build-id "${E2E_FAKE_BUILD_ID}" \
	--kernel-release "${E2E_FAKE_RELEASE}" --idle-seconds "${IDLE_SECONDS:-10}" || e2e_fail "simulation failed"
all_patched() { e2e_status_is ".patched == ${DEVICES}"; }
e2e_wait_until 120 all_patched || e2e_fail "the portal does not count ${DEVICES} patched: $(e2e_cli "${E2E_ADMIN}" status --json)"
printf 'fleet_sim: eportal status counts %s devices patched; portal RSS %s\n' "${DEVICES}" \
	"$(awk '/VmRSS/ {print $2 " " $3}' "/proc/${E2E_PORTAL_PID}/status")"
