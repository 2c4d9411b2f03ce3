"""Distributed crawl throughput: pages/s for 1, 2 and 3 workers, and Redis round-trips per page.

Serves the fixture news web on 127.0.0.1 with a per-request latency (a distant site), starts a private redis-server
on a free port, enqueues every source of the demo sources file once (as `blockradar daemon --redis` does), runs N
`blockradar worker`s until the queue is empty and nothing is in flight, and reads the pages fetched from the workers'
stats and the commands Redis processed from `INFO stats`. One summary line last.

Usage: python benchmarks/distributed.py [--workers 1,2,3] [--latency 0.2] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import redis

from crawler.demo.server import FixtureWeb
from crawler.distributed.link import WorkerLink
from crawler.sources import load_sources

PREFIX = "blockradar:"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(directory)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    client.close()
    return process, url


def idle(client: redis.Redis) -> bool:
    inflight = sum(client.hlen(k) for k in client.scan_iter(f"{PREFIX}inflight:*"))
    return client.llen(f"{PREFIX}start_urls") == 0 and client.zcard(f"{PREFIX}requests") == 0 and inflight == 0


def run(web: FixtureWeb, workers: int, work: Path) -> tuple[float, int, int]:
    """One distributed crawl: (seconds, pages fetched, Redis commands processed)."""
    server, url = start_redis(work)
    client = redis.Redis.from_url(url)
    sources_text = (REPO / "crawler" / "demo" / "sources.toml").read_text(encoding="utf-8")
    for name, base in web.sites.items():
        sources_text = sources_text.replace(f"{{{{site:{name}}}}}", base)
    sources_file = work / "sources.toml"
    sources_file.write_text(sources_text, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    logs = [work / f"worker-{i}.log" for i in range(workers)]
    procs = []
    for log in logs:
        with log.open("wb") as handle:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "crawler.cli", "worker", "--redis", url, "--output", str(work / "out"),
                 "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "WORKER_POLL_MAX=0.5", "-s", "LOG_LEVEL=INFO",
                 "-s", "CONCURRENT_REQUESTS=8"],
                stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=work))
    time.sleep(4)  # let the workers start (imports, model loading) before the clock starts
    before = int(client.info("stats")["total_commands_processed"])
    link = WorkerLink(client, PREFIX, worker_id="bench")
    started = time.monotonic()
    for source in load_sources(sources_file):
        link.push_start({"source": {"name": source.name, "url": source.url, "kind": source.kind}, "run_id": None})
    time.sleep(1)
    while not idle(client):
        time.sleep(0.2)
    elapsed = time.monotonic() - started
    commands = int(client.info("stats")["total_commands_processed"]) - before
    for process in procs:
        process.send_signal(signal.SIGTERM)
    for process in procs:
        process.wait(timeout=60)
    pages = 0
    for log in logs:
        match = re.search(r"'response_received_count': (\d+)", log.read_text(encoding="utf-8", errors="replace"))
        pages += int(match.group(1)) if match else 0
    client.close()
    server.terminate()
    server.wait(timeout=10)
    return elapsed, pages, commands


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", default="1,2,3")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds each response is delayed")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    print(f"fixture web, {args.latency:.2f} s per response; machine: {os.cpu_count()} cores")
    print(f"{'workers':>7} {'pages':>6} {'seconds':>8} {'pages/s':>8} {'redis cmds/page':>16}")
    results = {}
    with FixtureWeb(latency=args.latency) as web:
        for n in counts:
            rates, per_page, pages = [], [], 0
            for _ in range(args.repeat):
                work = Path(tempfile.mkdtemp(prefix="blockradar-dist-"))
                try:
                    elapsed, pages, commands = run(web, n, work)
                finally:
                    shutil.rmtree(work, ignore_errors=True)
                rates.append(pages / elapsed if elapsed else 0.0)
                per_page.append(commands / pages if pages else 0.0)
            results[n] = (statistics.median(rates), statistics.median(per_page))
            print(f"{n:>7} {pages:>6} {pages / statistics.median(rates) if rates[0] else 0:>8.1f} "
                  f"{results[n][0]:>8.2f} {results[n][1]:>16.1f}")
    summary = " ".join(f"w{n}={r:.2f}p/s" for n, (r, _) in results.items())
    cmds = statistics.median(c for _, c in results.values())
    print(f"SUMMARY {summary} redis_cmds_per_page={cmds:.1f} latency={args.latency}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
