#!/usr/bin/env bash
# Proof against the shipped kernel (issue 5): `patchbuild build` against a
# deliberately different config must be refused before anything is signed,
# naming the first differing instruction (vmlinux) or byte (a module), and
# leave nothing in OUTDIR. The different config is the target's own with the
# frame-pointer unwinder instead of ORC (every function gains push rbp / mov
# rbp,rsp); patchbuild prepares it as its own tree in the cache (the cache
# key covers the config), next to and apart from the real target's tree.
# Usage: build_proof_test.sh PATCHBUILD_BINARY
set -euo pipefail
pb=$1
# shellcheck source=lib/kernel_test.sh
source "$(dirname "$0")/lib/kernel_test.sh"
headers=/usr/src/linux-headers-$release
[[ -f $headers/.config ]] || headers=/lib/modules/$release/build

# The target's config with the frame-pointer unwinder, plus exactly what
# olddefconfig derives from that (so the tree's config check accepts it).
sed -e 's/^CONFIG_UNWINDER_ORC=y/# CONFIG_UNWINDER_ORC is not set/' \
  -e 's/^# CONFIG_UNWINDER_FRAME_POINTER is not set/CONFIG_UNWINDER_FRAME_POINTER=y/' \
  -e '/^CONFIG_HAVE_RELIABLE_STACKTRACE=y/d' "$headers/.config" >"$work/config-fp"
printf 'CONFIG_ARCH_WANT_FRAME_POINTERS=y\nCONFIG_FRAME_POINTER=y\n# CONFIG_STACK_VALIDATION is not set\n' \
  >>"$work/config-fp"
! cmp -s "$headers/.config" "$work/config-fp" || fail "the config did not change"

refused() {
  local name=$1 patch=$2
  shift 2
  local rc=0
  "$pb" build --target "$release" --keys "$work/keys" --cache-dir "$cache" --config "$work/config-fp" \
    --patch "$patch" --name lp_proof -o "$work/out-$name" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  [[ $rc -ne 0 ]] || fail "$name: a build from another config was signed: $(cat "$work/$name.out")"
  [[ $(wc -l <"$work/$name.err") -eq 1 ]] || fail "$name: not one line: $(cat "$work/$name.err")"
  grep -qF "does not match the shipped kernel" "$work/$name.err" || fail "$name: $(cat "$work/$name.err")"
  for want in "$@"; do
    grep -qF -- "$want" "$work/$name.err" || fail "$name: error lacks '$want': $(cat "$work/$name.err")"
  done
  [[ ! -e "$work/out-$name" ]] || fail "$name: left $(ls -A "$work/out-$name") in OUTDIR"
  echo "$name refused: $(cat "$work/$name.err")"
}
refused vmlinux "$root/examples/cmdline/cmdline.patch" "cmdline_proc_show+0x" "push rbp"
refused module "$root/examples/module-nls/nls_utf8.patch" "uni2char+0x" "nls_utf8.ko"
echo "build_proof_test: ok"
