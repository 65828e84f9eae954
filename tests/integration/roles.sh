#!/usr/bin/env bash
# (c) Roles are enforced by the server: a viewer cannot release, import,
# revert or mint enrollment tokens (403 from the admin API itself, not only a
# CLI refusal), a releaser scoped to one group cannot release to another, and
# a refused request changes nothing (no release reaches a device, audit log).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
e2e_init roles

e2e_pki
e2e_keys
e2e_portal_init
e2e_portal_start
ko=$(e2e_lp_cmdline_ko)
bundle=${E2E_WORK}/lp.bundle
e2e_bundle "${bundle}" --module "${ko}" --target "${E2E_FAKE_RELEASE}" --build-id "${E2E_FAKE_BUILD_ID}"

viewer=$(e2e_cli "${E2E_ADMIN}" user add vera --role viewer --groups lab) || e2e_fail "user add viewer"
releaser=$(e2e_cli "${E2E_ADMIN}" user add rita --role releaser --groups lab) || e2e_fail "user add releaser"
token=$(e2e_cli "${E2E_ADMIN}" token create --group lab)
prod_token=$(e2e_cli "${E2E_ADMIN}" token create --group prod)
e2e_device dev1 "${token}" >/dev/null
e2e_device prod1 "${prod_token}" >/dev/null
e2e_patchd dev1 --once 2>>"${E2E_WORK}/dev1.log" || e2e_fail "enroll dev1"
e2e_patchd prod1 --once 2>>"${E2E_WORK}/prod1.log" || e2e_fail "enroll prod1"

# The CLI run by a viewer fails ...
e2e_cli "${viewer}" patch import "${bundle}" >"${E2E_WORK}/v-import.out" 2>&1 && e2e_fail "a viewer imported a patch"
e2e_cli "${releaser}" patch import "${bundle}" >/dev/null || e2e_fail "a releaser may import"
e2e_cli "${viewer}" release lp_cmdline --group lab >"${E2E_WORK}/v-release.out" 2>&1 && e2e_fail "a viewer released"
e2e_cli "${viewer}" token create --group lab >/dev/null 2>&1 && e2e_fail "a viewer made an enrollment token"
e2e_cli "${releaser}" token create --group lab >/dev/null 2>&1 && e2e_fail "a releaser made an enrollment token"
e2e_cli "${releaser}" release lp_cmdline --group prod >/dev/null 2>&1 && e2e_fail "a lab releaser released to prod"
e2e_cli "${viewer}" status --json >/dev/null || e2e_fail "a viewer may read status"
# ... because the server refuses: the same calls straight to the admin API.
api() { # TOKEN METHOD PATH [BODY] -> HTTP status
	curl -sS -o "${E2E_WORK}/api.out" -w '%{http_code}' --max-time 10 --cacert "${E2E_CA}" -X "$2" \
		-H "Authorization: Bearer $1" -H 'Content-Type: application/json' ${4:+--data "$4"} "${E2E_URL}$3"
}
code=$(api "${viewer}" POST /api/v1/admin/releases '{"patch_id":"lp_cmdline","version":1,"group":"lab"}')
[[ ${code} == 403 ]] || e2e_fail "viewer release: HTTP ${code}, want 403: $(cat "${E2E_WORK}/api.out")"
code=$(api "${viewer}" POST /api/v1/admin/reverts '{"patch_id":"lp_cmdline","group":"lab"}')
[[ ${code} == 403 ]] || e2e_fail "viewer revert: HTTP ${code}, want 403"
code=$(api "${viewer}" POST /api/v1/admin/users '{"name":"mallory","role":"admin","groups":[]}')
[[ ${code} == 403 ]] || e2e_fail "viewer adds an admin: HTTP ${code}, want 403"
code=$(api "${releaser}" POST /api/v1/admin/releases '{"patch_id":"lp_cmdline","version":1,"group":"prod"}')
[[ ${code} == 403 ]] || e2e_fail "lab releaser to prod: HTTP ${code}, want 403"
code=$(api "not-a-token" GET /api/v1/admin/status)
[[ ${code} == 401 ]] || e2e_fail "unknown token: HTTP ${code}, want 401"

# Nothing was released: no device gets the patch.
for dev in dev1 prod1; do
	e2e_patchd "${dev}" --once 2>>"${E2E_WORK}/${dev}.log" || e2e_fail "${dev} check-in"
	rc=0; e2e_patchctl "${dev}" status >/dev/null || rc=$?
	[[ ${rc} -eq 2 ]] || e2e_fail "${dev}: patchctl status exit ${rc}, want 2 (nothing applied)"
done
e2e_cli "${E2E_ADMIN}" audit --json >"${E2E_WORK}/audit.json" || e2e_fail "audit"
jq -e '[.entries[].action | select(test("release"))] | length == 0' "${E2E_WORK}/audit.json" >/dev/null ||
	e2e_fail "a release is in the audit log: $(jq -c '[.entries[].action]' "${E2E_WORK}/audit.json")"

# The releaser can release to its own group, and that reaches dev1 only.
e2e_cli "${releaser}" release lp_cmdline --group lab >/dev/null || e2e_fail "lab releaser to lab"
e2e_patchd dev1 --once 2>>"${E2E_WORK}/dev1.log" || e2e_fail "dev1 check-in"
e2e_patchctl dev1 status >/dev/null || e2e_fail "dev1 did not apply the releaser's release"
e2e_cli "${E2E_ADMIN}" audit --verify >/dev/null || e2e_fail "audit chain broken"
e2e_log "roles: viewer and out-of-scope releaser refused by the server (403); nothing reached a device"
