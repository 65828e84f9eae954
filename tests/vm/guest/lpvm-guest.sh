# shellcheck shell=sh
# Helpers for guest scripts (busybox sh). A guest script starts with
#   . /lpvm/lpvm-guest.sh
# and exits non-zero on failure; init reports its status to the host.

LPVM_RELEASE=$(cat /etc/lpvm/release)
export LPVM_RELEASE
LPVM_PARAMS=/run/lpvm-params

lpvm_say() {
	echo "lpvm-guest: $*"
}

lpvm_die() {
	echo "lpvm-guest: FAIL: $*"
	exit 1
}

# Value of lpvm.KEY=VALUE from the kernel command line as read at boot
# (a livepatch may change /proc/cmdline later), or $2 when absent.
lpvm_param() {
	_v=$(sed -n "s/^$1=//p" "$LPVM_PARAMS" 2>/dev/null | tail -n 1)
	if [ -n "$_v" ]; then echo "$_v"; else echo "${2:-}"; fi
}

# Poll COMMAND until it succeeds, at most SECONDS (tenths of a second
# apart); non-zero when it never did.
lpvm_loop_until() {
	_limit=$(($1 * 10))
	shift
	_i=0
	while [ "$_i" -lt "$_limit" ]; do
		if eval "$*"; then return 0; fi
		_i=$((_i + 1))
		sleep 0.1
	done
	return 1
}

# Load a target module and its dependencies in order (what lpvm_add_kmod
# staged); modules already loaded are skipped.
lpvm_kmod_load() {
	_list=/etc/lpvm/kmod.$(echo "$1" | tr - _)
	[ -f "$_list" ] || { lpvm_say "module $1 was not staged"; return 1; }
	while read -r _ko; do
		_m=$(basename "$_ko" .ko | tr - _)
		[ -d "/sys/module/$_m/sections" ] && continue
		insmod "$_ko" || { lpvm_say "insmod $_ko failed"; return 1; }
	done <"$_list"
}

# rmmod a module and check it is really gone from /sys/module.
lpvm_kmod_unload() {
	rmmod "$1" || lpvm_die "rmmod $1 failed"
	[ ! -d "/sys/module/$1" ] || lpvm_die "$1 still loaded after rmmod"
}

# --- livepatch sysfs (Documentation/ABI/testing/sysfs-kernel-livepatch) ---

lpvm_klp_dir() {
	echo "/sys/kernel/livepatch/$1"
}

# A patch is in effect when enabled=1 and transition=0.
lpvm_klp_settled() {
	[ "$(cat "$(lpvm_klp_dir "$1")/transition" 2>/dev/null)" = 0 ]
}

lpvm_klp_wait_settled() {
	lpvm_loop_until "${2:-30}" lpvm_klp_settled "$1" ||
		lpvm_die "livepatch $1 still in transition after ${2:-30}s"
}

lpvm_klp_wait_gone() {
	lpvm_loop_until "${2:-30}" "[ ! -d $(lpvm_klp_dir "$1") ]" ||
		lpvm_die "livepatch $1 still in sysfs after ${2:-30}s"
}

# insmod a livepatch module and wait until its transition finished.
lpvm_klp_load() {
	insmod "$1" || lpvm_die "insmod $1 failed"
	_name=$(basename "$1" .ko | tr - _)
	[ -d "$(lpvm_klp_dir "$_name")" ] || lpvm_die "no $(lpvm_klp_dir "$_name") after insmod"
	lpvm_klp_wait_settled "$_name"
	[ "$(cat "$(lpvm_klp_dir "$_name")/enabled")" = 1 ] || lpvm_die "$_name not enabled"
}

# Disable a patch, wait for the transition, wait until the module may go.
lpvm_klp_disable() {
	echo 0 >"$(lpvm_klp_dir "$1")/enabled" || lpvm_die "disable $1 failed"
	lpvm_klp_wait_gone "$1"
}

# Fail when the kernel log shows a crash or a warning splat.
lpvm_check_dmesg() {
	if dmesg | grep -E 'Oops|BUG:|WARNING:|Call Trace:|general protection|Kernel panic'; then
		lpvm_die "kernel log shows a crash (lines above)"
	fi
}

# --- used by /init only ---

lpvm_init_guest_params() {
	tr ' ' '\n' </proc/cmdline | sed -n 's/^lpvm\.//p' >"$LPVM_PARAMS"
}

lpvm_init_preload() {
	[ -f /etc/lpvm/preload ] || return 0
	while read -r _name; do
		lpvm_kmod_load "$_name" || echo "lpvm: preload of $_name failed"
	done </etc/lpvm/preload
}

lpvm_init_net() {
	[ "$(lpvm_param net)" = 1 ] || { ifconfig lo 127.0.0.1 up; return 0; }
	lpvm_kmod_load e1000 || return 0
	ifconfig lo 127.0.0.1 up
	# qemu user networking: fixed addresses, the host's loopback is 10.0.2.2.
	lpvm_loop_until 10 "[ -e /sys/class/net/eth0 ]" || { echo "lpvm: no eth0"; return 0; }
	ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up
	route add default gw 10.0.2.2
}

lpvm_init_disk() {
	_mnt=$(lpvm_param disk)
	[ -n "$_mnt" ] || return 0
	for _m in virtio_pci virtio_blk crc32c_generic ext4; do
		lpvm_kmod_load "$_m" || return 0
	done
	lpvm_loop_until 10 "[ -b /dev/vda ]" || { echo "lpvm: no /dev/vda"; return 0; }
	mkdir -p "$_mnt"
	mount -t ext4 /dev/vda "$_mnt" || echo "lpvm: mounting /dev/vda on $_mnt failed"
}

lpvm_init_shutdown_disk() {
	_mnt=$(lpvm_param disk)
	[ -n "$_mnt" ] || return 0
	sync
	umount "$_mnt" || echo "lpvm: umount $_mnt failed"
}
