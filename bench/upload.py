#!/usr/bin/env python3
"""Posts files through Mediadesk's upload form with curl, as a browser without JavaScript does.

Usage: bench/upload.py BASE_URL COOKIE FILE [COPIES] [--announce]
With --announce, each file's size goes first, as the JavaScript uploader sends it.
Prints one JSON line: seconds (wall, all copies at once), bytes, and each response's status.
"""
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

base, cookie, path = sys.argv[1:4]
args = [a for a in sys.argv[4:] if a != "--announce"]
announce = "--announce" in sys.argv[4:]
copies = int(args[0]) if args else 1
size_field = ["-F", f"size={os.path.getsize(path)}"] if announce else []
req = urllib.request.Request(f"{base}/upload", headers={"Cookie": cookie})
token = re.search(r'name="csrf_token" value="([^"]+)"', urllib.request.urlopen(req).read().decode()).group(1)
started = time.monotonic()
procs = [
    subprocess.Popen(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", f"Cookie: {cookie}",
         "-H", "Accept: application/json", "-F", f"csrf_token={token}", *size_field,
         "-F", f"file=@{path};filename=bench-{i}-{os.path.basename(path)}", f"{base}/upload"],
        stdout=subprocess.PIPE, text=True)
    for i in range(copies)
]
statuses = [p.communicate()[0] for p in procs]
seconds = time.monotonic() - started
print(json.dumps({"seconds": seconds, "bytes": os.path.getsize(path) * copies, "statuses": statuses}))
