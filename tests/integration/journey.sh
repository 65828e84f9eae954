#!/usr/bin/env bash
# (a) keys init -> eportal init -> enrollment token -> 3 devices enroll ->
# bundle import -> release to their group -> every device applies;
# `eportal status --json` counts them patched, `patchctl status --json`
# shows the patch applied and in effect on each.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
e2e_init journey

e2e_pki
e2e_keys
e2e_portal_init
e2e_portal_start
ko=$(e2e_lp_cmdline_ko)
bundle=${E2E_WORK}/lp_cmdline-v1.bundle
e2e_bundle "${bundle}" --module "${ko}" --target "${E2E_FAKE_RELEASE}" --build-id "${E2E_FAKE_BUILD_ID}" \
	--function vmlinux:cmdline_proc_show --cve CVE-2024-1234 --description "e2e journey"

token=$(e2e_cli "${E2E_ADMIN}" token create --group lab) || e2e_fail "token create"
devices=(dev1 dev2 dev3)
for dev in "${devices[@]}"; do
	e2e_device "${dev}" "${token}" >/dev/null
	e2e_patchd "${dev}" --once 2>>"${E2E_WORK}/${dev}.log" || e2e_fail "${dev}: first check-in (enroll) failed"
	e2e_patchctl "${dev}" status --json >"${E2E_WORK}/${dev}-status0.json" || true
	jq -e '.device_id | startswith("d-")' "${E2E_WORK}/${dev}-status0.json" >/dev/null ||
		e2e_fail "${dev} did not enroll: $(cat "${E2E_WORK}/${dev}-status0.json")"
done
e2e_status_is '.devices == 3 and .patched == 3' ||
	e2e_fail "before any release all 3 should count as up to date: $(e2e_cli "${E2E_ADMIN}" status --json)"

e2e_cli "${E2E_ADMIN}" patch import "${bundle}" >"${E2E_WORK}/import.out" || e2e_fail "patch import"
e2e_cli "${E2E_ADMIN}" release lp_cmdline:1 --group lab >"${E2E_WORK}/release.out" || e2e_fail "release"
e2e_status_is '.pending == 3' || e2e_fail "after the release 3 devices should be pending: $(e2e_cli "${E2E_ADMIN}" status --json)"

for dev in "${devices[@]}"; do
	e2e_patchd "${dev}" --once 2>>"${E2E_WORK}/${dev}.log" || e2e_fail "${dev}: check-in after release failed"
	grep -q 'applied lp_cmdline v1' "${E2E_WORK}/${dev}.log" || e2e_fail "${dev}: patchd did not log the apply"
	rc=0
	e2e_patchctl "${dev}" status --json >"${E2E_WORK}/${dev}-status.json" || rc=$?
	[[ ${rc} -eq 0 ]] || e2e_fail "${dev}: patchctl status exit ${rc} (want 0, up to date)"
	jq -e '.patches | length == 1 and .[0].in_effect and .[0].patch_id == "lp_cmdline" and .[0].version == 1' \
		"${E2E_WORK}/${dev}-status.json" >/dev/null || e2e_fail "${dev}: status: $(cat "${E2E_WORK}/${dev}-status.json")"
	jq -e '.history[0].state == "applied" and (.cves_fixed | index("CVE-2024-1234"))' \
		"${E2E_WORK}/${dev}-status.json" >/dev/null || e2e_fail "${dev}: history/CVEs: $(cat "${E2E_WORK}/${dev}-status.json")"
done

# The portal learns the applied state from the reports (or the next check-in).
for dev in "${devices[@]}"; do e2e_patchd "${dev}" --once 2>>"${E2E_WORK}/${dev}.log" || true; done
e2e_cli "${E2E_ADMIN}" status --json >"${E2E_WORK}/eportal-status.json"
jq -e '.devices == 3 and .patched == 3 and .pending == 0 and .failed == 0' "${E2E_WORK}/eportal-status.json" >/dev/null ||
	e2e_fail "eportal status: $(cat "${E2E_WORK}/eportal-status.json")"
e2e_cli "${E2E_ADMIN}" devices --exposed CVE-2024-1234 --json >"${E2E_WORK}/exposed.json"
jq -e '.devices | length == 0' "${E2E_WORK}/exposed.json" >/dev/null ||
	e2e_fail "devices still exposed to CVE-2024-1234: $(cat "${E2E_WORK}/exposed.json")"
e2e_cli "${E2E_ADMIN}" audit --verify >"${E2E_WORK}/audit.out" || e2e_fail "audit chain: $(cat "${E2E_WORK}/audit.out")"
e2e_log "journey: 3 devices enrolled, applied lp_cmdline v1, portal counts 3 patched"
