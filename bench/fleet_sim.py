#!/usr/bin/env python3
"""Fleet simulation against one eportal node: N simulated devices in one
process (asyncio, one keep-alive TLS connection each) enroll, then sit in
long-poll check-ins (wait = 300 s), as idle patchd daemons with long_poll on
would. Measures:
  - the portal's CPU while the N devices sit idle on it (from /proc/PID/stat)
  - after `eportal release`, the time until each device has its answer,
    fetched the blob (sha256 checked), posted its report and checked in again
    with the patch applied: p50 / p95 / max, and until the portal's own status
    counts all N patched.
The devices do not verify signatures or load anything (that is patchd's
cost, on the device); this measures the portal.

usage: fleet_sim.py --url https://127.0.0.1:P --ca CA --token ENROLL_TOKEN
         --release CMD... (a shell command that releases the patch)
         --portal-pid PID --devices N --build-id HEX --kernel-release R
"""
import argparse
import asyncio
import hashlib
import json
import os
import ssl
import statistics
import subprocess
import sys
import time
import urllib.parse

ARGS = None


class Conn:
    def __init__(self, ctx):
        self.ctx = ctx
        self.r = self.w = None

    async def open(self):
        u = urllib.parse.urlsplit(ARGS.url)
        self.host = u.hostname
        self.r, self.w = await asyncio.open_connection(u.hostname, u.port, ssl=self.ctx, limit=1 << 26)

    async def request(self, method, path, body=None, headers=None):
        if self.w is None:
            await self.open()
        data = json.dumps(body).encode() if body is not None else b""
        h = {"Host": self.host, "Content-Length": str(len(data)), "Content-Type": "application/json"}
        h.update(headers or {})
        head = "%s %s HTTP/1.1\r\n%s\r\n" % (method, path, "".join("%s: %s\r\n" % kv for kv in h.items()))
        self.w.write(head.encode() + data)
        await self.w.drain()
        status_line = await self.r.readline()
        if not status_line:
            raise ConnectionError("connection closed")
        status = int(status_line.split()[1])
        hdrs = {}
        while True:
            line = await self.r.readline()
            if line in (b"\r\n", b""):
                break
            k, _, v = line.decode().partition(":")
            hdrs[k.strip().lower()] = v.strip()
        n = int(hdrs.get("content-length", "0"))
        payload = await self.r.readexactly(n) if n else b""
        if hdrs.get("connection", "").lower() == "close":
            self.w.close()
            self.w = None
        return status, hdrs, payload


class Device:
    def __init__(self, i, ctx):
        self.i = i
        self.conn = Conn(ctx)
        self.identity = {"release": ARGS.kernel_release, "build_id": ARGS.build_id, "arch": "x86_64"}
        self.applied = []
        self.etag = None
        self.done_at = None
        self.answered_at = None

    async def enroll(self):
        st, _, body = await self.conn.request("POST", "/api/v1/enroll", {
            "token": ARGS.token, "hostname": "sim-%d" % self.i, "identity": self.identity})
        if st != 200:
            raise RuntimeError("enroll: %d %s" % (st, body[:200]))
        self.cred = json.loads(body)["credential"]

    async def checkin(self, wait):
        h = {"Authorization": "Bearer " + self.cred}
        if self.etag:
            h["If-None-Match"] = self.etag
        st, hdrs, body = await self.conn.request("POST", "/api/v1/checkin", {
            "identity": self.identity, "applied": self.applied, "last_error": "", "wait": wait}, h)
        if st == 200:
            self.etag = hdrs.get("etag")
            return json.loads(base64_decode(json.loads(body)["payload"]))
        if st == 304:
            return None
        raise RuntimeError("check-in: %d %s" % (st, body[:200]))

    async def run(self, released):
        await self.checkin(0)  # first answer: nothing released yet
        while True:
            answer = await self.checkin(300)
            if answer and answer["patches"]:
                break
        self.answered_at = time.monotonic() - released.t
        offer = answer["patches"][0]
        m = json.loads(base64_decode(offer["manifest"]))
        st, _, blob = await self.conn.request("GET", "/api/v1/blobs/" + offer["blob"])
        if st != 200 or hashlib.sha256(blob).hexdigest() != m["module_sha256"]:
            raise RuntimeError("blob")
        h = {"Authorization": "Bearer " + self.cred}
        st, _, _ = await self.conn.request("POST", "/api/v1/reports", {
            "patch_id": m["patch_id"], "version": m["version"], "action": "apply", "result": "applied",
            "error": "", "timings_ms": {}, "taint": 0, "dmesg": [], "blocking_tasks": []}, h)
        self.applied = [{"patch_id": m["patch_id"], "version": m["version"], "state": "applied"}]
        await self.checkin(0)
        self.done_at = time.monotonic() - released.t


def base64_decode(s):
    import base64
    return base64.b64decode(s)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Released:
    t = None


async def main():
    ctx = ssl.create_default_context(cafile=ARGS.ca)
    devices = [Device(i, ctx) for i in range(ARGS.devices)]
    sem = asyncio.Semaphore(64)

    async def enroll(d):
        async with sem:
            await d.enroll()
    t0 = time.monotonic()
    await asyncio.gather(*(enroll(d) for d in devices))
    print("fleet_sim: %d devices enrolled in %.1f s" % (len(devices), time.monotonic() - t0), flush=True)
    released = Released()
    tasks = [asyncio.create_task(d.run(released)) for d in devices]
    await asyncio.sleep(5)  # all parked in their long poll
    c0, w0 = cpu_seconds(ARGS.portal_pid), time.monotonic()
    await asyncio.sleep(ARGS.idle_seconds)
    c1, w1 = cpu_seconds(ARGS.portal_pid), time.monotonic()
    print("fleet_sim: portal CPU with %d devices idle in long polls: %.1f%% of one core over %.0f s"
          % (len(devices), 100 * (c1 - c0) / (w1 - w0), w1 - w0), flush=True)
    released.t = time.monotonic()
    proc = await asyncio.create_subprocess_shell(ARGS.release, stdout=subprocess.DEVNULL)
    if await proc.wait() != 0:
        raise RuntimeError("release command failed")
    print("fleet_sim: the release command took %.2f s" % (time.monotonic() - released.t), flush=True)
    done, pending = await asyncio.wait(tasks, timeout=ARGS.timeout)
    errors = [t.exception() for t in done if t.exception()]
    times = sorted(d.done_at for d in devices if d.done_at is not None)
    if times:
        q = statistics.quantiles(times, n=100) if len(times) > 1 else [times[0]] * 99
        print("fleet_sim: %d/%d devices applied and reported; after the release: p50 %.2f s, p95 %.2f s, max %.2f s"
              % (len(times), len(devices), q[49], q[94], times[-1]), flush=True)
    answered = sorted(d.answered_at for d in devices if d.answered_at is not None)
    if len(answered) > 1:
        q = statistics.quantiles(answered, n=100)
        print("fleet_sim: long-poll answers carrying the release arrived: p50 %.2f s, p95 %.2f s, max %.2f s"
              % (q[49], q[94], answered[-1]), flush=True)
    if errors:
        print("fleet_sim: %d device errors, first: %r" % (len(errors), errors[0]), flush=True)
    for t in pending:
        t.cancel()
    return 0 if len(times) == len(devices) else 1


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--release", required=True)
    p.add_argument("--portal-pid", type=int, required=True)
    p.add_argument("--devices", type=int, default=1000)
    p.add_argument("--build-id", required=True)
    p.add_argument("--kernel-release", required=True)
    p.add_argument("--idle-seconds", type=float, default=10)
    p.add_argument("--timeout", type=float, default=300)
    ARGS = p.parse_args()
    sys.exit(asyncio.run(main()))
