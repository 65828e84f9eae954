#!/usr/bin/env bash
# `patchbuild build` end to end on the real Debian target: a source fix becomes
# a verified bundle naming the replaced function; a patch that does not apply
# fails with a clear line and leaves nothing in OUTDIR.
# Usage: build_cli_test.sh PATCHBUILD_BINARY
set -euo pipefail
pb=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../scripts/lib/target-kernel.sh
source "$root/scripts/lib/target-kernel.sh"
release=$(lp_target_release)
cache=${FLEETPATCH_TEST_CACHE:-/var/tmp/fleetpatch-test-cache}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$pb" keys init "$work/keys" >/dev/null
"$pb" build --target "$release" --patch "$root/examples/cmdline/cmdline.patch" --keys "$work/keys" \
  --name lp_cmdline_fix --cve CVE-2024-0001 --cache-dir "$cache" -o "$work/out" >"$work/build.log" 2>&1 ||
  { cat "$work/build.log"; fail "build of examples/cmdline failed"; }
grep -q "replaced  vmlinux:cmdline_proc_show" "$work/build.log" || { cat "$work/build.log"; fail "summary lacks the replaced function"; }
"$pb" inspect "$work/out/lp_cmdline_fix.bundle" --root "$work/keys/root.pub" --json >"$work/manifest.json" ||
  fail "inspect refused the built bundle"
grep -q '"name":"cmdline_proc_show"' "$work/manifest.json" || fail "manifest lacks cmdline_proc_show: $(cat "$work/manifest.json")"
grep -q "\"release\":\"$release\"" "$work/manifest.json" || fail "manifest targets another release"

set +e
"$pb" build --target "$release" --patch "$root/examples/bad/does-not-apply.patch" --keys "$work/keys" \
  --name lp_bad --cache-dir "$cache" -o "$work/bad" >"$work/bad.log" 2>&1
rc=$?
set -e
[[ $rc -ne 0 ]] || fail "a patch that does not apply was accepted"
grep -q "fs/proc/cmdline.c" "$work/bad.log" || fail "error does not name the file: $(cat "$work/bad.log")"
[[ ! -e "$work/bad/lp_bad.bundle" ]] || fail "a failed build left a bundle behind"
echo "build_cli_test: ok"
