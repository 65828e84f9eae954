#!/usr/bin/env bash
# (e) The portal goes away for a while: the patchd daemon keeps running, backs
# off (growing, jittered, capped delays, logged), and when the portal is back
# on the same address it recovers by itself and applies a release made then.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
e2e_init backoff

e2e_pki
e2e_keys
e2e_portal_init
port=$(e2e_free_port)
E2E_SERVE_ARGS="--poll-interval 2 --answer-lifetime 120"
e2e_portal_start "${port}"
ko=$(e2e_lp_cmdline_ko)
e2e_bundle "${E2E_WORK}/lp.bundle" --module "${ko}" --target "${E2E_FAKE_RELEASE}" --build-id "${E2E_FAKE_BUILD_ID}"
e2e_cli "${E2E_ADMIN}" patch import "${E2E_WORK}/lp.bundle" >/dev/null || e2e_fail "import"

token=$(e2e_cli "${E2E_ADMIN}" token create --group lab)
E2E_DEVICE_BACKOFF_MAX=8 E2E_DEVICE_HTTP_TIMEOUT=3 e2e_device dev1 "${token}" >/dev/null
log=${E2E_WORK}/patchd.log
e2e_bg patchd_pid "${PATCHD}" --config "${E2E_WORK}/devices/dev1/patchd.conf" 2>"${log}"
enrolled() { e2e_device_status dev1 | jq -e '.device_id != "" and .last_checkin != null'; }
e2e_wait_until 30 enrolled || e2e_fail "the daemon did not enroll: $(tail -n 5 "${log}")"

e2e_log "stopping the portal"
down_at=$(date +%s)
e2e_portal_stop TERM
failures() { grep -c 'next check-in in' "${log}" || true; }
three_failures() { (($(failures) >= 3)); }
e2e_wait_until 40 three_failures ||
	e2e_fail "patchd did not log 3 failed check-ins while the portal was down: $(tail -n 5 "${log}")"
kill -0 "${patchd_pid}" 2>/dev/null || e2e_fail "the daemon died while the portal was down"
# The delays grow and stay under the cap (backoff_max = 8 s).
mapfile -t delays < <(sed -n 's/.*next check-in in \([0-9]*\) s (failure \([0-9]*\)).*/\1 \2/p' "${log}")
e2e_log "backoff while down: ${delays[*]}"
[[ "${delays[0]}" == *" 1" ]] || e2e_fail "first failure not numbered 1: ${delays[*]}"
for d in "${delays[@]}"; do
	(( ${d% *} <= 8 )) || e2e_fail "delay ${d% *} s over backoff_max 8: ${delays[*]}"
done
# First step 5 s (jittered to 2.5-5 s), then doubling: numbered 1, 2, 3 ...
(( ${delays[0]% *} <= 5 )) || e2e_fail "first backoff over 5 s: ${delays[*]}"
[[ "${delays[1]}" == *" 2" && "${delays[2]}" == *" 3" ]] || e2e_fail "failures not counted: ${delays[*]}"

e2e_log "portal back on port ${port} after $(($(date +%s) - down_at)) s; releasing"
e2e_portal_start "${port}"
e2e_cli "${E2E_ADMIN}" release lp_cmdline --group lab >/dev/null || e2e_fail "release"
back_at=$(date +%s)
applied() { e2e_patchctl dev1 status >/dev/null; }
e2e_wait_until 40 applied || e2e_fail "the device did not recover and apply within 40 s: $(tail -n 8 "${log}")"
e2e_log "applied $(($(date +%s) - back_at)) s after the portal came back"
kill -0 "${patchd_pid}" 2>/dev/null || e2e_fail "the daemon is gone"
patched() { e2e_status_is '.patched == 1 and .stale == 0'; }
e2e_wait_until 20 patched || e2e_fail "portal status: $(e2e_cli "${E2E_ADMIN}" status --json)"
kill -TERM "${patchd_pid}"
e2e_wait_until 10 bash -c "! kill -0 ${patchd_pid} 2>/dev/null" || e2e_fail "patchd did not stop on SIGTERM"
grep -q 'patchd: stopping' "${log}" || e2e_fail "patchd did not log its stop"
e2e_log "backoff: ${#delays[@]} failed check-ins backed off, recovered, applied; daemon stopped cleanly"
