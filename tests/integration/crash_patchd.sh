#!/usr/bin/env bash
# (f1) kill -9 of patchd mid-download, and at random moments of a whole
# cycle, loses nothing and leaves no half state: after every kill the state
# files parse, patchctl status answers, nothing is loaded, every cached module
# is complete; the next run converges to the patch applied exactly once.
# "Mid-download" is made certain with a slow path: the man-in-the-middle
# portal (lib/evil_portal.py) sends the 8 MB blob at 1 MB/s and reports its
# progress; patchd is killed at 20%, 50% and 90% of the transfer.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
e2e_init crash_patchd

e2e_pki
e2e_keys
e2e_portal_init
e2e_portal_start
e2e_evil_start
w=${E2E_WORK}
mkdir -p "${w}/big"
e2e_padded_ko "${w}/big/lp_cmdline.ko" $((8 << 20))
e2e_bundle "${w}/big.bundle" --module "${w}/big/lp_cmdline.ko" --target "${E2E_FAKE_RELEASE}" --build-id "${E2E_FAKE_BUILD_ID}"
e2e_cli "${E2E_ADMIN}" patch import "${w}/big.bundle" >/dev/null || e2e_fail "import"
token=$(e2e_cli "${E2E_ADMIN}" token create --group lab)
conf=$(e2e_device dev1 "${token}" "${E2E_FAKE_BUILD_ID}" "${E2E_EVIL_URL}")
dev=${w}/devices/dev1
log=${w}/patchd.log
e2e_patchd dev1 --once 2>>"${log}" || e2e_fail "enroll"
e2e_cli "${E2E_ADMIN}" release lp_cmdline --group lab >/dev/null || e2e_fail "release"

consistent() { # after a kill: nothing half-done is visible
	local what=$1 rc=0 f
	for f in "${dev}"/state/*.json; do
		[[ -f "${f}" ]] || continue
		jq -e . "${f}" >/dev/null 2>&1 || e2e_fail "${what}: ${f} does not parse"
	done
	e2e_patchctl dev1 status --json >"${w}/status.json" 2>>"${log}" || rc=$?
	[[ ${rc} -ne 1 ]] || e2e_fail "${what}: patchctl status failed: $(cat "${w}/status.json")"
	jq -e . "${w}/status.json" >/dev/null || e2e_fail "${what}: status is not JSON"
	e2e_check_cas_dir "${dev}/state/cache" .ko || e2e_fail "${what}: a cached module is incomplete"
	tmp_left=$((tmp_left + E2E_TMP_LEFT))
	return 0
}
tmp_left=0

e2e_evil slow-blob '"rate":1048576'
for pct in 20 50 90; do
	rm -f -- "${E2E_EVIL_CTL}.progress"
	e2e_bg pid "${PATCHD}" --config "${conf}" --once 2>>"${log}"
	at_pct() {
		local sent total
		read -r sent total <"${E2E_EVIL_CTL}.progress" || return 1
		(( sent * 100 >= total * pct ))
	}
	e2e_wait_until 60 at_pct || e2e_fail "the download never reached ${pct}%"
	kill -KILL "${pid}"
	wait "${pid}" 2>/dev/null || true
	e2e_log "killed patchd at $(awk '{printf "%d%%", $1*100/$2}' "${E2E_EVIL_CTL}.progress") of the download"
	consistent "kill at ${pct}%"
	[[ -z "$(ls -A "${dev}/sys/kernel/livepatch")" ]] || e2e_fail "kill at ${pct}%: something was loaded"
	[[ ! -e "${dev}/state/cache/$(jq -r '.patches[0].module_sha256' <(e2e_cli "${E2E_ADMIN}" patch list --json)).ko" ]] ||
		e2e_fail "kill at ${pct}%: the module is in the cache although the download was cut"
done

# Random kills over the whole fast cycle (download, verify, load, commit, report).
e2e_evil pass
for i in 1 2 3 4 5 6; do
	e2e_bg pid "${PATCHD}" --config "${conf}" --once 2>>"${log}"
	sleep "0.$((RANDOM % 3))$((RANDOM % 10))"
	kill -KILL "${pid}" 2>/dev/null || true
	wait "${pid}" 2>/dev/null || true
	consistent "random kill ${i}"
	if [[ -z "$(ls -A "${dev}/sys/kernel/livepatch")" ]]; then
		e2e_log "random kill ${i}: nothing loaded yet ($(jq -r .job "${w}/status.json"))"
	else
		e2e_log "random kill ${i}: loaded, job '$(jq -r .job "${w}/status.json")'"
	fi
done

# The next runs converge.
e2e_patchd dev1 --once 2>>"${log}" || e2e_fail "converging run failed: $(tail -n 5 "${log}")"
e2e_patchd dev1 --once 2>>"${log}" || e2e_fail "second converging run failed"
rc=0; e2e_patchctl dev1 status --json >"${w}/final.json" || rc=$?
[[ ${rc} -eq 0 ]] || e2e_fail "after the kills: status exit ${rc}: $(cat "${w}/final.json")"
jq -e '(.patches | length == 1) and .patches[0].in_effect and ([.history[] | select(.state == "applied")] | length == 1)' \
	"${w}/final.json" >/dev/null || e2e_fail "not applied exactly once: $(cat "${w}/final.json")"
[[ "$(ls "${dev}/sys/module")" == lp_cmdline ]] || e2e_fail "loaded modules: $(ls "${dev}/sys/module")"
consistent final
patched() { e2e_status_is '.patched == 1 and .failed == 0'; }
e2e_wait_until 10 patched || e2e_fail "portal: $(e2e_cli "${E2E_ADMIN}" status --json)"
e2e_log "crash_patchd: 9 kills, state consistent each time, converged (temporaries left over: ${tmp_left})"
