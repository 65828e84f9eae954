#!/usr/bin/env bash
# (d) What a compromised portal (here a man-in-the-middle that even holds the
# portal's online key, lib/evil_portal.py) can send is refused by patchd and
# reported back: a tampered blob, a genuine manifest for another build id, a
# lower version than the one applied (rollback), and a replayed old check-in
# answer. After each, the good patch stays in effect and nothing else loads.
# (The same checks exist as Updater unit tests in tests/patchd; this is the
# process-level path through TLS, curl, state files and the portal's view.)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
e2e_init refusals

e2e_pki
e2e_keys
e2e_portal_init
e2e_portal_start
e2e_evil_start
ko=$(e2e_lp_cmdline_ko)
w=${E2E_WORK}
# Versions of one stream (lp_cmdline), each with a module name of its own as
# cumulative replacements must have (the portal refuses a clash at import).
for v in 1 2 3; do
	ko_v=$(e2e_lp_cmdline_ko "lp_cmdline_v${v}")
	e2e_bundle "${w}/v${v}.bundle" --module "${ko_v}" --patch-id lp_cmdline \
		--target "${E2E_FAKE_RELEASE}" --build-id "${E2E_FAKE_BUILD_ID}" --version "${v}" --description "v${v}"
done
e2e_bundle "${w}/other.bundle" --module "${ko}" --target "${E2E_FAKE_RELEASE}" --build-id "${E2E_OTHER_BUILD_ID}" --version 5 \
	--description "for another build"
# v1 is imported but never released: the man in the middle offers it as a rollback.
for b in v1 v2 v3 other; do e2e_cli "${E2E_ADMIN}" patch import "${w}/${b}.bundle" >/dev/null || e2e_fail "import ${b}"; done

token=$(e2e_cli "${E2E_ADMIN}" token create --group lab)
e2e_device dev1 "${token}" "${E2E_FAKE_BUILD_ID}" "${E2E_EVIL_URL}" >/dev/null
log=${w}/dev1.log
once() { # label: one patchd cycle through the evil portal, its log appended
	printf '=== %s\n' "$1" >>"${log}"
	e2e_patchd dev1 --once 2>>"${log}" || true
	e2e_patchctl dev1 status --json >"${w}/status-$1.json" 2>/dev/null || true
}
loaded() { ls -A "${w}/devices/dev1/sys/kernel/livepatch" 2>/dev/null | tr '\n' ' '; }
in_effect_v() { jq -e --argjson v "$1" '[.patches[] | select(.in_effect)] | length == 1 and .[0].version == $v' "$2" >/dev/null; }
portal_saw() { # jq filter over the portal's record of dev1
	e2e_device_json dev1 >"${w}/portal-dev1.json"
	jq -e "$1" "${w}/portal-dev1.json" >/dev/null
}
once enroll

# 1. Tampered blob: the manifest is genuine, the bytes are not.
e2e_cli "${E2E_ADMIN}" release lp_cmdline:2 --group lab >/dev/null || e2e_fail "release v2"
e2e_evil tamper-blob
once tamper
[[ -z "$(loaded)" ]] || e2e_fail "tampered blob: a patch was loaded: $(loaded)"
grep -qi 'sha256' <(sed -n '/=== tamper/,$p' "${log}") || e2e_fail "tampered blob: no sha256 refusal in the log: $(tail -n 5 "${log}")"
once tamper-reported
portal_saw '.status == "failed" or (.last_error | test("sha256"; "i"))' ||
	e2e_fail "tampered blob: the portal was not told: $(cat "${w}/portal-dev1.json")"

# The bytes were refused, not the patch: served intact, the same v2 applies.
e2e_evil pass
sleep 1.1  # answers are issued with one-second resolution: keep them ordered
once v2-intact
in_effect_v 2 "${w}/status-v2-intact.json" ||
	e2e_fail "v2 not applied once its blob came intact: $(jq -c '{patches, history, last_error}' "${w}/status-v2-intact.json")"

# A newer release goes through the same man in the middle untouched.
e2e_cli "${E2E_ADMIN}" release lp_cmdline:3 --group lab >/dev/null || e2e_fail "release v3"
sleep 1.1
once v3
in_effect_v 3 "${w}/status-v3.json" || e2e_fail "v3 not applied after the tamper: $(cat "${w}/status-v3.json")"

# 2. A genuinely signed manifest, but for another kernel build.
sleep 1.1
e2e_evil inject "\"bundle\":\"${w}/other.bundle\""
once other-build
in_effect_v 3 "${w}/status-other-build.json" || e2e_fail "other build id: v3 is no longer the one in effect"
[[ "$(loaded)" == "lp_cmdline_v3 " ]] || e2e_fail "other build id: loaded $(loaded)"
jq -e '.last_error | test("build id")' "${w}/status-other-build.json" >/dev/null ||
	e2e_fail "other build id: no reason recorded: $(jq -c .last_error "${w}/status-other-build.json")"
e2e_evil pass
once other-build-reported
portal_saw '.last_error | test("build id")' ||
	e2e_fail "other build id: the portal was not told: $(cat "${w}/portal-dev1.json")"

# 3. A lower version than the applied one (rollback), genuinely signed.
sleep 1.1
e2e_evil inject "\"bundle\":\"${w}/v1.bundle\""
once rollback
in_effect_v 3 "${w}/status-rollback.json" || e2e_fail "rollback: v3 is no longer in effect: $(cat "${w}/status-rollback.json")"
[[ "$(loaded)" == "lp_cmdline_v3 " ]] || e2e_fail "rollback: loaded $(loaded)"
jq -e '.last_error | test("rollback refused")' "${w}/status-rollback.json" >/dev/null ||
	e2e_fail "rollback: no reason recorded: $(jq -c .last_error "${w}/status-rollback.json")"
jq -e '.history[] | select(.version == 1) | .state == "refused"' "${w}/status-rollback.json" >/dev/null ||
	e2e_fail "rollback: v1 not recorded refused: $(jq -c .history "${w}/status-rollback.json")"
e2e_evil pass
once rollback-reported
portal_saw '(.last_error | test("rollback refused")) and (.applied[] | select(.version == 1) | .state == "refused")' ||
	e2e_fail "rollback: the portal was not told: $(cat "${w}/portal-dev1.json")"

# 4. A replayed old answer (the first one this device ever got, validly signed).
sleep 1.1
e2e_evil replay
once replay
grep -qiE 'replay|older|stale' <(sed -n '/=== replay/,$p' "${log}") || e2e_fail "replay: not refused: $(tail -n 5 "${log}")"
jq -e '.last_error | test("replay|older|stale"; "i")' "${w}/status-replay.json" >/dev/null ||
	e2e_fail "replay: last_error: $(jq -c .last_error "${w}/status-replay.json")"
in_effect_v 3 "${w}/status-replay.json" || e2e_fail "replay: v3 is no longer in effect"
e2e_evil pass
once replay-reported
portal_saw '.last_error | test("replay|older|stale"; "i")' ||
	e2e_fail "replay: the portal was not told: $(cat "${w}/portal-dev1.json")"
e2e_log "refusals: tampered blob, other build id, rollback and replay refused, v3 stayed in effect, portal told"
