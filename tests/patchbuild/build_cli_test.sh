#!/usr/bin/env bash
# `patchbuild build` end to end on the real Debian target: a source fix becomes
# a verified bundle; --json reports the replaced function with its file:line,
# the proof against the shipped kernel and every stage's time; the human
# summary says the same for a patch with a new function; patches that cannot
# be built fail with one clear line and leave nothing in OUTDIR.
# Usage: build_cli_test.sh PATCHBUILD_BINARY
set -euo pipefail
pb=$1
# shellcheck source=lib/kernel_test.sh
source "$(dirname "$0")/lib/kernel_test.sh"

# --json: one object with the facts (schema: patchbuild/README.md).
build --patch "$root/examples/cmdline/cmdline.patch" --name lp_cmdline_fix --cve CVE-2024-0001 \
  -o "$work/out" --json >"$work/build.json" 2>"$work/build.err" ||
  { cat "$work/build.json" "$work/build.err"; fail "build of examples/cmdline failed"; }
jq -e --arg r "$release" --arg b "$work/out/lp_cmdline_fix.bundle" '
  .bundle == $b and .patch_id == "lp_cmdline_fix" and .version == 1 and .release == $r
  and (.build_id | test("^[0-9a-f]{40}$"))
  and ([.stages[].name] == ["prepare","compile","symbols","generate","proof","module","sign"])
  and all(.stages[]; .seconds >= 0) and .total_seconds >= (.stages | map(.seconds) | add) - 0.5
  and .objects[0].object == "vmlinux"
  and .objects[0].changed == [{"name":"cmdline_proc_show","sympos":0,"file":"fs/proc/cmdline.c","line":7}]
  and .objects[0].new == [] and .objects[0].refused == []
  and .proof.functions == 1 and .proof.instructions > 5' "$work/build.json" >/dev/null ||
  fail "unexpected --json report: $(cat "$work/build.json")"
"$pb" inspect "$work/out/lp_cmdline_fix.bundle" --root "$work/keys/root.pub" --json >"$work/manifest.json" ||
  fail "inspect refused the built bundle"
grep -q '"name":"cmdline_proc_show"' "$work/manifest.json" || fail "manifest lacks cmdline_proc_show: $(cat "$work/manifest.json")"
grep -q "\"release\":\"$release\"" "$work/manifest.json" || fail "manifest targets another release"

# The human summary: replaced and new functions with file:line, proof, stages.
build --patch "$root/examples/new-function/version.patch" --name lp_newfn -o "$work/out" >"$work/human.log" 2>&1 ||
  { cat "$work/human.log"; fail "build of examples/new-function failed"; }
for want in "wrote $work/out/lp_newfn.bundle: lp_newfn version 1 for $release" \
  "replaced  vmlinux:version_proc_show (sympos 0)  fs/proc/version.c:" \
  "new       vmlinux:lp_append_tag  fs/proc/version.c:" \
  "proof: 1 functions, " "instructions match the shipped kernel" "stages: prepare "; do
  grep -qF "$want" "$work/human.log" || fail "summary lacks '$want': $(cat "$work/human.log")"
done

# Refusals: exit non-zero, one line naming what and where, nothing in OUTDIR,
# and with --json the same message as {"error": ...}.
# Exit status: 1 for bad input, 3 when there is nothing to patch (cli.hpp).
refused() {
  local name=$1 want_rc=$2 needle=$3
  shift 3
  local rc=0
  build --name lp_bad -o "$work/bad-$name" "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  [[ $rc -eq $want_rc ]] || fail "$name: exit $rc, want $want_rc: $(cat "$work/$name.err")"
  [[ $(wc -l <"$work/$name.err") -eq 1 ]] || fail "$name: not one line: $(cat "$work/$name.err")"
  grep -qF "$needle" "$work/$name.err" || fail "$name: error does not name '$needle': $(cat "$work/$name.err")"
  [[ ! -e "$work/bad-$name" ]] || fail "$name: left $(ls -A "$work/bad-$name") in OUTDIR"
  rc=0
  build --name lp_bad -o "$work/bad-$name" --json "$@" >"$work/$name.json" 2>/dev/null || rc=$?
  [[ $rc -ne 0 ]] || fail "$name: accepted with --json"
  jq -e --arg n "$needle" '(keys == ["error"]) and (.error | contains($n))' "$work/$name.json" >/dev/null ||
    fail "$name: --json error is not {\"error\": ...}: $(cat "$work/$name.json")"
  [[ ! -e "$work/bad-$name" ]] || fail "$name: --json left something in OUTDIR"
}
refused does-not-apply 1 "fs/proc/cmdline.c" --patch "$root/examples/bad/does-not-apply.patch"
refused missing-file 1 "fs/proc/no_such_file.c" --patch "$root/examples/bad/missing-file.patch"
refused malformed 1 "malformed.patch" --patch "$root/examples/bad/malformed.patch"
printf 'ffffffff81000000 T not_this_kernel\n' >"$work/other.kallsyms"
refused other-dump 1 "a dump of another kernel build" --patch "$root/examples/cmdline/cmdline.patch" \
  --kallsyms "$work/other.kallsyms"
refused comment-only 3 "nothing to patch" --patch "$root/examples/bad/comment-only.patch"
echo "build_cli_test: ok"
