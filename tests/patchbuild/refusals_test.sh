#!/usr/bin/env bash
# `patchbuild build` refuses what a livepatch cannot carry (issue 5, "Must be
# refused with a reason"), on the real Debian target with the examples/bad
# patches: each must exit with its documented status (2 unreconcilable, 3
# nothing to patch), write nothing to OUTDIR, and say in one error line the
# object, the symbol and the reason (and the remedy where there is one).
# Also checks that a change whose only side effect is shifted line numbers is
# not refused (examples/line-shift).
# Usage: refusals_test.sh PATCHBUILD_BINARY [EXAMPLE_NAME...]
set -euo pipefail
pb=$1
shift
# shellcheck source=lib/kernel_test.sh
source "$(dirname "$0")/lib/kernel_test.sh"
failures=0
# Here a failure is counted and the next case runs.
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# name | exit status | strings the error line must contain (';'-separated)
cases=(
  "data-initial-value|2|kernel/exit.patched.o;oops_limit;initial value of existing data;shadow variable or a pre-patch callback"
  "struct-layout|2|kernel/async.patched.o;struct async_entry;layout;shadow variable"
  "init-only|3|fs/proc/cmdline.patched.o;only __init/__exit code changed (proc_cmdline_init)"
  "comment-only|3|the patch changes no function"
  "export-crc|2|fs/fat/dir.patched.o;fat_add_entries;modversions CRC;prototype"
  "noinstr|2|kernel/panic.patched.o;__stack_chk_fail;.noinstr.text;cannot redirect"
  "notrace|2|kernel/extable.patched.o;core_kernel_text;no ftrace call"
)

for entry in "${cases[@]}"; do
  IFS='|' read -r name want_rc needles <<<"$entry"
  if [[ $# -gt 0 && " $* " != *" $name "* ]]; then continue; fi
  out="$work/out-$name"
  set +e
  "$pb" build --target "$release" --patch "$root/examples/bad/$name.patch" --keys "$work/keys" \
    --name lp_refused --cache-dir "$cache" -o "$out" >"$work/$name.out" 2>"$work/$name.err"
  rc=$?
  set -e
  # The CLI reports an error as one line "patchbuild build: <message>".
  errors=$(grep -c "^patchbuild build: " "$work/$name.err" || true)
  line=$(grep "^patchbuild build: " "$work/$name.err" || true)
  if [[ $rc -ne $want_rc ]]; then
    fail "$name: exit $rc, want $want_rc: $(cat "$work/$name.err")"
    continue
  fi
  before=$failures
  [[ $errors -eq 1 ]] || fail "$name: $errors error lines, want one: $(cat "$work/$name.err")"
  IFS=';' read -r -a wants <<<"$needles"
  for want in "${wants[@]}"; do
    [[ $line == *"$want"* ]] || fail "$name: error line lacks '$want': $line"
  done
  if [[ -e $out && -n $(ls -A "$out") ]]; then fail "$name: wrote to OUTDIR: $(ls -A "$out")"; fi
  if [[ $failures -eq $before ]]; then echo "ok $name (exit $rc): $line"; fi
done
# And what must not be refused: a fix whose added lines shift the __LINE__ in
# pr_debug() descriptors below it (examples/line-shift) replaces exactly the
# one function it changes.
if [[ $# -eq 0 || " $* " == *" line-shift "* ]]; then
  if "$pb" build --target "$release" --patch "$root/examples/line-shift/async.patch" --keys "$work/keys" \
    --name lp_line_shift --cache-dir "$cache" -o "$work/out-line-shift" >"$work/shift.out" 2>"$work/shift.err"; then
    replaced=$(grep -c "replaced  " "$work/shift.out" || true)
    grep -q "replaced  vmlinux:async_run_entry_fn " "$work/shift.out" && [[ $replaced -eq 1 ]] ||
      fail "line-shift: want only async_run_entry_fn replaced: $(cat "$work/shift.out")"
    [[ -s "$work/out-line-shift/lp_line_shift.bundle" ]] || fail "line-shift: no bundle written"
    echo "ok line-shift (exit 0): only async_run_entry_fn replaced"
  else
    fail "line-shift: refused: $(cat "$work/shift.err")"
  fi
fi
[[ $failures -eq 0 ]] || { echo "refusals_test: $failures failure(s)" >&2; exit 1; }
echo "refusals_test: ok"
