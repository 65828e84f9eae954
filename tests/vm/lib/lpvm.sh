# shellcheck shell=bash
#
# lpvm: boot the Debian target kernel in qemu (TCG) with a busybox initramfs
# and run one guest script in it. Host side of the VM test rig.
#
# Source it from bash with `set -euo pipefail`; tests/vm/README.md has the
# whole API with an example. In short:
#
#   lpvm_init NAME                      target + tools + work dir $LPVM_WORK
#   lpvm_build_kmod SUBDIR...           kbuild kmod/SUBDIR against the target
#   lpvm_initramfs_new STAGE            busybox, /init, drivers for net/disk
#   lpvm_add_file STAGE SRC DEST [MODE] one file at DEST inside the guest
#   lpvm_add_tree STAGE SRCDIR DEST     a directory tree
#   lpvm_add_program STAGE SRC DEST     a program plus its shared libraries
#   lpvm_add_kmod STAGE [--load] NAME.. target kernel modules with their deps
#   lpvm_set_guest_script STAGE SCRIPT  what the guest runs (busybox sh)
#   lpvm_initramfs_pack STAGE OUT       newc cpio archive
#   lpvm_boot [opts] INITRD LOG         boot, wait, return the guest's status
#   lpvm_disk_create IMG MB [SRCDIR]    ext4 image for state kept over boots
#   lpvm_disk_extract IMG DESTDIR       copy an image's files back out
#   lpvm_patchbuild NAME KO_OUT [opts]  `patchbuild build` a bundle, verify it,
#                                       extract its signed module to KO_OUT
#   lpvm_run_guest SCRIPT [--file SRC DEST].. [--kmod NAME].. [run opts] [-- CHECK..]
#                                       stage + pack + lpvm_run in one call
#   lpvm_expect_klp_cycle LOG PATCH     kernel log shows PATCH enabled,
#                                       patched and unpatched
#   lpvm_expect_built KIND OBJ:FUNC     the last lpvm_patchbuild summary lists
#                                       FUNC of OBJ as KIND (replaced, new)
#
# Every function returns non-zero with a message on stderr rather than
# exiting, so a test can still print its artifacts before it fails.

LPVM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LPVM_SRC_ROOT=$(cd "${LPVM_DIR}/../.." && pwd)

# shellcheck source-path=SCRIPTDIR source=../../../scripts/lib/target-kernel.sh
source "${LPVM_SRC_ROOT}/scripts/lib/target-kernel.sh"

# Drivers every initramfs carries, so any test can ask lpvm_boot for a
# network or a disk without rebuilding: e1000 needs no other module, and the
# disk is virtio-blk with ext4 (crc32c for ext4's metadata checksums; the
# kernel asks for it by alias at mount time, which busybox cannot resolve).
LPVM_NET_KMODS=(e1000)
LPVM_DISK_KMODS=(virtio_pci virtio_blk crc32c_generic ext4)

LPVM_DEFAULT_TIMEOUT=300
LPVM_QEMU=${LPVM_QEMU:-qemu-system-x86_64}

lpvm_log() {
	printf 'lpvm: %s\n' "$*" >&2
}

lpvm_err() {
	printf 'lpvm: error: %s\n' "$*" >&2
	return 1
}

lpvm_require_cmd() {
	local cmd
	for cmd in "$@"; do
		command -v "${cmd}" >/dev/null 2>&1 ||
			lpvm_err "'${cmd}' not found; run scripts/install-deps (Debian packages qemu-system-x86, busybox-static, cpio, e2fsprogs, kmod)" ||
			return 1
	done
}

# Resolve the target kernel, check the host tools and make a clean work
# directory for this test: $LPVM_WORK_ROOT/NAME (artifacts stay there).
lpvm_init() {
	local name=${1:-}
	[[ "${name}" =~ ^[A-Za-z0-9_.-]+$ ]] || lpvm_err "lpvm_init: bad test name '${name}'" || return 1
	lpvm_require_cmd "${LPVM_QEMU}" busybox cpio timeout make mke2fs debugfs ldd || return 1
	if ! LPVM_RELEASE=$(lp_target_release); then
		lpvm_err "no Debian 6.1 target kernel installed; run scripts/install-deps"
		return 1
	fi
	lp_target_check || return 1
	LPVM_VMLINUZ=/boot/vmlinuz-${LPVM_RELEASE}
	LPVM_MODDIR=/lib/modules/${LPVM_RELEASE}
	LPVM_KDIR=${LPVM_MODDIR}/build
	LPVM_BUSYBOX=$(command -v busybox)
	if ! lpvm_is_static "${LPVM_BUSYBOX}"; then
		lpvm_err "${LPVM_BUSYBOX} is dynamically linked; install busybox-static"
		return 1
	fi
	LPVM_WORK=${LPVM_WORK_ROOT:-${TMPDIR:-/tmp}/lpvm}/${name}
	rm -rf -- "${LPVM_WORK}"
	mkdir -p -- "${LPVM_WORK}"
	export LPVM_RELEASE LPVM_VMLINUZ LPVM_MODDIR LPVM_KDIR LPVM_WORK
	lpvm_log "target ${LPVM_RELEASE}, work dir ${LPVM_WORK}"
}

# True when ldd has nothing to copy for the program.
lpvm_is_static() {
	! ldd "$1" >/dev/null 2>&1
}

# Build kmod/SUBDIR... against the target's headers, in a copy of kmod/
# under the work dir: kbuild writes objects next to the sources, and the
# source tree must stay clean for parallel test runs. Modules end up in
# $LPVM_WORK/kmod/SUBDIR/*.ko.
lpvm_build_kmod() {
	local out=${LPVM_WORK}/kmod subdir
	rm -rf -- "${out}"
	mkdir -p -- "${out}"
	# Sources only: objects from an in-tree build against another kernel
	# must not leak into this one.
	tar -C "${LPVM_SRC_ROOT}/kmod" --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude='.*.cmd' --exclude=modules.order \
		--exclude=Module.symvers -cf - . | tar -C "${out}" -xf -
	for subdir in "$@"; do
		make -s -C "${LPVM_KDIR}" M="${out}/${subdir}" modules >"${LPVM_WORK}/kbuild.log" 2>&1 || {
			cat "${LPVM_WORK}/kbuild.log" >&2
			lpvm_err "kbuild of kmod/${subdir} against ${LPVM_KDIR} failed"
			return 1
		}
	done
}

# A staging tree with busybox and its applets, the init script, the guest
# helper library, and the net/disk drivers (not loaded unless asked for).
lpvm_initramfs_new() {
	local stage=$1 applet dir
	rm -rf -- "${stage}"
	for dir in bin sbin usr/bin usr/sbin lib lib64 etc/lpvm proc sys dev tmp run \
		root var/lib lpvm mnt; do
		mkdir -p -- "${stage}/${dir}"
	done
	cp -- "${LPVM_BUSYBOX}" "${stage}/bin/busybox"
	# Links instead of `busybox --install` at boot: the guest is slow (TCG).
	while read -r applet; do
		[[ "${applet}" == bin/busybox ]] && continue
		ln -sf /bin/busybox "${stage}/${applet}"
	done < <("${LPVM_BUSYBOX}" --list-full)
	install -m 0755 "${LPVM_DIR}/guest/init" "${stage}/init"
	install -m 0644 "${LPVM_DIR}/guest/lpvm-guest.sh" "${stage}/lpvm/lpvm-guest.sh"
	printf '%s\n' "${LPVM_RELEASE}" >"${stage}/etc/lpvm/release"
	printf '127.0.0.1 localhost\n10.0.2.2 lpvm-host\n10.0.2.15 lpvm\n' >"${stage}/etc/hosts"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"${stage}/etc/passwd"
	printf 'root:x:0:\n' >"${stage}/etc/group"
	# A device identity for programs that read one (fixed per initramfs).
	tr -d '-' </proc/sys/kernel/random/uuid >"${stage}/etc/machine-id"
	lpvm_add_kmod "${stage}" "${LPVM_NET_KMODS[@]}" "${LPVM_DISK_KMODS[@]}"
}

# Copy one file to DEST (an absolute path inside the guest).
lpvm_add_file() {
	local stage=$1 src=$2 dest=$3 mode=${4:-}
	[[ -f "${src}" ]] || lpvm_err "lpvm_add_file: ${src} is not a file" || return 1
	[[ "${dest}" == /* ]] || lpvm_err "lpvm_add_file: ${dest} is not absolute" || return 1
	mkdir -p -- "${stage}$(dirname "${dest}")"
	cp -L -- "${src}" "${stage}${dest}"
	if [[ -n "${mode}" ]]; then
		chmod "${mode}" "${stage}${dest}"
	fi
}

# Copy a directory's contents to DEST inside the guest.
lpvm_add_tree() {
	local stage=$1 src=$2 dest=$3
	[[ -d "${src}" ]] || lpvm_err "lpvm_add_tree: ${src} is not a directory" || return 1
	mkdir -p -- "${stage}${dest}"
	cp -a -- "${src}/." "${stage}${dest}/"
}

# The shared libraries and loader a dynamic program needs, one path a line.
lpvm_program_libs() {
	ldd "$1" 2>/dev/null | awk '
		$2 == "=>" && $3 ~ /^\// { print $3; next }
		$1 ~ /^\// { print $1 }'
}

# A program at DEST plus, when dynamically linked, its libraries and the
# dynamic loader at the paths ldd names (the guest has no ld.so.cache, so
# the paths the host resolved are the ones the loader must find).
lpvm_add_program() {
	local stage=$1 src=$2 dest=$3 lib
	lpvm_add_file "${stage}" "${src}" "${dest}" 0755 || return 1
	if ldd "${src}" 2>&1 | grep "not found" >/dev/null; then
		lpvm_err "lpvm_add_program: ${src} has unresolved libraries"
		return 1
	fi
	while read -r lib; do
		[[ -e "${stage}${lib}" ]] || lpvm_add_file "${stage}" "${lib}" "${lib}" || return 1
	done < <(lpvm_program_libs "${src}")
}

# modules.dep path (relative to $LPVM_MODDIR) of a module name; empty when
# the module is built into the kernel.
lpvm_kmod_path() {
	local name=${1//-/_} path
	if grep -qE "/${name}\.ko(\.[a-z]+)?\$" <(tr '-' '_' <"${LPVM_MODDIR}/modules.builtin"); then
		return 0
	fi
	path=$(awk -F: -v n="${name}" '{
			base = $1; sub(/.*\//, "", base); sub(/\.ko(\.[a-z]+)?$/, "", base)
			gsub(/-/, "_", base)
			if (base == n) { print $1; exit }
		}' "${LPVM_MODDIR}/modules.dep")
	[[ -n "${path}" ]] || lpvm_err "module ${1} is not in ${LPVM_MODDIR}/modules.dep" || return 1
	printf '%s\n' "${path}"
}

# Direct dependencies of a module path, as modules.dep lists them.
lpvm_kmod_deps() {
	awk -F': *' -v p="$1" '$1 == p { print $2; exit }' "${LPVM_MODDIR}/modules.dep" | tr ' ' '\n' | sed '/^$/d'
}

# Append PATH and (first) its dependencies to the array named by $2, each
# once, in an order insmod can load them. modules.dep already lists the
# whole closure, but recursing keeps the order right without relying on
# how depmod sorted it.
lpvm_kmod_closure() {
	local path=$1 dep
	local -n order_ref=$2
	local p
	for p in "${order_ref[@]}"; do
		[[ "${p}" == "${path}" ]] && return 0
	done
	while read -r dep; do
		lpvm_kmod_closure "${dep}" "$2"
	done < <(lpvm_kmod_deps "${path}")
	order_ref+=("${path}")
}

# Copy one target module into the stage, decompressed (busybox insmod only
# takes plain ELF).
lpvm_stage_kmod_file() {
	local stage=$1 rel=$2 src dest
	src=${LPVM_MODDIR}/${rel}
	dest=${stage}/lib/modules/${LPVM_RELEASE}/${rel%.xz}
	dest=${dest%.zst}
	dest=${dest%.gz}
	[[ -e "${dest}" ]] && return 0
	mkdir -p -- "$(dirname "${dest}")"
	case "${src}" in
	*.ko.xz) xz -dc -- "${src}" >"${dest}" ;;
	*.ko.zst) zstd -qdc -- "${src}" >"${dest}" ;;
	*.ko.gz) gzip -dc -- "${src}" >"${dest}" ;;
	*) cp -- "${src}" "${dest}" ;;
	esac
}

# Target kernel modules by name, with their dependency chain. In the guest,
# `lpvm_kmod_load NAME` loads one with its chain in order (busybox modprobe
# ignores softdeps, so the rig resolves the order here). With --load, the
# guest's init loads them at boot, in the order given.
lpvm_add_kmod() {
	local stage=$1 load=0 name path rel
	shift
	if [[ "${1:-}" == --load ]]; then
		load=1
		shift
	fi
	for name in "$@"; do
		path=$(lpvm_kmod_path "${name}") || return 1
		local order=()
		if [[ -n "${path}" ]]; then
			lpvm_kmod_closure "${path}" order
		fi
		: >"${stage}/etc/lpvm/kmod.${name//-/_}"
		for rel in "${order[@]}"; do
			lpvm_stage_kmod_file "${stage}" "${rel}" || return 1
			rel=${rel%.xz}
			rel=${rel%.zst}
			printf '/lib/modules/%s/%s\n' "${LPVM_RELEASE}" "${rel%.gz}" >>"${stage}/etc/lpvm/kmod.${name//-/_}"
		done
		if ((load)); then
			printf '%s\n' "${name//-/_}" >>"${stage}/etc/lpvm/preload"
		fi
	done
}

# The script the guest runs after boot (busybox sh); its exit status is
# the result of the boot.
lpvm_set_guest_script() {
	lpvm_add_file "$1" "$2" /lpvm/guest.sh 0755
}

# A plain (uncompressed) newc archive: the guest under TCG would spend
# longer inflating it than qemu takes to load a few more megabytes.
lpvm_initramfs_pack() {
	local stage=$1 out=$2
	(cd -- "${stage}" && find . -print0 | LC_ALL=C sort -z |
		cpio --null --create --format=newc --owner=0:0 --quiet) >"${out}" ||
		lpvm_err "cpio of ${stage} failed"
}

lpvm_boot_usage() {
	cat >&2 <<'EOF'
usage: lpvm_boot [--net] [--disk IMG:MOUNTPOINT] [--timeout SECONDS]
                 [--append KERNEL_ARGS] [--param KEY=VALUE] [--mem MB] [--smp N]
                 [--qemu-arg ARG]... INITRD CONSOLE_LOG
EOF
	return 2
}

# Boot the target kernel with INITRD, the serial console going to LOG.
# Returns the guest script's exit status (from the LPVM-RESULT line), 124
# when the hard timeout killed qemu, 125 when the guest gave no result.
lpvm_boot() {
	local net=0 disk='' timeout_s=${LPVM_TIMEOUT:-${LPVM_DEFAULT_TIMEOUT}} mem=512 smp=1
	local append='' extra=()
	while (($#)); do
		case "$1" in
		--net) net=1 ;;
		--disk) disk=$2; shift ;;
		--timeout) timeout_s=$2; shift ;;
		--append) append+=" $2"; shift ;;
		--param) append+=" lpvm.$2"; shift ;;
		--mem) mem=$2; shift ;;
		--smp) smp=$2; shift ;;
		--qemu-arg) extra+=("$2"); shift ;;
		--) shift; break ;;
		-*) lpvm_boot_usage; return 2 ;;
		*) break ;;
		esac
		shift
	done
	(($# == 2)) || { lpvm_boot_usage; return 2; }
	local initrd=$1 log=$2
	local args=(-accel tcg -cpu max -m "${mem}" -smp "${smp}" -nographic -no-reboot
		-kernel "${LPVM_VMLINUZ}" -initrd "${initrd}")
	local cmdline="console=ttyS0 panic=-1 quiet${append}"
	if ((net)); then
		# e1000 is one module with no dependencies (virtio-net needs four
		# more); no option ROM: the kernel is booted directly, not by PXE.
		# shellcheck disable=SC2054 # commas belong to qemu option values
		args+=(-netdev user,id=n0 -device e1000,netdev=n0,romfile=)
		cmdline+=" lpvm.net=1"
	else
		args+=(-nic none)
	fi
	if [[ -n "${disk}" ]]; then
		local img=${disk%%:*} mnt=${disk#*:}
		[[ -f "${img}" && "${mnt}" == /* && "${disk}" == *:* ]] ||
			lpvm_err "--disk wants IMG:/mount/point with an existing IMG, got '${disk}'" || return 2
		args+=(-drive "file=${img},format=raw,if=virtio,cache=unsafe")
		cmdline+=" lpvm.disk=${mnt}"
	fi
	args+=(-append "${cmdline}" "${extra[@]}")
	lpvm_log "boot ${LPVM_RELEASE} (timeout ${timeout_s}s), console -> ${log}"
	local start=${SECONDS} rc=0
	# stdin from /dev/null: -nographic would otherwise put the terminal in
	# raw mode and read keys from it.
	timeout --kill-after=10 "${timeout_s}" "${LPVM_QEMU}" "${args[@]}" \
		</dev/null >"${log}" 2>&1 || rc=$?
	lpvm_log "qemu exited with ${rc} after $((SECONDS - start))s"
	if ((rc == 124 || rc == 137)); then
		lpvm_err "guest did not finish within ${timeout_s}s (qemu killed)"
		return 124
	fi
	local result
	result=$(tr -d '\r' <"${log}" | sed -n 's/^LPVM-RESULT=\([0-9]\{1,3\}\)$/\1/p' | tail -n1)
	if [[ -z "${result}" ]]; then
		lpvm_err "no LPVM-RESULT line on the console (qemu status ${rc})"
		return 125
	fi
	return "${result}"
}

# The kernel log the guest dumped at the end of its run.
lpvm_extract_dmesg() {
	tr -d '\r' <"$1" | sed -n '/^LPVM-DMESG-BEGIN$/,/^LPVM-DMESG-END$/p' | sed '1d;$d'
}

# Lines the guest script printed: from init's LPVM-GUEST-BEGIN to the
# kernel log dump (or to the end when the guest never got that far). Serial
# noise from the firmware can share the marker's line, hence no ^ there.
lpvm_guest_output() {
	tr -d '\r' <"$1" | sed -n '/LPVM-GUEST-BEGIN$/,/^LPVM-DMESG-BEGIN$/p' | sed '1d;/^LPVM-DMESG-BEGIN$/d'
}

# Print where the artifacts are, the end of what the guest printed and the
# end of the kernel log, for a failure.
lpvm_report_failure() {
	local log=$1 lines=${2:-60}
	{
		printf '\nlpvm: FAILED; artifacts in %s\n' "${LPVM_WORK:-?}"
		if tr -d '\r' <"${log}" 2>/dev/null | grep -a 'LPVM-GUEST-BEGIN$' >/dev/null; then
			printf 'lpvm: console log %s, guest output (last %s lines):\n' "${log}" "${lines}"
			lpvm_guest_output "${log}" | tail -n "${lines}"
			printf 'lpvm: kernel log %s, last 25 lines:\n' "${log%.log}-dmesg.log"
			lpvm_extract_dmesg "${log}" | tail -n 25
		else
			printf 'lpvm: the guest script never started; console log %s, last %s lines:\n' \
				"${log}" "${lines}"
			tr -d '\r' <"${log}" 2>/dev/null | lpvm_strip_escapes | tail -n "${lines}"
		fi
		printf 'lpvm: result line: %s\n' "$(grep -a 'LPVM-RESULT=' "${log}" 2>/dev/null | tr -d '\r' || echo none)"
	} >&2
}

# Drop the terminal control sequences SeaBIOS writes to the serial line.
lpvm_strip_escapes() {
	sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g'
}

# An ext4 image of MB megabytes, filled from SRCDIR when given; attach it
# with lpvm_boot --disk IMG:/mount/point. The same image booted again is a
# reboot that kept the state.
lpvm_disk_create() {
	local img=$1 mb=$2 src=${3:-}
	local args=(-q -F -t ext4 -L lpvm-state)
	if [[ -n "${src}" ]]; then
		args+=(-d "${src}")
	fi
	rm -f -- "${img}"
	truncate -s "${mb}M" "${img}"
	mke2fs "${args[@]}" "${img}" >/dev/null || lpvm_err "mke2fs of ${img} failed"
}

# Copy everything in an image back out to DESTDIR (debugfs reads the image
# without mounting, so no root or loop device is needed).
lpvm_disk_extract() {
	local img=$1 dest=$2
	mkdir -p -- "${dest}"
	debugfs -R "rdump / ${dest}" "${img}" >/dev/null 2>&1 ||
		lpvm_err "debugfs could not read ${img}"
}

# Host-side assertion on what the guest printed: fail unless a line of the
# guest output matches the extended regex.
lpvm_expect() {
	local log=$1 regex=$2
	if ! lpvm_guest_output "${log}" | grep -E -- "${regex}" >/dev/null; then
		lpvm_err "guest output has no line matching: ${regex}"
		return 1
	fi
}

# Same, against the kernel log the guest dumped.
lpvm_expect_dmesg() {
	local log=$1 regex=$2
	if ! lpvm_extract_dmesg "${log}" | grep -E -- "${regex}" >/dev/null; then
		lpvm_err "kernel log has no line matching: ${regex}"
		return 1
	fi
}

# Boot, then check the guest's status; on failure save the kernel log next
# to the console log and print both locations. Extra host-side checks run
# after a successful boot, as a function name plus arguments (they get the
# console log as first argument). --log NAME names the console log in
# $LPVM_WORK (default console.log; give each boot of a test its own).
# Unless --allow-splat is given, a crash or warning anywhere in the kernel
# log fails the run, even one after the guest script's own checks.
#   lpvm_run [--log NAME] [--allow-splat] [lpvm_boot options] INITRD [-- CHECK_FN ARGS...]
lpvm_run() {
	local boot_args=() check=() name=console.log splat_ok=0
	while (($#)); do
		case "$1" in
		--log) name=$2; shift ;;
		--allow-splat) splat_ok=1 ;;
		--) shift; check=("$@"); break ;;
		*) boot_args+=("$1") ;;
		esac
		shift
	done
	local log=${LPVM_WORK}/${name} rc=0
	lpvm_boot "${boot_args[@]}" "${log}" || rc=$?
	lpvm_extract_dmesg "${log}" >"${log%.log}-dmesg.log" 2>/dev/null || true
	if ((rc == 0 && !splat_ok)); then
		lpvm_no_splat "${log}" || rc=$?
	fi
	if ((rc == 0)) && ((${#check[@]})); then
		"${check[0]}" "${log}" "${check[@]:1}" || rc=$?
	fi
	if ((rc != 0)); then
		lpvm_report_failure "${log}"
		return "${rc}"
	fi
	# For demos: show what the guest printed even when all went well.
	if [[ "${LPVM_SHOW_OUTPUT:-0}" == 1 ]]; then
		lpvm_guest_output "${log}" >&2
	fi
	lpvm_log "PASS (console log ${log})"
}

# Fail when the console (kernel log dump included) shows an oops, BUG,
# WARNING splat or panic.
lpvm_no_splat() {
	local lines
	lines=$(tr -d '\r' <"$1" | grep -aE 'Oops|BUG:|WARNING:|Call Trace:|general protection fault|Kernel panic' || true)
	if [[ -n "${lines}" ]]; then
		printf '%s\n' "${lines}" >&2
		lpvm_err "the kernel log shows a crash or warning (lines above)"
		return 1
	fi
}

# A TCP port on the host's loopback that nothing listens on now, for a
# server the guest reaches as 10.0.2.2:PORT. (Another process may still
# take it before the caller binds; callers fail clearly if bind fails.)
lpvm_free_port() {
	local tries port
	for tries in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + RANDOM % 20000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
			printf '%s\n' "${port}"
			return 0
		fi
	done
	lpvm_err "no free port found after ${tries} tries"
}

# Wait (bounded) until something accepts connections on 127.0.0.1:PORT.
lpvm_wait_port() {
	local port=$1 seconds=${2:-10} i
	for ((i = 0; i < seconds * 10; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	lpvm_err "nothing listens on 127.0.0.1:${port} after ${seconds}s"
}

# The patchbuild binary of the CMake build dir the tests were built in
# (ctest sets PATCHBUILD_BUILD_DIR; default build/).
lpvm_patchbuild_bin() {
	local pb=${PATCHBUILD_BUILD_DIR:-${LPVM_SRC_ROOT}/build}/patchbuild/patchbuild
	[[ -x "${pb}" ]] ||
		lpvm_err "${pb} not built (cmake --build <dir> --target patchbuild; PATCHBUILD_BUILD_DIR=<dir>)" ||
		return 1
	printf '%s\n' "${pb}"
}

# lpvm_patchbuild NAME KO_OUT [extra `patchbuild build` options, e.g. --patch P --version 2 ...]
# The product path for a livepatch: `patchbuild build` for the target from
# Debian's linux-source-6.1 (LP_KERNEL_SOURCE overrides it) with the kernel
# tests' prepared-tree cache (FLEETPATCH_TEST_CACHE), keys made once per test
# in $LPVM_WORK/keys, bundle in $LPVM_WORK/bundles/NAME.bundle. The bundle
# must verify against the keys' root.pub (`patchbuild inspect`); its signed
# module is extracted and copied to KO_OUT. Sets, for the test's own checks:
#   LPVM_PB_LOG       build output (the summary: "replaced ..." / "new ..." lines)
#   LPVM_PB_BUNDLE    the bundle
#   LPVM_PB_MANIFEST  the verified manifest JSON (inspect --json)
#   LPVM_PB_KEYS      the key directory
lpvm_patchbuild() {
	(($# >= 2)) || lpvm_err "usage: lpvm_patchbuild NAME KO_OUT [patchbuild build options]" || return 2
	local name=$1 ko_out=$2 pb
	shift 2
	pb=$(lpvm_patchbuild_bin) || return 1
	# A caller may sign with its own key dir (the fleet journey uses the portal's).
	LPVM_PB_KEYS=${LPVM_PB_KEYS:-${LPVM_WORK}/keys}
	if [[ ! -f "${LPVM_PB_KEYS}/root.pub" ]]; then
		"${pb}" keys init "${LPVM_PB_KEYS}" >"${LPVM_WORK}/keys-init.log" 2>&1 || {
			cat "${LPVM_WORK}/keys-init.log" >&2
			lpvm_err "patchbuild keys init ${LPVM_PB_KEYS} failed"
			return 1
		}
	fi
	local out=${LPVM_WORK}/bundles extract=${LPVM_WORK}/extract-${name}
	LPVM_PB_LOG=${LPVM_WORK}/patchbuild-${name}.log
	LPVM_PB_BUNDLE=${out}/${name}.bundle
	LPVM_PB_MANIFEST=${LPVM_WORK}/manifest-${name}.json
	local build=("${pb}" build --target "${LPVM_RELEASE}"
		--kernel-src "${LP_KERNEL_SOURCE:-/usr/src/linux-source-6.1.tar.xz}"
		--cache-dir "${FLEETPATCH_TEST_CACHE:-/var/tmp/fleetpatch-test-cache}"
		--keys "${LPVM_PB_KEYS}" --name "${name}" -o "${out}" "$@")
	lpvm_log "patchbuild build ${name} $*, log -> ${LPVM_PB_LOG}"
	local start=${SECONDS}
	"${build[@]}" >"${LPVM_PB_LOG}" 2>&1 || {
		cat "${LPVM_PB_LOG}" >&2
		lpvm_err "patchbuild build of ${name} failed (log ${LPVM_PB_LOG})"
		return 1
	}
	lpvm_log "patchbuild build ${name} took $((SECONDS - start))s"
	rm -rf -- "${extract}"
	"${pb}" inspect "${LPVM_PB_BUNDLE}" --root "${LPVM_PB_KEYS}/root.pub" --extract "${extract}" \
		>"${LPVM_WORK}/inspect-${name}.log" 2>&1 || {
		cat "${LPVM_WORK}/inspect-${name}.log" >&2
		lpvm_err "patchbuild inspect did not verify ${LPVM_PB_BUNDLE}"
		return 1
	}
	"${pb}" inspect "${LPVM_PB_BUNDLE}" --root "${LPVM_PB_KEYS}/root.pub" --json >"${LPVM_PB_MANIFEST}" ||
		lpvm_err "patchbuild inspect --json of ${LPVM_PB_BUNDLE} failed" || return 1
	local kos=("${extract}"/*.ko)
	[[ ${#kos[@]} -eq 1 && -f "${kos[0]}" ]] ||
		lpvm_err "expected one extracted module in ${extract}, found: ${kos[*]}" || return 1
	cp -- "${kos[0]}" "${ko_out}"
	export LPVM_PB_LOG LPVM_PB_BUNDLE LPVM_PB_MANIFEST LPVM_PB_KEYS
}

# lpvm_run_guest GUEST_SCRIPT [--file SRC DEST]... [--kmod NAME]... [lpvm_run options] [-- CHECK_FN ARGS...]
# The usual host side of a test in one call: a fresh initramfs in
# $LPVM_WORK/stage with each SRC at guest path DEST and each target module
# NAME staged (lpvm_add_kmod, loaded by the guest), GUEST_SCRIPT as the guest
# script, packed to $LPVM_WORK/initrd.cpio, then lpvm_run with the other
# options and the check.
lpvm_run_guest() {
	(($# >= 1)) || lpvm_err "usage: lpvm_run_guest GUEST_SCRIPT [--file SRC DEST]... [--kmod NAME]... [lpvm_run options] [-- CHECK_FN ARGS...]" || return 2
	local script=$1 stage=${LPVM_WORK}/stage initrd=${LPVM_WORK}/initrd.cpio
	shift
	local files=() kmods=() run_args=()
	while (($#)); do
		case "$1" in
		--file)
			(($# >= 3)) || lpvm_err "lpvm_run_guest: --file wants SRC DEST" || return 2
			files+=("$2" "$3")
			shift 3
			;;
		--kmod)
			(($# >= 2)) || lpvm_err "lpvm_run_guest: --kmod wants NAME" || return 2
			kmods+=("$2")
			shift 2
			;;
		--) break ;;
		*)
			run_args+=("$1")
			shift
			;;
		esac
	done
	lpvm_initramfs_new "${stage}" || return 1
	local i
	for ((i = 0; i < ${#files[@]}; i += 2)); do
		lpvm_add_file "${stage}" "${files[i]}" "${files[i + 1]}" || return 1
	done
	if ((${#kmods[@]})); then
		lpvm_add_kmod "${stage}" "${kmods[@]}" || return 1
	fi
	lpvm_set_guest_script "${stage}" "${script}" || return 1
	lpvm_initramfs_pack "${stage}" "${initrd}" || return 1
	lpvm_run "${run_args[@]}" "${initrd}" "$@"
}

# The kernel log of LOG shows livepatch PATCH enabled, its transition to
# patched complete, and (after the guest disabled it) unpatched again.
lpvm_expect_klp_cycle() {
	local log=$1 patch=$2
	lpvm_expect_dmesg "${log}" "livepatch: enabling patch '${patch}'" &&
		lpvm_expect_dmesg "${log}" "livepatch: '${patch}': patching complete" &&
		lpvm_expect_dmesg "${log}" "livepatch: '${patch}': unpatching complete"
}

# The summary of the last lpvm_patchbuild lists OBJECT:FUNCTION as KIND
# ("replaced", "new"); on failure the whole build output is shown.
#   lpvm_expect_built replaced vmlinux:cmdline_proc_show
lpvm_expect_built() {
	local kind=$1 func=$2
	[[ -n "${LPVM_PB_LOG:-}" && -f "${LPVM_PB_LOG}" ]] ||
		lpvm_err "lpvm_expect_built: no lpvm_patchbuild log (run lpvm_patchbuild first)" || return 1
	if ! awk -v k="${kind}" -v f="${func}" '$1 == k && $2 == f { found = 1 } END { exit !found }' "${LPVM_PB_LOG}"; then
		cat "${LPVM_PB_LOG}" >&2
		lpvm_err "the build summary (above) does not list ${func} as ${kind}"
		return 1
	fi
}
