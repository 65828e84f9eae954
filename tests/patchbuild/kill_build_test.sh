#!/usr/bin/env bash
# A `patchbuild build` killed with SIGKILL (the whole process group, as a CI
# timeout or a closed terminal does) while the patch is applied to the cached
# tree: the next build must repair the tree, and its original side must be the
# pristine object again, whether the original make was skipped (stamps,
# patchbuild/build/original_stamp.hpp) or not. Then a patched object is left
# in the tree behind the stamps' back (what an orphaned compile would write):
# the next build must not take it for the original.
# Usage: kill_build_test.sh PATCHBUILD_BINARY
set -euo pipefail
pb=$1
# shellcheck source=lib/kernel_test.sh
source "$(dirname "$0")/lib/kernel_test.sh"
patch=$root/examples/cmdline/cmdline.patch

# The expected report of every build here: exactly the one changed function.
check_build() {
  local json=$1 what=$2
  jq -e '.objects | length == 1 and .[0].changed == [{"name":"cmdline_proc_show","sympos":0,"file":"fs/proc/cmdline.c","line":7}] and .[0].new == []' \
    "$json" >/dev/null || fail "$what: unexpected report: $(cat "$json")"
}

build --patch "$patch" --name lp_kill -o "$work/warm" --json >"$work/warm.json" 2>"$work/warm.err" ||
  fail "warm-up build failed: $(cat "$work/warm.err")"
check_build "$work/warm.json" "warm-up"
# The cache may hold other trees of this release (another config): the
# object of each, before; the build's tree is the one it journals in.
declare -A pristine_of
for t in "$cache/$release"-*; do
  [[ -f $t/linux/fs/proc/cmdline.o ]] && pristine_of[$t]=$(sha256sum <"$t/linux/fs/proc/cmdline.o")
done

# Kill the build while the overlay is applied (journal present): by then the
# tree's source is patched and the unit's object removed or being rebuilt.
setsid "$pb" build --target "$release" --keys "$work/keys" --cache-dir "$cache" --patch "$patch" \
  --name lp_kill -o "$work/killed" >"$work/killed.out" 2>&1 &
victim=$!
tree=
for _ in $(seq 1 3000); do
  for journal in "$cache/$release"-*/overlay/journal; do
    [[ -e $journal ]] && tree=${journal%/overlay/journal}
  done
  [[ -n $tree ]] && break
  kill -0 "$victim" 2>/dev/null || break
  sleep 0.01
done
[[ -n $tree ]] || fail "the build ended before its patch was applied: $(cat "$work/killed.out")"
[[ -n ${pristine_of[$tree]:-} ]] || fail "$tree had no fs/proc/cmdline.o after the warm-up build"
pristine=${pristine_of[$tree]}
object=$tree/linux/fs/proc/cmdline.o
sleep 0.3  # into the patched make
kill -KILL -- -"$victim"
wait "$victim" 2>/dev/null || true
[[ -e $tree/overlay/journal ]] || fail "killed too late: the overlay was already restored"
[[ ! -e $work/killed ]] || fail "a killed build left an output dir"

build --patch "$patch" --name lp_kill -o "$work/after" --json >"$work/after.json" 2>"$work/after.err" ||
  fail "the build after the kill failed: $(cat "$work/after.err")"
check_build "$work/after.json" "after the kill"
[[ ! -e $tree/overlay/journal ]] || fail "the journal is still there after a good build"
grep -q fleetpatch "$tree/linux/fs/proc/cmdline.c" && fail "the patched source is still in the tree"
[[ $(sha256sum <"$object") == "$pristine" ]] || fail "the tree's object is not the pristine original"

# A patched object in place of the original, newer than its source: make
# would call it up to date; the stamp says it is not the original.
patched_object=$(mktemp -p "$work")
(
  cd "$tree/linux"
  cp fs/proc/cmdline.c "$work/cmdline.c.orig"
  patch -s -p1 <"$patch"
  gcc_line=$(sed -n 's/^cmd_fs\/proc\/cmdline.o := //p' fs/proc/.cmdline.o.cmd)
  # The object from the patched source with the tree's own recorded command.
  bash -c "$gcc_line" >/dev/null 2>&1 || true
  cp fs/proc/cmdline.o "$patched_object"
  cp -p "$work/cmdline.c.orig" fs/proc/cmdline.c
)
[[ $(sha256sum <"$object") != "$pristine" ]] || fail "could not plant a patched object"
build --patch "$patch" --name lp_kill -o "$work/planted" --json >"$work/planted.json" 2>"$work/planted.err" ||
  fail "the build over a planted patched object failed: $(cat "$work/planted.err")"
check_build "$work/planted.json" "over a planted patched object"
[[ $(sha256sum <"$object") == "$pristine" ]] || fail "the planted object is still in the tree"
echo "PASS: killed mid-build, then a planted object: each next build was right"
