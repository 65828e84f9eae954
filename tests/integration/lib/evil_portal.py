#!/usr/bin/env python3
"""A man-in-the-middle portal for the e2e tests: an HTTPS reverse proxy in
front of a real eportal that plays a compromised portal (one that even holds
the portal's online signing key). What it does to each request is read from
a JSON control file on every request, so a test can switch behaviour while
patchd keeps talking to it:

  {"mode": "pass"}            forward unchanged
  {"mode": "tamper-blob"}     flip one byte in the middle of every blob
  {"mode": "replay"}          answer check-ins with the OLDEST 200 answer seen
  {"mode": "inject", "bundle": "x.bundle"}
                              add that bundle's (genuinely patch-signed)
                              manifest to every check-in answer and re-sign
                              the payload with the portal key
  {"mode": "slow-blob", "rate": BYTES_PER_S}
                              send blobs slowly; progress in <ctl>.progress

Usage: evil_portal.py --listen-port-file F --upstream https://127.0.0.1:P
       --ca CA --cert CERT --key KEY --portal-key portal.key --control CTL
"""
import argparse
import base64
import http.client
import http.server
import json
import os
import ssl
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.parse

ARGS = None
ANSWERS = {}  # bearer -> list of 200 answer bodies, oldest first
LOCK = threading.Lock()


def control():
    try:
        with open(ARGS.control) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {"mode": "pass"}


def sign(payload: bytes) -> bytes:
    with tempfile.NamedTemporaryFile() as f:
        f.write(payload)
        f.flush()
        return subprocess.run(
            ["openssl", "pkeyutl", "-sign", "-inkey", ARGS.portal_key, "-rawin", "-in", f.name],
            check=True, capture_output=True).stdout


def bundle_offer(path):
    with tarfile.open(path) as t:
        names = t.getnames()
        manifest = t.extractfile("manifest.json").read()
        sig = t.extractfile("manifest.sig").read()
    m = json.loads(manifest)
    sha = m["module_sha256"]
    return {"manifest": base64.b64encode(manifest).decode(),
            "manifest_sig": base64.b64encode(sig).decode(), "blob": sha}, names


def inject(body: bytes, bundle: str) -> bytes:
    env = json.loads(body)
    payload = json.loads(base64.b64decode(env["payload"]))
    offer, _ = bundle_offer(bundle)
    payload["patches"] = [p for p in payload["patches"] if p["blob"] != offer["blob"]] + [offer]
    raw = json.dumps(payload, separators=(",", ":")).encode()
    env["payload"] = base64.b64encode(raw).decode()
    env["signature"] = base64.b64encode(sign(raw)).decode()
    return json.dumps(env).encode()


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        sys.stderr.write("evil_portal: %s %s\n" % (self.requestline, fmt % a))

    def upstream(self, method, body):
        u = urllib.parse.urlsplit(ARGS.upstream)
        ctx = ssl.create_default_context(cafile=ARGS.ca)
        conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=60)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "if-none-match", "connection", "content-length")}
        if body is not None:
            headers["Content-Length"] = str(len(body))
        conn.request(method, self.path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        hdrs = [(k, v) for k, v in r.getheaders()
                if k.lower() not in ("content-length", "connection", "transfer-encoding")]
        conn.close()
        return r.status, hdrs, data

    def send(self, status, hdrs, data, slow_rate=0):
        self.send_response(status)
        for k, v in hdrs:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not slow_rate:
            self.wfile.write(data)
            return
        chunk = max(1024, slow_rate // 20)
        sent = 0
        for off in range(0, len(data), chunk):
            self.wfile.write(data[off:off + chunk])
            self.wfile.flush()
            sent += len(data[off:off + chunk])
            with open(ARGS.control + ".progress", "w") as f:
                f.write("%d %d\n" % (sent, len(data)))
            time.sleep(0.05)

    def do_GET(self):
        ctl = control()
        status, hdrs, data = self.upstream("GET", None)
        if self.path.startswith("/api/v1/blobs/") and status == 200:
            if ctl.get("mode") == "tamper-blob" and data:
                b = bytearray(data)
                b[len(b) // 2] ^= 0x01
                data = bytes(b)
            if ctl.get("mode") == "slow-blob":
                return self.send(status, hdrs, data, int(ctl.get("rate", 1 << 20)))
        self.send(status, hdrs, data)

    def do_POST(self):
        ctl = control()
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if n else b""
        status, hdrs, data = self.upstream("POST", body)
        if self.path == "/api/v1/checkin" and status == 200:
            bearer = self.headers.get("Authorization", "")
            with LOCK:
                seen = ANSWERS.setdefault(bearer, [])
                seen.append(data)
                oldest = seen[0]
            mode = ctl.get("mode")
            if mode == "replay" and len(seen) > 1:
                data = oldest
            elif mode == "inject":
                data = inject(data, ctl["bundle"])
            hdrs = [(k, v) for k, v in hdrs if k.lower() != "etag"]
        self.send(status, hdrs, data)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    for a in ("--listen-port-file", "--upstream", "--ca", "--cert", "--key", "--portal-key", "--control"):
        p.add_argument(a, required=True)
    ARGS = p.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    srv.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(ARGS.cert, ARGS.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = ARGS.listen_port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, ARGS.listen_port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
