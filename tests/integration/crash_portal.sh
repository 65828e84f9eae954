#!/usr/bin/env bash
# (f2) kill -9 of eportal in the middle of imports of a 24 MB bundle (a new
# version each time): twice while the upload is still arriving (curl with
# --limit-rate), four times at 20/45/70/90% of the time a whole import takes
# here (measured first with an import that is not killed), i.e. mostly while
# the portal verifies and stores it. Each time: an import the client saw
# succeed is never lost, one that was cut leaves no trace (no partial blob, no
# catalogue entry without its blob), the audit chain still verifies; at the
# end the portal on the same data serves a device that applies the newest.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
e2e_init crash_portal

e2e_pki
e2e_keys
e2e_portal_init
port=$(e2e_free_port)
w=${E2E_WORK}
mkdir -p "${w}/big"
# Versions of one stream (lp_cmdline), each with a module name of its own as
# cumulative replacements must have (the portal refuses a clash at import).
for v in 1 2 3 4 5 6 9; do
	e2e_padded_ko "${w}/big/lp_cmdline_v${v}.ko" $((24 << 20)) "lp_cmdline_v${v}"
	e2e_bundle "${w}/big-v${v}.bundle" --module "${w}/big/lp_cmdline_v${v}.ko" --patch-id lp_cmdline \
		--target "${E2E_FAKE_RELEASE}" --build-id "${E2E_FAKE_BUILD_ID}" --version "${v}"
	rm -f -- "${w}/big/lp_cmdline_v${v}.ko"
done

check_data() { # what: the data dir after a kill
	e2e_check_cas_dir "${E2E_DATA}/blobs" || e2e_fail "$1: a blob is incomplete"
	tmp_left=$((tmp_left + E2E_TMP_LEFT))
	e2e_portal_start "${port}"
	e2e_cli "${E2E_ADMIN}" patch list --json >"${w}/list.json" || e2e_fail "$1: patch list"
	local sha
	for sha in $(jq -r '.patches[].module_sha256' "${w}/list.json"); do
		curl -fsS --max-time 20 --cacert "${E2E_CA}" "${E2E_URL}/api/v1/blobs/${sha}" -o "${w}/blob" ||
			e2e_fail "$1: listed patch without its blob ${sha}"
		[[ "$(sha256sum "${w}/blob" | cut -d' ' -f1)" == "${sha}" ]] || e2e_fail "$1: blob ${sha} is damaged"
	done
	e2e_cli "${E2E_ADMIN}" audit --verify >/dev/null || e2e_fail "$1: audit chain broken"
}

tmp_left=0
done_versions=()
cut=0
e2e_portal_start "${port}"
t0=$(date +%s%N)
e2e_cli "${E2E_ADMIN}" patch import "${w}/big-v9.bundle" >/dev/null || e2e_fail "calibration import"
import_ms=$((($(date +%s%N) - t0) / 1000000))
e2e_log "one 24 MB import takes ${import_ms} ms here"
done_versions+=(9)

kill_during() { # VERSION DELAY_MS CMD...: run CMD (an import), kill -9 the portal DELAY_MS in
	local v=$1 delay=$2 rc=0
	shift 2
	e2e_bg imp "$@" >"${w}/import-v${v}.out" 2>&1
	sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
	e2e_portal_stop KILL
	wait "${imp}" || rc=$?
	if [[ ${rc} -eq 0 ]]; then
		done_versions+=("${v}")
		e2e_log "v${v}: killed the portal ${delay} ms in; the import had completed"
	else
		cut=$((cut + 1))
		e2e_log "v${v}: killed the portal ${delay} ms in, mid-import ($(tail -n 1 "${w}/import-v${v}.out"))"
	fi
	check_data "kill during v${v}"
	for d in "${done_versions[@]}"; do
		jq -e --argjson v "${d}" '[.patches[] | select(.version == $v)] | length == 1' "${w}/list.json" >/dev/null ||
			e2e_fail "v${d} was reported imported but is gone after kill -9: $(jq -c '[.patches[].version]' "${w}/list.json")"
	done
}

pct=(0 20 45 70 90)
for v in 1 2 3 4; do
	kill_during "${v}" $((import_ms * pct[v] / 100)) \
		"${EPORTAL}" --server "${E2E_URL}" --token "${E2E_ADMIN}" --cacert "${E2E_CA}" \
		patch import "${w}/big-v${v}.bundle"
done
for v in 5 6; do # 24 MB at 16 MB/s: the portal dies while the body is arriving
	kill_during "${v}" $((300 + RANDOM % 1000)) curl -fsS --limit-rate 16M --max-time 60 --cacert "${E2E_CA}" \
		-H "Authorization: Bearer ${E2E_ADMIN}" -H 'Content-Type: application/octet-stream' \
		--data-binary "@${w}/big-v${v}.bundle" "${E2E_URL}/api/v1/admin/patches"
done

# Whatever was cut is imported again; the newest reaches a device.
for v in 1 2 3 4 5 6; do
	e2e_cli "${E2E_ADMIN}" patch import "${w}/big-v${v}.bundle" >/dev/null || e2e_fail "re-import v${v}"
done
e2e_cli "${E2E_ADMIN}" patch list --json >"${w}/list.json"
jq -e '[.patches[].version] | sort == [1,2,3,4,5,6,9]' "${w}/list.json" >/dev/null ||
	e2e_fail "catalogue after re-import: $(jq -c '[.patches[].version]' "${w}/list.json")"
e2e_cli "${E2E_ADMIN}" release lp_cmdline:9 --group lab >/dev/null || e2e_fail "release v9"
token=$(e2e_cli "${E2E_ADMIN}" token create --group lab)
e2e_device dev1 "${token}" >/dev/null
e2e_patchd dev1 --once 2>>"${w}/dev1.log" || e2e_fail "device check-in: $(tail -n 3 "${w}/dev1.log")"
e2e_patchctl dev1 status --json >"${w}/dev1-status.json" || e2e_fail "device did not apply: $(cat "${w}/dev1-status.json")"
jq -e '.patches[0].version == 9 and .patches[0].in_effect' "${w}/dev1-status.json" >/dev/null || e2e_fail "device status"
e2e_log "crash_portal: ${cut} imports cut by kill -9, ${#done_versions[@]} completed before it; nothing lost, no partial blob (temporaries left: ${tmp_left})"
