# Shared preamble of the tests/patchbuild/*_test.sh kernel tests (sourced).
# Needs: pb (the patchbuild binary). Sets: root, release (the installed target),
# cache ($FLEETPATCH_TEST_CACHE: the tree cache the kernel tests share), work (a
# scratch dir removed on exit, holding keys/ from `patchbuild keys init`).
# Defines: fail MSG (exit 1), build ARGS... (`patchbuild build` for the target
# with those keys and that cache).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
# shellcheck source=../../../scripts/lib/target-kernel.sh
source "$root/scripts/lib/target-kernel.sh"
release=$(lp_target_release)
cache=${FLEETPATCH_TEST_CACHE:-/var/tmp/fleetpatch-test-cache}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
build() { "$pb" build --target "$release" --keys "$work/keys" --cache-dir "$cache" "$@"; }
"$pb" keys init "$work/keys" >/dev/null
