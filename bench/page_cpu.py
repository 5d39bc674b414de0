#!/usr/bin/env python3
"""The app's own CPU time per gallery page, two builds taking turns on one seeded SQLite
library: what a change to page rendering costs, free of the load generator's and the
database's share of the machine, which move `oha`'s req/s by ±10 % from run to run.

    python3 bench/page_cpu.py NEW_BINARY OLD_BINARY [ROUNDS]

Needs `oha` (bench/run.sh installs it). Seeds 100 000 items once into target/bench/page-cpu.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(HERE, "..", "target", "bench", "page-cpu")
os.makedirs(WORK, exist_ok=True)
os.environ.update({"BENCH_BIN": os.path.abspath(sys.argv[1]), "BENCH_OUT": WORK, "BENCH_WORK": WORK})
sys.path.insert(0, HERE)
import run  # noqa: E402  (reads the environment set just above)

BUILDS = {"new": os.path.abspath(sys.argv[1]), "old": os.path.abspath(sys.argv[2])}
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 4
REQUESTS = 4000
PAGES = ["/media?per=50", "/media?per=50&tags=load-common"]


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(server, path, n):
    subprocess.run(["oha", "-c", "4", "-n", str(n), "--no-tui", "-H", f"Cookie: {server.cookie}",
                    server.base + path], capture_output=True, check=True)


def main():
    data = os.path.join(WORK, "sqlite")
    if os.path.exists(data):
        env = {"MEDIADESK_DATA_DIR": data}
    else:
        env = run.backend_env("sqlite_local", data)
        run.cli(env, "seed", "--load", "100000", "--organize")
    found = {}
    for r in range(ROUNDS):
        for name in (["old", "new"] if r % 2 == 0 else ["new", "old"]):
            run.BIN = BUILDS[name]
            server = run.Server(env, f"page-cpu-{name}")
            for path in PAGES:
                load(server, path, 500)  # warm-up: caches, allocator
                before = cpu_seconds(server.proc.pid)
                load(server, path, REQUESTS)
                us = (cpu_seconds(server.proc.pid) - before) / REQUESTS * 1e6
                found.setdefault((path, name), []).append(round(us))
            server.stop()
    for path in PAGES:
        for name in ["new", "old"]:
            print(f"{path}  {name}: {sorted(found[(path, name)])} µs of app CPU a page")


if __name__ == "__main__":
    main()
