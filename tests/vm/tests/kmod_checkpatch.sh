#!/usr/bin/env bash
# kmod/ sources pass the kernel's checkpatch.pl (--no-tree) with no error
# or warning. checkpatch comes from the target's linux-source-6.1 tarball;
# it is unpacked once and cached next to the test's work dir.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "${here}/../../.." && pwd)

fail() {
	printf 'kmod_checkpatch: FAIL: %s\n' "$*" >&2
	exit 1
}

tarball=/usr/src/linux-source-6.1.tar.xz
[[ -r "${tarball}" ]] || fail "${tarball} missing (run scripts/install-deps)"
cache=${LPVM_WORK_ROOT:-${TMPDIR:-/tmp}/lpvm}/checkpatch
script=${cache}/linux-source-6.1/scripts/checkpatch.pl
if [[ ! -x "${script}" || "${tarball}" -nt "${script}" ]]; then
	rm -rf -- "${cache}"
	mkdir -p -- "${cache}"
	tar -xJf "${tarball}" -C "${cache}" linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt linux-source-6.1/scripts/const_structs.checkpatch ||
		fail "cannot unpack checkpatch.pl from ${tarball}"
	touch "${script}"
fi

# Tracked sources only (kbuild leaves generated *.mod.c next to them); a
# tree without git (an unpacked release) is searched instead.
list_sources() {
	cd "${root}" || return 1
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files 'kmod/*.c' 'kmod/*.h'
	else
		find kmod -name '*.[ch]' ! -name '*.mod.c'
	fi
}
mapfile -t files < <(list_sources)
((${#files[@]})) || fail "no kmod sources found"
status=0
for f in "${files[@]}"; do
	"${script}" --no-tree --quiet --show-types -f "${root}/${f}" || status=1
done
((status == 0)) || fail "checkpatch reported problems (above)"
printf 'kmod_checkpatch: PASS (%s files)\n' "${#files[@]}"
