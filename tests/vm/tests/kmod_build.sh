#!/usr/bin/env bash
# All of kmod/ builds against the target's headers with no compiler
# warning, the livepatch modules are marked as such, and lp_testmod keeps
# the function symbols that tests patch (an optimised-away or cloned
# function, e.g. lp_testmod_static_fn.isra.0, could not be livepatched).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "${here}/../../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../../../scripts/lib/target-kernel.sh
source "${root}/scripts/lib/target-kernel.sh"

fail() {
	printf 'kmod_build: FAIL: %s\n' "$*" >&2
	exit 1
}

kdir=$(lp_target_kdir) || fail "no target kernel (run scripts/install-deps)"
work=${LPVM_WORK_ROOT:-${TMPDIR:-/tmp}/lpvm}/kmod_build
rm -rf -- "${work}"
mkdir -p -- "${work}"
mkdir -p -- "${work}/kmod"
# Sources only, so the build below starts from nothing.
tar -C "${root}/kmod" --exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
	--exclude='.*.cmd' --exclude=modules.order --exclude=Module.symvers -cf - . |
	tar -C "${work}/kmod" -xf -

log=${work}/build.log
make -C "${work}/kmod" KDIR="${kdir}" >"${log}" 2>&1 || {
	cat "${log}" >&2
	fail "make -C kmod KDIR=${kdir} failed"
}
if grep -E 'warning:|error:' "${log}" >&2; then
	fail "compiler warnings (above); full log ${log}"
fi

for ko in examples/lp_cmdline/lp_cmdline.ko examples/lp_testmod_patch/lp_testmod_patch.ko; do
	[[ "$(modinfo -F livepatch "${work}/kmod/${ko}")" == Y ]] || fail "${ko} lacks MODULE_INFO(livepatch, \"Y\")"
done
symbols=$(nm "${work}/kmod/testmod/lp_testmod.ko")
grep -E '^[0-9a-f]+ t lp_testmod_static_fn$' <<<"${symbols}" >/dev/null ||
	fail "lp_testmod.ko has no local symbol lp_testmod_static_fn"
grep -E '^[0-9a-f]+ t lp_testmod_show$' <<<"${symbols}" >/dev/null ||
	fail "lp_testmod.ko has no local symbol lp_testmod_show"
grep -E '^[0-9a-f]+ T lp_testmod_global_fn$' <<<"${symbols}" >/dev/null ||
	fail "lp_testmod.ko has no global symbol lp_testmod_global_fn"
printf 'kmod_build: PASS (%s)\n' "${kdir}"
