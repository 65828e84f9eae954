#!/bin/sh
# Guest side of vm_fleet_journey. Boot 1 (network): patchd enrolls, checks in,
# applies the released patch. Boot 2 (no network, same state disk): patchd
# --apply-cached re-applies it before anything else.
set -eu
# shellcheck source-path=SCRIPTDIR source=../guest/lpvm-guest.sh
. /lpvm/lpvm-guest.sh

conf=/etc/patchd/patchd.conf
marker=fleetpatch=cmdline
phase=$(lpvm_param phase)

status_dump() {
	echo PATCHCTL-TEXT-BEGIN
	patchctl --config "$conf" status || true
	echo PATCHCTL-TEXT-END
	echo PATCHCTL-JSON-BEGIN
	patchctl --config "$conf" status --json || true
	echo PATCHCTL-JSON-END
}

before=$(cat /proc/cmdline)
echo "cmdline-before: $before"
case "$before" in
*"$marker"*) lpvm_die "marker in /proc/cmdline before patchd ran" ;;
esac
[ -r /sys/kernel/notes ] || lpvm_die "no /sys/kernel/notes"

case "$phase" in
1)
	# The first cycle enrolls and applies; a second one reports the
	# applied state with the check-in (the portal also has the report).
	n=0
	until patchctl --config "$conf" status >/dev/null 2>&1; do
		n=$((n + 1))
		[ "$n" -le 3 ] || { status_dump; lpvm_die "patch not applied after 3 check-ins"; }
		echo "patchd --once (cycle $n):"
		patchd --config "$conf" --once 2>&1 || echo "patchd --once exited $?"
	done
	patchd --config "$conf" --once 2>&1 || lpvm_die "check-in after the apply failed"
	;;
2)
	if ip link show eth0 >/dev/null 2>&1; then lpvm_die "this boot should have no network"; fi
	echo "network: none"
	rc=0
	patchctl --config "$conf" status >/dev/null 2>&1 || rc=$?
	echo "patchctl status before apply-cached: exit $rc"
	[ "$rc" = 3 ] || lpvm_die "want exit 3 (pending: recorded but not loaded) before apply-cached, got $rc"
	echo "patchd --apply-cached:"
	patchd --config "$conf" --apply-cached 2>&1 || lpvm_die "patchd --apply-cached failed"
	;;
*)
	lpvm_die "unknown phase '$phase'"
	;;
esac

after=$(cat /proc/cmdline)
case "$after" in
*"$marker"*) ;;
*) status_dump; lpvm_die "/proc/cmdline has no '$marker' after patchd: $after" ;;
esac
if [ "$phase" = 1 ]; then echo "cmdline-patched: $after"; else echo "cmdline-reapplied: $after"; fi
lpvm_klp_settled lp_cmdline || lpvm_die "lp_cmdline is not settled in sysfs"
patchctl --config "$conf" status >/dev/null 2>&1 || lpvm_die "patchctl status does not say up to date (exit $?)"
status_dump
ls -l /var/lib/patchd /var/lib/patchd/cache
lpvm_check_dmesg
lpvm_say PASS
