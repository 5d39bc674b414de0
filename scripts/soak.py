#!/usr/bin/env python3
"""Bounded soak test on loopback: mixed browse/upload/preview/delete traffic from many clients
against a release build of Mediadesk on PostgreSQL + S3, then a reconcile and a memory check.

Run it through the test script, which starts and stops PostgreSQL and the S3 server:
    scripts/soak.sh [MINUTES] [CLIENTS]            (defaults: 10 minutes, 32 clients)
It stops by itself; every request goes to 127.0.0.1.
"""
import argparse
import http.cookiejar
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = ["image.jpg", "image.png", "image.webp", "image-anim.gif", "tone-cbr.mp3", "tone.flac", "tone-aac.m4a", "tone-mono-8k.wav"]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Client:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def request(self, method, path, body=None, headers=None):
        url = path if path.startswith("http") else self.base + path
        req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        try:
            with self.opener.open(req, timeout=60) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def csrf(self, path):
        status, body = self.request("GET", path)
        m = re.search(rb'name="csrf_token" value="([0-9a-f]+)"', body)
        return m.group(1).decode() if m else ""

    def form(self, path, fields, token_page):
        fields = dict(fields, csrf_token=self.csrf(token_page))
        return self.request("POST", path, urllib.parse.urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def upload(self, name, data):
        boundary = uuid.uuid4().hex
        token = self.csrf("/upload")
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'.encode(),
                 f'--{boundary}\r\nContent-Disposition: form-data; name="owner"\r\n\r\nsystem\r\n'.encode(),
                 f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                 f'Content-Type: application/octet-stream\r\n\r\n'.encode() + data + b"\r\n",
                 f"--{boundary}--\r\n".encode()]
        return self.request("POST", "/upload", b"".join(parts),
                            {"Content-Type": f"multipart/form-data; boundary={boundary}", "Accept": "application/json"})


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def worker(base, deadline, stats, lock, blobs, seed):
    rnd = random.Random(seed)
    c = Client(base)
    token = c.csrf("/signin")
    status, _ = c.request("POST", "/signin", urllib.parse.urlencode(
        {"csrf_token": token, "username": "soak", "password": "soak-password-1"}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 303, f"sign-in failed: {status}"
    mine = []
    while time.time() < deadline:
        op = rnd.choices(["browse", "upload", "preview", "delete"], [50, 20, 20, 10])[0]
        if op in ("preview", "delete") and not mine:
            op = "upload"
        t0 = time.perf_counter()
        ok = True
        if op == "browse":
            q = rnd.choice(["", "?sort=name", "?sort=size", "?type=audio", "?type=image", "?last=48", "?q=tone"])
            status, _ = c.request("GET", "/media" + q)
            ok = status == 200
        elif op == "upload":
            name = rnd.choice(FIXTURES)
            status, body = c.upload(name, blobs[name])
            try:
                r = json.loads(body)["results"][0]
                ok = status == 200 and r["ok"]
                if ok:
                    mine.append(r["url"])
            except (ValueError, KeyError, IndexError):
                ok = False
        elif op == "preview":
            item = rnd.choice(mine)
            status, body = c.request("GET", item)
            m = re.search(rb'(?:<img src|<audio controls preload="metadata" src)="([^"]+)"', body)
            ok = status == 200 and m is not None
            if ok:
                src = m.group(1).decode().replace("&#38;", "&").replace("&amp;", "&")
                status, _ = c.request("GET", src, headers={"Range": "bytes=0-65535"})
                ok = status in (200, 206)
        else:
            item = mine.pop(rnd.randrange(len(mine)))
            status, _ = c.form(item + "/delete", {}, item)
            ok = status == 303
        took = time.perf_counter() - t0
        with lock:
            stats.setdefault(op, []).append(took)
            if not ok:
                stats.setdefault("errors", []).append(f"{op} {status}")


def run_load(base, seconds, clients, blobs):
    stats, lock = {}, threading.Lock()
    deadline = time.time() + seconds
    threads = [threading.Thread(target=worker, args=(base, deadline, stats, lock, blobs, i), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    return stats


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--binary", default=os.path.join(ROOT, "target/release/mediadesk"))
    args = ap.parse_args()

    pg = os.environ["MEDIADESK_TEST_PG_URL"]
    db = f"soak_{uuid.uuid4().hex[:8]}"
    host, port = re.match(r"postgres://postgres@([^:]+):(\d+)", pg).groups()
    subprocess.run(["psql", "-h", host, "-p", port, "-U", "postgres", "-qc", f"CREATE DATABASE {db}"], check=True)
    bucket = f"soak-{uuid.uuid4().hex[:8]}"
    os.makedirs(os.path.join(os.environ["MEDIADESK_TEST_S3_DIR"], bucket))
    data_dir = tempfile.mkdtemp(prefix="mediadesk-soak-")
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    app_port = s.getsockname()[1]
    s.close()
    env = dict(os.environ,
               DATABASE_URL=f"{pg}/{db}", MEDIADESK_DATA_DIR=data_dir, MEDIADESK_BIND=f"127.0.0.1:{app_port}",
               MEDIADESK_S3_BUCKET=bucket, MEDIADESK_S3_ENDPOINT=os.environ["MEDIADESK_TEST_S3_ENDPOINT"],
               AWS_ACCESS_KEY_ID=os.environ["MEDIADESK_TEST_S3_ACCESS_KEY"],
               AWS_SECRET_ACCESS_KEY=os.environ["MEDIADESK_TEST_S3_SECRET_KEY"], MEDIADESK_LOG="warn")
    subprocess.run([args.binary, "user", "add", "soak", "--role", "staff", "--password-stdin"], input=b"soak-password-1\n",
                   env=env, check=True, stdout=subprocess.DEVNULL)
    server = subprocess.Popen([args.binary, "serve"], env=env, stderr=open(os.path.join(data_dir, "server.log"), "w"))
    base = f"http://127.0.0.1:{app_port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    blobs = {n: open(os.path.join(ROOT, "tests/fixtures", n), "rb").read() for n in FIXTURES}
    idle_start = rss_kib(server.pid)
    warm = run_load(base, 30, args.clients, blobs)
    time.sleep(5)
    start = rss_kib(server.pid)
    t0 = time.time()
    stats = run_load(base, args.minutes * 60, args.clients, blobs)
    elapsed = time.time() - t0
    peak_during = rss_kib(server.pid)
    time.sleep(10)
    end = rss_kib(server.pid)
    rec = subprocess.run([args.binary, "reconcile", "--json", "--grace-minutes", "0"], env=env, capture_output=True, check=True)
    report = json.loads(rec.stdout)
    server.terminate()
    server.wait(60)

    total = sum(len(v) for k, v in stats.items() if k != "errors")
    errors = stats.get("errors", []) + warm.get("errors", [])
    print(f"\nsoak: {args.clients} clients for {elapsed / 60:.1f} min on PostgreSQL + S3 (after a 30 s warm-up)")
    print(f"requests: {total} ({total / elapsed:.1f}/s), errors: {len(errors)}")
    print("| operation | count | p50 ms | p99 ms |\n|---|---:|---:|---:|")
    for op in ("browse", "upload", "preview", "delete"):
        v = stats.get(op, [])
        print(f"| {op} | {len(v)} | {statistics.median(v) * 1000 if v else 0:.1f} | {pct(v, 0.99) * 1000:.1f} |")
    print(f"server RSS: idle {idle_start / 1024:.1f} MiB, after warm-up {start / 1024:.1f} MiB, "
          f"at the end of the load {peak_during / 1024:.1f} MiB, 10 s later {end / 1024:.1f} MiB "
          f"({(end - start) * 100 / start:+.1f} % vs after warm-up)")
    clean = not (report["orphan_objects"] or report["rows_without_object"] or report["pending_deletions"] or report["missing_derivatives"])
    print(f"reconcile: {'clean' if clean else json.dumps(report)}")
    if errors:
        print("first errors:", errors[:10])
    ok = clean and not errors and end <= start * 1.10
    print("soak:", "PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
