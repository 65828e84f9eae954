#!/usr/bin/env bash
# (b) A release reaches only its group and only the kernel build it was made
# for: a device enrolled in another group, and one in the right group running
# another build, get nothing, while the device in the group applies it.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
e2e_init groups

e2e_pki
e2e_keys
e2e_portal_init
e2e_portal_start
ko=$(e2e_lp_cmdline_ko)
bundle=${E2E_WORK}/lp.bundle
e2e_bundle "${bundle}" --module "${ko}" --target "${E2E_FAKE_RELEASE}" --build-id "${E2E_FAKE_BUILD_ID}" --cve CVE-2024-1234

lab=$(e2e_cli "${E2E_ADMIN}" token create --group lab)
prod=$(e2e_cli "${E2E_ADMIN}" token create --group prod)
e2e_device in-lab "${lab}" >/dev/null
e2e_device in-prod "${prod}" >/dev/null
e2e_device lab-other-kernel "${lab}" "${E2E_OTHER_BUILD_ID}" >/dev/null
e2e_cli "${E2E_ADMIN}" patch import "${bundle}" >/dev/null || e2e_fail "import"
e2e_cli "${E2E_ADMIN}" release lp_cmdline --group lab >/dev/null || e2e_fail "release"

for dev in in-lab in-prod lab-other-kernel; do
	e2e_patchd "${dev}" --once 2>>"${E2E_WORK}/${dev}.log" || e2e_fail "${dev}: check-in failed"
	e2e_patchd "${dev}" --once 2>>"${E2E_WORK}/${dev}.log" || e2e_fail "${dev}: second check-in failed"
done

rc=0; e2e_patchctl in-lab status >/dev/null || rc=$?
[[ ${rc} -eq 0 ]] || e2e_fail "in-lab: patchctl status exit ${rc}, want 0 (applied)"
for dev in in-prod lab-other-kernel; do
	rc=0; e2e_patchctl "${dev}" status --json >"${E2E_WORK}/${dev}-status.json" || rc=$?
	[[ ${rc} -eq 2 ]] || e2e_fail "${dev}: patchctl status exit ${rc}, want 2 (nothing applied): $(cat "${E2E_WORK}/${dev}-status.json")"
	jq -e '(.patches | length == 0) and (.history | length == 0) and .last_error == ""' \
		"${E2E_WORK}/${dev}-status.json" >/dev/null || e2e_fail "${dev} got something: $(cat "${E2E_WORK}/${dev}-status.json")"
	[[ -z "$(ls -A "${E2E_WORK}/devices/${dev}/sys/kernel/livepatch" 2>/dev/null)" ]] ||
		e2e_fail "${dev}: a livepatch was loaded"
	[[ -z "$(ls -A "${E2E_WORK}/devices/${dev}/state/cache" 2>/dev/null)" ]] ||
		e2e_fail "${dev}: something was downloaded into its cache"
done

e2e_device_json in-prod | jq -e '.group == "prod" and .status == "patched" and (.applied | length == 0)' >/dev/null ||
	e2e_fail "portal view of in-prod: $(e2e_device_json in-prod)"
e2e_device_json in-lab | jq -e '.group == "lab" and .status == "patched" and (.applied | length == 1)' >/dev/null ||
	e2e_fail "portal view of in-lab: $(e2e_device_json in-lab)"
e2e_cli "${E2E_ADMIN}" devices --exposed CVE-2024-1234 --json >"${E2E_WORK}/exposed.json"
jq -e '[.devices[].hostname] == ["in-prod"]' "${E2E_WORK}/exposed.json" >/dev/null ||
	e2e_fail "only in-prod (right kernel, wrong group) is exposed: $(cat "${E2E_WORK}/exposed.json")"
e2e_log "groups: only the lab device on the target build applied; the others got nothing"
