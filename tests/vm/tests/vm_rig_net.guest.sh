#!/bin/sh
# Guest side of vm_rig_net.
set -eu
# shellcheck source-path=SCRIPTDIR source=../guest/lpvm-guest.sh
. /lpvm/lpvm-guest.sh

for m in virtio virtio_ring 9pnet 9pnet_virtio; do
	[ -d "/sys/module/$m" ] || lpvm_die "module $m was not loaded at boot"
done
[ ! -d /sys/module/dummy ] || lpvm_die "dummy loaded without being asked"
lpvm_kmod_load dummy
[ -d /sys/module/dummy ] || lpvm_die "lpvm_kmod_load dummy did not load it"
lpvm_kmod_load af_packet || lpvm_die "loading a built-in module failed"

port=$(lpvm_param port)
[ -n "$port" ] || lpvm_die "no lpvm.port on the kernel command line"
ifconfig eth0 | grep 10.0.2.15 >/dev/null || lpvm_die "eth0 has no 10.0.2.15"

# The host server is up before the boot, so one short retry loop is only
# for the interface settling.
lpvm_loop_until 20 "wget -q -O /tmp/hello.txt http://10.0.2.2:$port/hello.txt" ||
	lpvm_die "cannot fetch http://10.0.2.2:$port/hello.txt"
echo "fetched: $(cat /tmp/hello.txt)"

# The RTC starts from the host's clock; TCG is slow but the guest clock
# follows real time, so a few seconds of boot is all the difference.
skew=$(($(date +%s) - $(lpvm_param hostnow 0)))
echo "clock skew: ${skew}s"
if [ "$skew" -lt -5 ] || [ "$skew" -gt 300 ]; then
	lpvm_die "guest clock is off by ${skew}s"
fi

tls_port=$(lpvm_param tls_port)
curl -sS --max-time 20 --cacert /lpvm/ca.pem -o /tmp/hello-tls.txt \
	"https://10.0.2.2:$tls_port/hello.txt" || lpvm_die "HTTPS to the host failed"
cmp /tmp/hello.txt /tmp/hello-tls.txt || lpvm_die "HTTPS body differs"
curl -sS --max-time 20 --cacert /lpvm/ca.pem -o /dev/null "https://lpvm-host:$tls_port/hello.txt" ||
	lpvm_die "HTTPS to lpvm-host (by /etc/hosts name) failed"
echo "https: ok"

cd /tmp
/usr/local/bin/sha256sum --version | head -n 1
/usr/local/bin/sha256sum -c /lpvm/hello.sha256 || lpvm_die "checksum mismatch"
lpvm_check_dmesg
lpvm_say PASS
