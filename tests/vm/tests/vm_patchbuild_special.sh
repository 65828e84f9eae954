#!/usr/bin/env bash
# Special sections inside a patched function (issue 5 item 3), built by
# `patchbuild build` from examples/special-sections/comm_write.patch: the
# patched comm_write() (/proc/PID/comm) carries its own __ex_table,
# __bug_table, __jump_table + __dyndbg, .altinstructions, .static_call_sites,
# __mcount_loc, .return_sites and ORC entries. The host checks in the signed
# module that each table has entries for the copied function; the guest
# triggers each at run time (see the .guest.sh): the user access needs the
# module's .altinstructions (stac/clac; -cpu max has SMAP, so without them
# the first read is an SMAP oops), its fault is fixed up by the module's
# exception table, the WARN_ON_ONCE is reported
# against fs/proc/base.c and livepatch_comm_write (a missing __bug_table
# entry would be an "invalid opcode" oops), pr_debug switches on through
# /proc/dynamic_debug/control. One WARNING is expected; no oops.
#   PATCHBUILD_BUILD_DIR   CMake build dir holding patchbuild (ctest sets it)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lpvm.sh
source "${here}/../lib/lpvm.sh"

check_transcript() {
	local log=$1
	lpvm_expect "${log}" '^special-before: badwrite /proc/[0-9]+/comm = -14$' &&
		lpvm_expect "${log}" '^special-ddebug: fs/proc/base.c:[0-9]+ \[lp_gen_special\]comm_write =_ "fleetpatch: comm_write first byte' &&
		lpvm_expect "${log}" '^special-ddebug-line: fleetpatch: comm_write first byte 0x68$' &&
		lpvm_expect "${log}" '^special-patched: badwrite /proc/[0-9]+/comm = -14$' &&
		lpvm_expect "${log}" '^special-warn: WARNING: CPU: [0-9]+ PID: [0-9]+ at fs/proc/base.c:[0-9]+ livepatch_comm_write\+0x[0-9a-f]+/0x[0-9a-f]+ \[lp_gen_special\]' &&
		lpvm_expect "${log}" '^special-after: badwrite /proc/[0-9]+/comm = -14$' &&
		lpvm_expect_dmesg "${log}" 'fleetpatch: comm_write: fault reading the new name' &&
		lpvm_expect_klp_cycle "${log}" lp_gen_special &&
		if lpvm_extract_dmesg "${log}" | grep -E 'Oops|BUG:|general protection|invalid opcode|Kernel panic'; then
			lpvm_err "the kernel log shows a crash"
			return 1
		fi
}

# Each table of the module has an entry whose relocation designates the
# copied function (readelf names a section symbol by its section).
check_module() {
	local ko=$1 relocs table
	relocs=$(readelf -rW "${ko}") || lpvm_err "readelf ${ko} failed" || return 1
	for table in __ex_table __bug_table __jump_table .altinstructions .static_call_sites .orc_unwind_ip \
		__mcount_loc .return_sites; do
		awk -v sec="'.rela${table}'" '/^Relocation section/ { on = ($3 == sec) } on' <<<"${relocs}" |
			grep -q ' \.text\.livepatch_comm_write + ' ||
			lpvm_err "${table} of ${ko} has no entry for livepatch_comm_write" || return 1
	done
	# The static call key is vmlinux's (not exported): a klp relocation.
	awk '/^Relocation section/ { on = ($3 == "'"'"'.klp.rela.vmlinux..static_call_sites'"'"'") } on' <<<"${relocs}" |
		grep -q '\.klp\.sym\.vmlinux\.__SCK__cond_resched,0' ||
		lpvm_err "no klp relocation to __SCK__cond_resched in .static_call_sites" || return 1
	local sections
	sections=$(readelf -SW "${ko}") || lpvm_err "readelf ${ko} failed" || return 1
	grep -q ' __dyndbg ' <<<"${sections}" || lpvm_err "no __dyndbg in ${ko}" || return 1
}

main() {
	lpvm_init vm_patchbuild_special
	local ko=${LPVM_WORK}/lp_gen_special.ko probe=${LPVM_WORK}/lp_probe
	gcc -static -O2 -o "${probe}" "${here}/lp_probe.c" || lpvm_err "building lp_probe failed" || return 1
	lpvm_patchbuild lp_gen_special "${ko}" \
		--patch "${LPVM_SRC_ROOT}/examples/special-sections/comm_write.patch"
	# comm_write and nothing else: the functions below it moved, but that
	# is no change.
	[[ "$(grep -c '^  replaced  ' "${LPVM_PB_LOG}")" == 1 ]] &&
		grep -q '^  replaced  vmlinux:comm_write ' "${LPVM_PB_LOG}" ||
		lpvm_err "build summary does not name comm_write alone: $(cat "${LPVM_PB_LOG}")" || return 1
	check_module "${ko}"
	lpvm_run_guest "${here}/vm_patchbuild_special.guest.sh" --file "${ko}" /lpvm/lp_gen_special.ko \
		--file "${probe}" /lpvm/lp_probe --allow-splat -- check_transcript
}

main "$@"
