#!/usr/bin/env bash
# Integration (loopback, fake kernel): a real eportal, patchbuild-made bundles,
# patchd/patchctl as on a device. Enroll, release, apply, atomic replace,
# another group gets nothing, reboot + apply-cached without the portal, revert.
# usage: portal_e2e_test.sh EPORTAL PATCHBUILD PATCHD PATCHCTL
set -euo pipefail
eportal=$1 patchbuild=$2 patchd=$3 patchctl=$4
for tool in "$eportal" "$patchbuild" "$patchd" "$patchctl"; do
  [[ -x $tool ]] || { echo "SKIP: $tool not built"; exit 77; }
done
command -v cc >/dev/null || { echo "SKIP: no C compiler for the test modules"; exit 77; }
work=$(mktemp -d)
server_pid=
cleanup() { [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_rc() {  # expect_rc RC command...
  local want=$1 rc=0; shift
  "$@" >out.txt 2>&1 || rc=$?
  [[ $rc == "$want" ]] || { cat out.txt >&2; fail "'$*' exited $rc, expected $want"; }
}

build_id=0123456789abcdef0123456789abcdef01234567
release=6.1.0-56-amd64
module() {  # a minimal ELF object with the .modinfo the fake kernel reads
  printf '__attribute__((section(".modinfo"), used)) static const char n[] = "name=%s";\n' "$1" >"$1.c"
  cc -c "$1.c" -o "$1.ko"
}
"$patchbuild" keys init keys >/dev/null
for v in 1 2; do
  module lp_e2e_v$v
  "$patchbuild" bundle --module lp_e2e_v$v.ko --target $release --build-id $build_id --keys keys \
    --patch-id lp-e2e --version $v --cve CVE-2024-000$v --no-module-sign -o v$v.bundle >/dev/null
done

token=$("$eportal" init --data-dir data --root-pub keys/root.pub --keys-json keys/keys.json \
  --keys-sig keys/keys.json.sig --portal-key keys/portal.key --admin admin 2>/dev/null | tail -1)
"$eportal" serve --data-dir data --listen 127.0.0.1:0 --poll-interval 5 >serve.log 2>&1 &
server_pid=$!
port=
for _ in $(seq 100); do  # bounded: 10 s
  port=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' serve.log | head -1)
  [[ -n $port ]] && break
  sleep 0.1
done
[[ -n $port ]] || { cat serve.log >&2; fail "eportal did not start"; }
export EPORTAL_SERVER=http://127.0.0.1:$port EPORTAL_TOKEN=$token
"$eportal" patch import v1.bundle >/dev/null
lab_token=$("$eportal" token create --group lab | tail -1)
other_token=$("$eportal" token create --group other | tail -1)
"$eportal" release lp-e2e:1 --group lab >/dev/null

device() {  # device NAME TOKEN: a config for one fake device
  mkdir -p "$1/proc"
  cat >"$1.conf" <<CONF
portal_url = http://127.0.0.1:$port
allow_plain_http = 1
root_key = $work/keys/root.pub
enroll_token = $2
hostname = $1
kernel = fake:$work/$1/sys
sysfs_root = $work/$1/sys
procfs_root = $work/$1/proc
state_dir = $work/$1/state
fake_release = $release
fake_arch = x86_64
fake_build_id = $build_id
transition_timeout = 5
http_timeout = 10
CONF
}
device a "$lab_token"
device b "$other_token"

expect_rc 0 "$patchd" --config a.conf --once
expect_rc 0 "$patchctl" --config a.conf status
grep -q "lp-e2e v1" out.txt || fail "device a does not show lp-e2e v1"
expect_rc 0 "$patchd" --config b.conf --once
expect_rc 2 "$patchctl" --config b.conf status

"$eportal" patch import v2.bundle >/dev/null
"$eportal" release lp-e2e:2 --group lab >/dev/null
expect_rc 0 "$patchd" --config a.conf --once
expect_rc 0 "$patchctl" --config a.conf status --json
grep -q '"version": 2' out.txt || fail "v2 not applied"
[[ $(ls a/sys/module) == lp_e2e_v2 ]] || fail "replaced v1 module still loaded: $(ls a/sys/module)"

# Reboot with the portal unreachable: the cache brings v2 back.
rm -rf a/sys
sed -i "s|^portal_url = .*|portal_url = http://127.0.0.1:9|" a.conf
expect_rc 3 "$patchctl" --config a.conf status
expect_rc 0 "$patchd" --config a.conf --apply-cached
expect_rc 0 "$patchctl" --config a.conf status
expect_rc 1 "$patchd" --config a.conf --once
sed -i "s|^portal_url = .*|portal_url = http://127.0.0.1:$port|" a.conf

"$eportal" revert lp-e2e --group lab >/dev/null
expect_rc 0 "$patchd" --config a.conf --once
expect_rc 2 "$patchctl" --config a.conf status
[[ -z $(ls a/sys/module) ]] || fail "module left after revert"
echo "ok"
