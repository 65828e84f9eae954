#!/usr/bin/env bash
# A device on a slow link still gets a large patch: patchd downloads a 2 MB
# blob at 64 KB/s (the man-in-the-middle proxy throttles it), ~3x longer than
# its per-request http_timeout (10 s here), and applies it; and the portal
# itself keeps writing a 12 MB blob to a client reading at 200 KB/s, ~60 s,
# longer than its 30 s request timeout. A stalled transfer is still cut
# (patchd: under 1 KB/s for http_timeout seconds).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
e2e_init slow_link

e2e_pki
e2e_keys
e2e_portal_init
e2e_portal_start
e2e_evil_start
w=${E2E_WORK}
mkdir -p "${w}/mid" "${w}/big"
e2e_padded_ko "${w}/mid/lp_cmdline.ko" $((2 << 20))
e2e_padded_ko "${w}/big/lp_cmdline.ko" $((12 << 20))
e2e_bundle "${w}/mid.bundle" --module "${w}/mid/lp_cmdline.ko" --target "${E2E_FAKE_RELEASE}" --build-id "${E2E_FAKE_BUILD_ID}"
e2e_bundle "${w}/big.bundle" --module "${w}/big/lp_cmdline.ko" --target "${E2E_FAKE_RELEASE}" \
	--build-id "${E2E_FAKE_BUILD_ID}" --patch-id lp_big
e2e_cli "${E2E_ADMIN}" patch import "${w}/mid.bundle" >/dev/null || e2e_fail "import mid"
e2e_cli "${E2E_ADMIN}" patch import "${w}/big.bundle" >/dev/null || e2e_fail "import big"

# The portal side: one slow reader of the 12 MB blob.
sha=$(e2e_cli "${E2E_ADMIN}" patch list --json | jq -r '.patches[] | select(.patch_id == "lp_big") | .module_sha256')
e2e_bg reader curl -sS --limit-rate 200K --max-time 200 --cacert "${E2E_CA}" -o "${w}/big.blob" \
	"${E2E_URL}/api/v1/blobs/${sha}" 2>"${w}/reader.err"

# The device side: the 2 MB blob at 64 KB/s.
token=$(e2e_cli "${E2E_ADMIN}" token create --group lab)
E2E_DEVICE_HTTP_TIMEOUT=10 e2e_device dev1 "${token}" "${E2E_FAKE_BUILD_ID}" "${E2E_EVIL_URL}" >/dev/null
e2e_patchd dev1 --once 2>>"${w}/dev1.log" || e2e_fail "enroll"
e2e_cli "${E2E_ADMIN}" release lp_cmdline --group lab >/dev/null || e2e_fail "release"
e2e_evil slow-blob '"rate":65536'
start=${SECONDS}
e2e_patchd dev1 --once 2>>"${w}/dev1.log" || true
took=$((SECONDS - start))
e2e_patchctl dev1 status >/dev/null ||
	e2e_fail "the slow download did not complete and apply (${took} s): $(tail -n 3 "${w}/dev1.log")"
((took > 20)) || e2e_fail "the download took only ${took} s: the link was not slow"
e2e_log "patchd: 2 MB at 64 KB/s downloaded and applied in ${took} s (http_timeout 10 s)"

rc=0
wait "${reader}" || rc=$?
[[ ${rc} -eq 0 ]] || e2e_fail "the portal cut the slow reader: curl exit ${rc}: $(cat "${w}/reader.err")"
[[ "$(sha256sum "${w}/big.blob" | cut -d' ' -f1)" == "${sha}" ]] ||
	e2e_fail "the slow reader got $(stat -c %s "${w}/big.blob") bytes, not the whole blob"
e2e_log "eportal: 12 MB blob written completely to a 200 KB/s reader"
