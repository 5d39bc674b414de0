#!/usr/bin/env python3
"""Runs Mediadesk's benchmarks; started by bench/run.sh, which installs the tools, builds the
release binary, generates the inputs and starts PostgreSQL and s3s-fs on 127.0.0.1.

Every figure is a median of repeated runs on this machine, whole process against whole process
for the command-line comparisons. Results go to target/bench/results.json and results.md.
"""
import base64
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

BIN = os.environ["BENCH_BIN"]
OUT = os.environ["BENCH_OUT"]
WORK = os.environ["BENCH_WORK"]
INPUTS = os.path.join(OUT, "inputs")
HERE = os.path.dirname(os.path.abspath(__file__))
RUNS = int(os.environ.get("BENCH_RUNS", "10"))
LOAD_SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "10"))
GALLERY_ITEMS = int(os.environ.get("BENCH_GALLERY_ITEMS", "100000"))
PASSWORD = "bench-password-1"


def say(msg):
    print(f"\n==> {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- measuring tools ---------------------------------------------------------------------

def hyperfine(name, command):
    """Median, min and mean wall time in ms of `command` (a shell string) over RUNS runs, and its mean
    CPU time (user + system)."""
    path = os.path.join(OUT, f"hf-{name}.json")
    subprocess.run(["hyperfine", "--style", "none", "--warmup", "2", "--runs", str(RUNS),
                    "--export-json", path, command], check=True, stdout=subprocess.DEVNULL)
    r = json.load(open(path))["results"][0]
    return {"median_ms": r["median"] * 1000, "min_ms": r["min"] * 1000, "mean_ms": r["mean"] * 1000,
            "cpu_ms": (r["user"] + r["system"]) * 1000}


def peak_rss_kb(command):
    """Median of three peak RSS readings (KiB) of `command` (a list)."""
    values = []
    for _ in range(3):
        p = subprocess.run(["/usr/bin/time", "-f", "%M", *command], capture_output=True, text=True, check=True)
        values.append(int(p.stderr.strip().splitlines()[-1]))
    return statistics.median(values)


def oha(url, cookie, seconds=LOAD_SECONDS, concurrency=32):
    out = subprocess.run(["oha", "-c", str(concurrency), "-z", f"{seconds}s", "--no-tui", "--output-format", "json",
                          "-H", f"Cookie: {cookie}", url], capture_output=True, text=True, check=True).stdout
    d = json.loads(out)
    codes = d.get("statusCodeDistribution", {})
    return {"rps": d["summary"]["requestsPerSec"], "p50_ms": d["latencyPercentiles"]["p50"] * 1000,
            "p99_ms": d["latencyPercentiles"]["p99"] * 1000, "statuses": codes}


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def status_kb(pid, field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


# ---- the server --------------------------------------------------------------------------

class Server:
    def __init__(self, env, log_name):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(OUT, f"{log_name}.log"), "w")
        full = {**os.environ, **env, "MEDIADESK_BIND": f"127.0.0.1:{self.port}"}
        self.proc = subprocess.Popen([BIN, "serve"], env=full, stdout=self.log, stderr=self.log)
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=0.5)
                break
            except OSError:
                if self.proc.poll() is not None:
                    sys.exit(f"the server exited; see {self.log.name}")
                time.sleep(0.05)
        self.cookie = subprocess.run([sys.executable, os.path.join(HERE, "signin.py"), self.base, "bench", PASSWORD],
                                     capture_output=True, text=True, check=True).stdout.strip()

    def csrf(self):
        req = urllib.request.Request(f"{self.base}/upload", headers={"Cookie": self.cookie})
        page = urllib.request.urlopen(req).read().decode()
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def token(self):
        """The session's CSRF token as the upload page's meta tag gives it (for tus)."""
        req = urllib.request.Request(f"{self.base}/upload", headers={"Cookie": self.cookie})
        page = urllib.request.urlopen(req).read().decode()
        return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        self.log.close()


def cli(env, *args, stdin=None):
    subprocess.run([BIN, *args], env={**os.environ, "MEDIADESK_LOG": "warn", **env}, input=stdin, text=True,
                   check=True, stdout=subprocess.DEVNULL)


def socket_url(db):
    return f"postgres://postgres@localhost/{db}?host={os.environ['PGSOCKET']}&port={os.environ['PGPORT']}"


def tcp_url(db):
    return f"postgres://postgres@127.0.0.1:{os.environ['PGPORT']}/{db}"


def backend_env(name, data_dir):
    env = {"MEDIADESK_DATA_DIR": data_dir}
    if name == "postgres_s3":
        db = f"bench_{int(time.time() * 1000)}"
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", os.environ["PGPORT"], "-U", "postgres", "-qc",
                        f"CREATE DATABASE {db}"], check=True)
        bucket = db.replace("_", "-")
        os.makedirs(os.path.join(os.environ["S3DIR"], bucket))  # s3s-fs: a bucket is a folder
        env.update({
            # PostgreSQL on this host, over its Unix socket as a same-host install connects (the
            # gallery also measures two pages over TCP, for an install where it runs elsewhere).
            "DATABASE_URL": socket_url(db),
            "MEDIADESK_S3_BUCKET": bucket,
            "MEDIADESK_S3_ENDPOINT": f"http://127.0.0.1:{os.environ['S3PORT']}",
            "AWS_ACCESS_KEY_ID": os.environ["S3KEY"],
            "AWS_SECRET_ACCESS_KEY": os.environ["S3SECRET"],
        })
    os.makedirs(data_dir, exist_ok=True)
    cli(env, "user", "add", "bench", "--role", "staff", "--password-stdin", stdin=PASSWORD + "\n")
    return env


# ---- 1. thumbnails, probes, waveforms ----------------------------------------------------

THUMBS = [("photo-24mp.jpg", 0.75), ("photo-24mp-rotated.jpg", 0.75), ("photo-12mp.png", 0.5),
          ("anim-640x480-24f.gif", 0.25), ("photo-4000x3000.webp", 1.0)]
SONGS = ["song-5min-cbr192.mp3", "song-5min-vbr-noxing.mp3", "song-5min.flac", "song-5min.m4a"]
WAVE_TARGETS = {"song-5min-cbr192.mp3": 75, "song-5min-vbr-noxing.mp3": 75, "song-5min.flac": 50,
                "song-5min.m4a": 50, "song-5min.wav": 30}


def with_and_without(without, with_):
    """`mediadesk waveform` on two cores for each song, once with each (name, flags) pair."""
    rows = []
    for name in ["song-5min-cbr192.mp3", "song-5min.flac", "song-5min.m4a", "song-5min.wav"]:
        src = os.path.join(INPUTS, name)
        stem = name.rsplit(".", 1)[0]
        row = {"input": name}
        for key, flags in (without, with_):
            row[key] = hyperfine(f"{key}-{flags.replace(' ', '')}-{stem}", f"taskset -c 0,1 {BIN} waveform {src} {flags}")
        rows.append(row)
    return rows


def bench_media():
    res = {"thumbnails": [], "probes": [], "waveforms": []}
    tdir = os.path.join(OUT, "thumbs")
    os.makedirs(tdir, exist_ok=True)
    say("thumbnails: mediadesk thumbnail vs vipsthumbnail")
    for name, target in THUMBS:
        src = os.path.join(INPUTS, name)
        stem = name.rsplit(".", 1)[0]
        vips_out, md_out = os.path.join(tdir, f"vips-{stem}.jpg"), os.path.join(tdir, f"md-{stem}.jpg")
        vips = hyperfine(f"vips-{stem}", f"vipsthumbnail {src} -s 320x320 -o {vips_out}[Q=80]")
        md = hyperfine(f"md-{stem}", f"{BIN} thumbnail {src} {md_out} --size 320")
        vips_rss = peak_rss_kb(["vipsthumbnail", src, "-s", "320x320", "-o", f"{vips_out}[Q=80]"])
        md_rss = peak_rss_kb([BIN, "thumbnail", src, md_out, "--size", "320"])
        res["thumbnails"].append({"input": name, "target": target, "vips": vips, "mediadesk": md,
                                  "vips_rss_kb": vips_rss, "mediadesk_rss_kb": md_rss})
    say("audio: mediadesk probe vs ffprobe, durations against every sample ffmpeg decodes")
    for name in SONGS:
        src = os.path.join(INPUTS, name)
        stem = name.rsplit(".", 1)[0]
        ffprobe = hyperfine(f"ffprobe-{stem}", f"ffprobe -v error -show_entries format=duration -of csv=p=0 {src}")
        md = hyperfine(f"probe-{stem}", f"{BIN} probe {src}")
        info = json.loads(subprocess.run([BIN, "probe", src], capture_output=True, text=True, check=True).stdout)
        pcm = subprocess.run(["ffmpeg", "-v", "error", "-i", src, "-ac", "1", "-f", "s16le", "-"],
                             capture_output=True, check=True).stdout
        true_s = len(pcm) / 2 / info["sample_rate"]
        ffprobe_s = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                                          "csv=p=0", src], capture_output=True, text=True, check=True).stdout)
        res["probes"].append({"input": name, "ffprobe": ffprobe, "mediadesk": md, "true_s": true_s,
                              "ffprobe_s": ffprobe_s, "mediadesk_s": info["duration_ms"] / 1000})
    say("waveforms: mediadesk waveform on one core")
    for name, target in WAVE_TARGETS.items():
        src = os.path.join(INPUTS, name)
        stem = name.rsplit(".", 1)[0]
        # The upload's decode and peaks; the loudness meter and print it also runs are timed below.
        t = hyperfine(f"wave-{stem}", f"taskset -c 0 {BIN} waveform {src} --without-loudness --without-print")
        info = json.loads(subprocess.run([BIN, "probe", src], capture_output=True, text=True, check=True).stdout)
        minutes = info["duration_ms"] / 60000
        res["waveforms"].append({"input": name, "target_ms_per_min": target, "time": t,
                                 "ms_per_min": t["median_ms"] / minutes})
    say("loudness: the upload's decode with and without the meter beside it, on two cores")
    res["loudness"] = with_and_without(("plain", "--without-loudness --without-print"), ("metered", "--without-print"))
    say("sound print: the upload's decode and meter with and without the print beside them, on two cores")
    res["print"] = with_and_without(("plain", "--without-print"), ("printed", ""))
    say("rendition: ALAC decoded, then decoded while writing its FLAC copy")
    src = os.path.join(INPUTS, "song-5min-alac.m4a")
    out = os.path.join(OUT, "rendition.flac")
    plain = hyperfine("alac-plain", f"taskset -c 0 {BIN} waveform {src} --without-loudness --without-print")
    rendered = hyperfine("alac-flac",
                         f"taskset -c 0 {BIN} waveform {src} --without-loudness --without-print --rendition {out}")
    res["rendition"] = {"input": "song-5min-alac.m4a", "plain": plain, "rendered": rendered,
                        "alac_bytes": os.path.getsize(src), "flac_bytes": os.path.getsize(out)}
    return res


# ---- 2. uploads ---------------------------------------------------------------------------

UPLOAD_FILE = "upload-100mb.wav"


def post_files(server, path, copies, announce):
    token = server.csrf()
    size = os.path.getsize(path)
    cmds = []
    for i in range(copies):
        cmd = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", f"Cookie: {server.cookie}",
               "-H", "Accept: application/json", "-F", f"csrf_token={token}"]
        # The same bytes again and again: keep each copy (the form refuses duplicates otherwise).
        cmd += ["-F", "keep_duplicates=1"]
        if announce:
            cmd += ["-F", f"size={size}"]
        ext = os.path.splitext(path)[1]
        cmd += ["-F", f"file=@{path};filename=bench-{i}{ext}", f"{server.base}/upload"]
        cmds.append(cmd)
    started = time.monotonic()
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, text=True) for c in cmds]
    codes = [p.communicate()[0] for p in procs]
    seconds = time.monotonic() - started
    if any(c != "200" for c in codes):
        sys.exit(f"an upload failed: {codes}")
    return seconds


def tus_upload(server, path, token, piece, name, failures):
    """One file through /uploads/tus in pieces of `piece` bytes, each read from disk as it goes
    (a client holds one piece in memory, as the page's script does)."""
    size = os.path.getsize(path)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
    base = {"Cookie": server.cookie, "Tus-Resumable": "1.0.0", "X-CSRF-Token": token}
    meta = "filename " + base64.b64encode(name.encode()).decode()
    conn.request("POST", "/uploads/tus", headers={**base, "Upload-Length": str(size), "Upload-Metadata": meta})
    r = conn.getresponse()
    r.read()
    if r.status != 201:
        failures.append(f"create: {r.status}")
        return
    location = r.getheader("Location")
    offset = 0
    with open(path, "rb") as f:
        while offset < size:
            chunk = f.read(piece)
            conn.request("PATCH", location, body=chunk, headers={
                **base, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
            r = conn.getresponse()
            r.read()
            if r.status != 204:
                failures.append(f"piece at {offset}: {r.status}")
                return
            offset += len(chunk)
    if not r.getheader("Mediadesk-Media"):
        failures.append("no item after the last piece")


def tus_files(server, path, copies, piece=16 << 20):
    token = server.token()
    failures = []
    threads = [threading.Thread(target=tus_upload, args=(server, path, token, piece, f"tus-{i}.wav", failures))
               for i in range(copies)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.monotonic() - started
    if failures:
        sys.exit(f"a tus upload failed: {failures}")
    return seconds


def s3_curl(*args):
    """curl signing its request for the benchmark's S3 server; returns headers and body as text."""
    return subprocess.run(["curl", "-s", "-f", "-D", "-", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user",
                           f"{os.environ['S3KEY']}:{os.environ['S3SECRET']}", "-H",
                           "x-amz-content-sha256: UNSIGNED-PAYLOAD", *args], capture_output=True, text=True,
                          check=True).stdout


def direct_put(path, bucket):
    url = f"http://127.0.0.1:{os.environ['S3PORT']}/{bucket}/direct-{time.time_ns()}.wav"
    started = time.monotonic()
    s3_curl("-o", "/dev/null", "-T", path, url)
    return time.monotonic() - started


def direct_multipart(path, bucket, part_size=8 << 20):
    """The same file as an S3 multipart upload in 8 MiB parts sent one after another, as the
    server sends a form upload whose size it is not told: (whole upload, completion alone) in s."""
    parts = []
    with open(path, "rb") as f:
        while chunk := f.read(part_size):
            parts.append(os.path.join(WORK, f"part-{len(parts) + 1}"))
            open(parts[-1], "wb").write(chunk)
    url = f"http://127.0.0.1:{os.environ['S3PORT']}/{bucket}/direct-mp-{time.time_ns()}.wav"
    started = time.monotonic()
    body = s3_curl("-X", "POST", f"{url}?uploads=")  # curl signs a bare `?uploads` wrongly
    upload_id = re.search(r"<UploadId>([^<]+)</UploadId>", body).group(1)
    etags = []
    for n, part in enumerate(parts, 1):
        head = s3_curl("-T", part, f"{url}?partNumber={n}&uploadId={upload_id}")
        etags.append(re.search(r"(?im)^etag:\s*(\S+)", head).group(1))
    xml = "<CompleteMultipartUpload>" + "".join(
        f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>" for n, e in enumerate(etags, 1)
    ) + "</CompleteMultipartUpload>"
    completing = time.monotonic()
    s3_curl("-X", "POST", "--data-binary", xml, f"{url}?uploadId={upload_id}")
    done = time.monotonic()
    for part in parts:
        os.remove(part)
    return done - started, done - completing


def bench_uploads():
    say("uploads: 100 MB of audio through the upload form, PostgreSQL + S3 (s3s-fs)")
    env = backend_env("postgres_s3", os.path.join(WORK, "upload"))
    path = os.path.join(INPUTS, UPLOAD_FILE)
    size = os.path.getsize(path)
    server = Server(env, "upload-server")
    pid = server.proc.pid
    time.sleep(1)
    idle_kb = status_kb(pid, "VmRSS")
    res = {"file_bytes": size, "idle_rss_kb": idle_kb, "runs": {}}
    res["direct_put_s"] = statistics.median(direct_put(path, env["MEDIADESK_S3_BUCKET"]) for _ in range(5))
    multipart = [direct_multipart(path, env["MEDIADESK_S3_BUCKET"]) for _ in range(5)]
    res["direct_multipart_s"] = statistics.median(m[0] for m in multipart)
    res["direct_multipart_complete_s"] = statistics.median(m[1] for m in multipart)
    cases = [("one, form", 1, False), ("one, announced", 1, True), ("one, tus 16 MiB pieces", 1, "tus"),
             ("eight at once, form", 8, False), ("eight at once, announced", 8, True),
             ("eight at once, tus 16 MiB pieces", 8, "tus")]
    for label, copies, how in cases:
        seconds, growth = [], []
        for _ in range(3 if copies == 1 else 2):
            with open(f"/proc/{pid}/clear_refs", "w") as f:
                f.write("5")  # the peak (VmHWM) starts again from the current RSS
            if how == "tus":
                seconds.append(tus_files(server, path, copies))
            else:
                seconds.append(post_files(server, path, copies, how))
            growth.append(status_kb(pid, "VmHWM") - idle_kb)
        res["runs"][label] = {"copies": copies, "seconds": statistics.median(seconds),
                              "peak_growth_kb": max(growth)}
    # A large photo: the decode, thumbnail and display rendition are on the upload's path.
    photo = os.path.join(INPUTS, "photo-24mp.jpg")
    times = [post_files(server, photo, 1, True) for _ in range(12)][2:]
    res["photo"] = {"file_bytes": os.path.getsize(photo), "seconds": statistics.median(times)}
    server.stop()
    return res


def bench_zip():
    """A ZIP of 11 copies of the 100 MB file (1.1 GB) streamed from S3 through the app: time and
    the server's peak RSS over idle while it streams."""
    say("ZIP: 1.1 GB of audio streamed as one archive, PostgreSQL + S3 (s3s-fs)")
    env = backend_env("postgres_s3", os.path.join(WORK, "zip"))
    path = os.path.join(INPUTS, UPLOAD_FILE)
    server = Server(env, "zip-server")
    pid = server.proc.pid
    for _ in range(11):
        post_files(server, path, 1, True)
    req = urllib.request.Request(f"{server.base}/media?type=audio&per=200", headers={"Cookie": server.cookie})
    items = re.findall(r'name="item" value="(audio:[0-9]+)"', urllib.request.urlopen(req).read().decode())
    time.sleep(1)
    idle_kb = status_kb(pid, "VmRSS")
    seconds, growth, size = [], [], 0
    for _ in range(3):
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        form = [("csrf_token", server.csrf())] + [("item", i) for i in items]
        body = urllib.parse.urlencode(form).encode()
        req = urllib.request.Request(f"{server.base}/media/zip", data=body, headers={"Cookie": server.cookie})
        started = time.monotonic()
        size = 0
        with urllib.request.urlopen(req) as resp:
            while chunk := resp.read(1 << 20):
                size += len(chunk)
        seconds.append(time.monotonic() - started)
        growth.append(status_kb(pid, "VmHWM") - idle_kb)
    server.stop()
    return {"items": len(items), "zip_bytes": size, "seconds": statistics.median(seconds),
            "peak_growth_kb": max(growth), "idle_rss_kb": idle_kb}


# ---- 3. the gallery -----------------------------------------------------------------------

def bench_gallery():
    res = {"items": GALLERY_ITEMS, "backends": {}}
    for backend in ["sqlite_local", "postgres_s3"]:
        say(f"gallery: {GALLERY_ITEMS} items on {backend} (seeding…)")
        env = backend_env(backend, os.path.join(WORK, f"gallery-{backend}"))
        started = time.monotonic()
        cli(env, "seed", "--load", str(GALLERY_ITEMS), "--organize")
        seeded_s = time.monotonic() - started
        plans = subprocess.run([BIN, "explain"], env={**os.environ, **env}, capture_output=True, text=True,
                               check=True).stdout
        open(os.path.join(OUT, f"explain-{backend}.txt"), "w").write(plans)
        server = Server(env, f"gallery-{backend}")
        first = urllib.request.urlopen(urllib.request.Request(f"{server.base}/media?per=50",
                                                             headers={"Cookie": server.cookie})).read().decode()
        css = re.search(r'href="(/static/app\.css[^"]*)"', first)
        # The page's own "Last" link: the last page as "Next" would reach it.
        last = re.search(r'href="([^"]*)" rel="last"', first).group(1).replace("&#38;", "&")
        urls = {"static stylesheet": css.group(1), "first page": "/media?per=50", "last page": last}
        # Organized: a tag on one image in eight, a collection of a tenth of the library, and a
        # search matching about one item in a hundred; first and last page of each.
        big = re.search(r'href="/collections/(\d+)">load-big</a>', page(server, "/collections")).group(1)
        for label, view in [("tag", "/media?per=50&tags=load-common"),
                            ("collection", f"/collections/{big}?per=50"),
                            ("search", "/media?per=50&q=load-0001")]:
            urls[f"{label}, first page"] = view
            urls[f"{label}, last page"] = re.search(r'href="([^"]*)" rel="last"', page(server, view)).group(1) \
                .replace("&#38;", "&")
        # A thumbnail through the app's signed file route (the local store; S3 links go to S3):
        # the link check, the pending-deletion lookup and the file.
        thumb = re.search(r'<img src="(/files/[^"]+)"', first)
        if thumb:
            urls["thumbnail file"] = thumb.group(1).replace("&#38;", "&")
        out = {"seeded_s": seeded_s}
        oha(server.base + urls["first page"], server.cookie, seconds=10)  # warm-up: caches, allocator
        for label, path in urls.items():
            runs = [oha(server.base + path, server.cookie) for _ in range(3)]
            out[label] = {k: median_of(runs, k) for k in ("rps", "p50_ms", "p99_ms")}
        if backend == "sqlite_local":
            out["first page, 8 uploads running"] = page_under_uploads(server)
        server.stop()
        if backend == "postgres_s3":
            db = env["DATABASE_URL"].split("?")[0].rsplit("/", 1)[1]
            server = Server({**env, "DATABASE_URL": tcp_url(db)}, f"gallery-{backend}-tcp")
            oha(server.base + urls["first page"], server.cookie, seconds=5)
            for label in ["first page", "collection, first page"]:
                runs = [oha(server.base + urls[label], server.cookie) for _ in range(3)]
                out[f"{label}, over TCP"] = {k: median_of(runs, k) for k in ("rps", "p50_ms", "p99_ms")}
            server.stop()
        res["backends"][backend] = out
    return res


# ---- 3b. look- and sound-alike groups ------------------------------------------------------

def sql_on(backend, env, statements):
    """Runs SQL on a bench library's database (the seed's own rows)."""
    if backend == "sqlite_local":
        import sqlite3
        db = sqlite3.connect(os.path.join(env["MEDIADESK_DATA_DIR"], "mediadesk.db"))
        db.executescript(statements)
        db.close()
    else:
        db = env["DATABASE_URL"].split("?")[0].rsplit("/", 1)[1]
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", os.environ["PGPORT"], "-U", "postgres", "-d", db,
                        "-qc", statements], check=True)


def bench_alike():
    """The staff's look- and sound-alike groups page over the gallery's library: every look
    read once and bucketed, the keys held twice and their holders paired. One image in 50 is a copy of
    the one before (the same look), one sound in 50 a copy of the one before (the same keys);
    every sound holds a two-minute print (960 values), so each pair is compared."""
    res = {"items": GALLERY_ITEMS, "backends": {}}
    for backend in ["sqlite_local", "postgres_s3"]:
        say(f"alike groups: {GALLERY_ITEMS} items on {backend} (seeding…)")
        env = backend_env(backend, os.path.join(WORK, f"alike-{backend}"))
        cli(env, "seed", "--load", str(GALLERY_ITEMS))
        print_hex = "".join(f"{(i * 2654435761) & 0xFFFFFFFF:08x}" for i in range(960))
        blob = f"X'{print_hex}'" if backend == "sqlite_local" else f"'\\x{print_hex}'::bytea"
        numbers = ("WITH RECURSIVE n(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM n WHERE n < 23) SELECT n FROM n"
                   if backend == "sqlite_local" else "SELECT generate_series(0, 23) AS n")
        sql_on(backend, env, f"""
            UPDATE images SET look = (SELECT p.look FROM images p WHERE p.id = images.id - 1) WHERE id % 50 = 0;
            UPDATE audios SET print = {blob};
            INSERT INTO sound_keys (key, audio_id)
              SELECT (CASE WHEN a.id % 50 = 0 THEN a.id - 1 ELSE a.id END) * 64 + k.n, a.id
              FROM audios a, ({numbers}) k;
            ANALYZE;""")
        server = Server(env, f"alike-{backend}")
        body = page(server, "/duplicates/alike")
        out = {"groups shown": body.count('class="trash duplicate-group"')}
        page(server, "/duplicates/alike")  # warm-up
        runs = [oha(server.base + "/duplicates/alike", server.cookie, seconds=10, concurrency=1)
                for _ in range(3)]
        out["staff, every group"] = {k: median_of(runs, k) for k in ("rps", "p50_ms", "p99_ms")}
        server.stop()
        res["backends"][backend] = out
    return res


# ---- 4. a change to a whole view -----------------------------------------------------------

EDIT_ITEMS = 5000  # the most one change of a view reaches (media::MAX_VIEW_EDIT)


def bench_edit():
    """The credit of every item of a 5 000-item view set in one change, as staff: the question
    (a walk of the view) and the answer (each item changed on its own, in its own transaction
    with its audit row), wall seconds on each backend, median of three."""
    res = {"items": EDIT_ITEMS, "backends": {}}
    for backend in ["sqlite_local", "postgres_s3"]:
        say(f"whole-view change: {EDIT_ITEMS} items on {backend}")
        env = backend_env(backend, os.path.join(WORK, f"edit-{backend}"))
        cli(env, "seed", "--load", str(EDIT_ITEMS))
        server = Server(env, f"edit-{backend}")
        asked, answered = [], []
        for n in range(3):
            fields = [("csrf_token", server.csrf()), ("scope", "view"), ("back", "/media/system?per=50"),
                      ("action", "credit"), ("value", f"Bench run {n}")]
            for answer, times in [([], asked), ([("confirmed", "yes")], answered)]:
                body = urllib.parse.urlencode(fields + answer).encode()
                req = urllib.request.Request(f"{server.base}/media/bulk/edit", data=body,
                                             headers={"Cookie": server.cookie})
                started = time.monotonic()
                page = urllib.request.urlopen(req, timeout=600).read().decode()
                times.append(time.monotonic() - started)
            if f"{EDIT_ITEMS:,}".replace(",", "\u202f") + " items credited" not in page:
                sys.exit(f"the change did not reach {EDIT_ITEMS} items: {page[:2000]}")
        server.stop()
        res["backends"][backend] = {"question_s": statistics.median(asked), "change_s": statistics.median(answered)}
    return res


DELETE_ITEMS = 500  # real uploads: a delete moves each item's objects to the trash


def bench_delete():
    """A whole view of 500 uploaded photos moved to the trash in one delete, as staff: each
    item's file and thumbnail copied to trash keys and the originals removed, its row marked,
    an audit row; wall seconds on each backend (one run: the items are gone after it)."""
    photo = os.path.join(HERE, "..", "tests", "fixtures", "image.jpg")
    res = {"items": DELETE_ITEMS, "backends": {}}
    for backend in ["sqlite_local", "postgres_s3"]:
        say(f"whole-view delete: {DELETE_ITEMS} photos on {backend}")
        env = backend_env(backend, os.path.join(WORK, f"delete-{backend}"))
        server = Server(env, f"delete-{backend}")
        for _ in range(DELETE_ITEMS // 5):  # five at a time: the server turns away a crowd (503)
            post_files(server, photo, 5, True)
        fields = [("csrf_token", server.csrf()), ("scope", "view"), ("back", "/media?per=50")]
        times = []
        for answer in [[], [("confirmed", "yes")]]:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
            started = time.monotonic()
            conn.request("POST", "/media/bulk", urllib.parse.urlencode(fields + answer),
                         {"Cookie": server.cookie, "Content-Type": "application/x-www-form-urlencoded"})
            resp = conn.getresponse()
            resp.read()
            times.append(time.monotonic() - started)
            conn.close()
        left = page(server, "/media?per=200").count('<li class="card')
        if resp.status != 303 or left:
            sys.exit(f"the delete answered {resp.status} and left {left} items")
        server.stop()
        res["backends"][backend] = {"question_s": times[0], "delete_s": times[1]}
    return res


TURN_ITEMS = 40  # each turn reads, writes and previews a whole file
# What is turned: JPEGs change a tag; a PNG's, GIF's or WebP's pixels are moved and compressed again.
TURN_FILES = [("jpeg", "photo-24mp.jpg"), ("png", "photo-12mp.png"), ("gif", "anim-640x480-24f.gif"),
              ("webp", "photo-4000x3000.webp")]


def bench_turn():
    """A selection of 40 uploaded files turned right, as staff, once for each of TURN_FILES: each
    file read, turned, written as a new file (the old one kept as a version), its thumbnail and
    display copy made again; wall seconds on each backend (one run each)."""
    res = {"items": TURN_ITEMS, "backends": {}}
    for backend in ["sqlite_local", "postgres_s3"]:
        env = backend_env(backend, os.path.join(WORK, f"turn-{backend}"))
        server = Server(env, f"turn-{backend}")
        res["backends"][backend] = {}
        for kind, name in TURN_FILES:
            say(f"turning a selection: {TURN_ITEMS} × {name} on {backend}")
            for _ in range(TURN_ITEMS // 4):
                post_files(server, os.path.join(INPUTS, name), 4, True)
            picked = re.findall(r'name="item" value="(image:\d+)"', page(server, "/media?per=200"))
            picked = picked[:TURN_ITEMS]
            fields = [("csrf_token", server.csrf()), ("action", "turn-right"), ("back", "/media")]
            fields += [("item", p) for p in picked]
            req = urllib.request.Request(f"{server.base}/media/bulk/edit",
                                         data=urllib.parse.urlencode(fields).encode(),
                                         headers={"Cookie": server.cookie})
            started = time.monotonic()
            said = urllib.request.urlopen(req, timeout=900).read().decode()
            seconds = time.monotonic() - started
            if f"{TURN_ITEMS} items turned right" not in said:
                sys.exit(f"the turn did not reach {TURN_ITEMS} {kind} files: {said[:2000]}")
            res["backends"][backend][f"{kind}_turn_s"] = seconds
        server.stop()
    return res


CROP_COPIES = 5  # of each file, cropped; as many turned, to compare


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def bench_crop():
    """One image at a time cropped to its middle half, and as many copies of it turned right, as
    staff from the item's page: each reads the file, writes a new one (the old kept as a
    version) and makes its previews again; median wall milliseconds of five of each, per file
    and backend. A JPEG's crop copies its blocks inside (no re-encoding)."""
    res = {"copies": CROP_COPIES, "backends": {}}
    no_redirect = urllib.request.build_opener(NoRedirect)
    for backend in ["sqlite_local", "postgres_s3"]:
        env = backend_env(backend, os.path.join(WORK, f"crop-{backend}"))
        server = Server(env, f"crop-{backend}")
        res["backends"][backend] = {}
        seen = set()
        for kind, name in TURN_FILES:
            say(f"cropping and turning {CROP_COPIES} × {name} each on {backend}")
            post_files(server, os.path.join(INPUTS, name), 2 * CROP_COPIES, True)
            ids = [i for i in re.findall(r'name="item" value="image:(\d+)"', page(server, "/media?per=200"))
                   if i not in seen]
            seen.update(ids)
            times = {"crop": [], "turn": []}
            for n, item in enumerate(ids):
                doc = json.loads(page(server, f"/api/v1/media/image/{item}"))
                w, h = doc["width"], doc["height"]
                action = "crop" if n % 2 == 0 else "turn"
                fields = ([("left", w // 4), ("top", h // 4), ("width", w // 2), ("height", h // 2)]
                          if action == "crop" else [("turn", "right")])
                req = urllib.request.Request(f"{server.base}/media/image/{item}/{action}",
                                             data=urllib.parse.urlencode([("csrf_token", server.csrf())] + fields).encode(),
                                             headers={"Cookie": server.cookie})
                started = time.monotonic()
                try:
                    no_redirect.open(req, timeout=600)
                    sys.exit(f"the {action} of {name} did not answer with a redirect")
                except urllib.error.HTTPError as e:
                    if e.code != 303:
                        sys.exit(f"the {action} of {name} answered {e.code}")
                times[action].append(time.monotonic() - started)
                after = json.loads(page(server, f"/api/v1/media/image/{item}"))
                if action == "crop" and not (w // 2 <= after["width"] < w // 2 + 16):
                    sys.exit(f"the crop of {name} left it {after['width']} wide, from {w}")
            res["backends"][backend][kind] = {a: statistics.median(t) * 1000 for a, t in times.items()}
        server.stop()
    return res


def page(server, path):
    req = urllib.request.Request(f"{server.base}{path}", headers={"Cookie": server.cookie})
    return urllib.request.urlopen(req).read().decode()


def page_under_uploads(server):
    """The first page at concurrency 32 while eight clients upload 24 MP photos back to back."""
    token = server.csrf()
    photo = os.path.join(INPUTS, "photo-24mp.jpg")
    stop = os.path.join(WORK, "stop-uploads")
    loop = (f'while [ ! -e {stop} ]; do curl -s -o /dev/null -H "Cookie: {server.cookie}" '
            f'-H "Accept: application/json" -F "csrf_token={token}" -F keep_duplicates=1 -F "file=@{photo};filename=busy.jpg" '
            f'{server.base}/upload; done')
    uploaders = [subprocess.Popen(["bash", "-c", loop]) for _ in range(8)]
    try:
        time.sleep(2)
        runs = [oha(server.base + "/media?per=50", server.cookie) for _ in range(3)]
    finally:
        open(stop, "w").close()
        for u in uploaders:
            u.wait()
        os.remove(stop)
    return {k: median_of(runs, k) for k in ("rps", "p50_ms", "p99_ms")}


# ---- main ---------------------------------------------------------------------------------

def main():
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    path = os.path.join(OUT, "results.json")
    results = json.load(open(path)) if os.path.exists(path) else {}
    results["machine"] = {"cpus": os.cpu_count(), "kernel": os.uname().release,
                          "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    if what in ("all", "media"):
        results["media"] = bench_media()
    if what in ("all", "upload"):
        results["uploads"] = bench_uploads()
    if what in ("all", "zip"):
        results["zip"] = bench_zip()
    if what in ("all", "gallery"):
        results["gallery"] = bench_gallery()
    if what in ("all", "alike"):
        results["alike"] = bench_alike()
    if what in ("all", "edit"):
        results["edit"] = bench_edit()
        results["delete"] = bench_delete()
    if what in ("all", "edit", "turn"):
        results["turn"] = bench_turn()
    if what in ("all", "crop"):
        results["crop"] = bench_crop()
    json.dump(results, open(path, "w"), indent=2)
    table = subprocess.run([sys.executable, os.path.join(HERE, "report.py"), path], capture_output=True, text=True,
                           check=True).stdout
    open(os.path.join(OUT, "results.md"), "w").write(table)
    print(table)


if __name__ == "__main__":
    main()
