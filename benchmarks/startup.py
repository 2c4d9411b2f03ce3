"""Start-up benchmark: the CPU of the daemon's crawls, forked warm (DAEMON_PRELOAD, the default) or started as
``python -m scrapy crawl news`` subprocesses.

Runs the daemon's ``CrawlRunner`` (as the daemon does) against the fixture web on 127.0.0.1, one source at a time:
a feed with no items (the fixed cost of a scheduled crawl) and a fixture site with a few articles (a typical small
crawl, its articles unchanged after the first run). CPU is user+sys of the crawl processes: of the benchmark's
children for subprocesses, of the forkserver's children for forked crawls (the kernel adds a child's CPU to its
parent when the parent reaps it); the forkserver's own CPU (its one preload) is printed apart.

    python benchmarks/startup.py --runs 10
"""

from __future__ import annotations

import argparse
import multiprocessing.forkserver
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawler.demo.server import FixtureWeb, default_site_root
from crawler.launcher import forkserver_available
from crawler.runner import CrawlRunner, RunnerConfig
from crawler.sources import load_sources
from crawler.state import open_state

EMPTY_FEED = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Nothing new</title>'
              "<link>{{base}}/</link><description>An empty feed</description></channel></rss>\n")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _forkserver() -> psutil.Process | None:
    pid = multiprocessing.forkserver._forkserver._forkserver_pid  # (private: the benchmark measures it)
    return psutil.Process(pid) if pid else None


def _forked_cpu() -> float:
    server = _forkserver()
    if server is None:
        return 0.0
    times = server.cpu_times()
    return times.children_user + times.children_system


def measure(web: FixtureWeb, work: Path, source_name: str, url: str, preload: bool, runs: int) -> list[float]:
    """CPU seconds of each of ``runs`` crawls of one source, one after the other."""
    tag = f"{source_name}-{'forked' if preload else 'subprocess'}"
    sources = work / f"{tag}.toml"
    sources.write_text(f'[[sources]]\nname = "{source_name}"\nurl = "{url}"\n', encoding="utf-8")
    output = work / tag
    store = open_state(f"sqlite:///{work / tag}-runs.db")
    settings = ["AUTOTHROTTLE_ENABLED=False", "LOG_LEVEL=INFO", f"EVENTS_FILE={output / 'events.jsonl'}"]
    runner = CrawlRunner(RunnerConfig(sources.resolve(), output.resolve(), f"sqlite:///{work / tag}-state.db",
                                      settings, preload=preload), store)
    source = load_sources(sources)[0]
    cpu = []
    try:
        for _ in range(runs):
            before = _forked_cpu() if preload else _children_cpu()
            run = runner.run(source)
            time.sleep(0.2)  # the forkserver reaps its child on SIGCHLD: let it
            after = _forked_cpu() if preload else _children_cpu()
            if run.status != "ok":
                raise SystemExit(f"error: a crawl of {source_name} ended {run.status}: see {output / 'logs'}")
            cpu.append(after - before)
    finally:
        store.close()
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="crawls of each source in each mode (default 10)")
    args = parser.parse_args()
    if not forkserver_available():
        raise SystemExit("error: this platform has no forkserver start method")
    work = Path(tempfile.mkdtemp(prefix="blockradar-startup-"))
    root = work / "web"
    shutil.copytree(default_site_root(), root)
    (root / "empty").mkdir()
    (root / "empty" / "feed.xml").write_text(EMPTY_FEED, encoding="utf-8")
    print(f"machine: {psutil.cpu_count()} cores, Python {sys.version.split()[0]}; {args.runs} crawls a row")
    print("| crawl | mode | CPU s a crawl (median) | min | max |")
    print("|---|---|---:|---:|---:|")
    medians: dict[tuple[str, bool], float] = {}
    try:
        with FixtureWeb(root) as web:
            for name, url in (("empty", web.url("empty", "/feed.xml")), ("meridian", web.url("meridian", "/feed.xml"))):
                for preload in (False, True):
                    cpu = measure(web, work, name, url, preload, args.runs)
                    medians[name, preload] = statistics.median(cpu)
                    label = "an empty feed" if name == "empty" else "a fixture site (first run: its articles)"
                    print(f"| {label} | {'forked (DAEMON_PRELOAD)' if preload else 'subprocess'} | "
                          f"{statistics.median(cpu):.3f} | {min(cpu):.3f} | {max(cpu):.3f} |", flush=True)
        server = _forkserver()
        if server is not None:
            own = server.cpu_times()
            print(f"forkserver: {own.user + own.system:.2f} s of CPU of its own (the preload, once), "
                  f"RSS {server.memory_info().rss / 2**20:.0f} MB")
        print(f"SUMMARY: start-up of a crawl {medians['empty', False]:.2f} s CPU as a subprocess, "
              f"{medians['empty', True]:.2f} s forked ({medians['empty', False] / medians['empty', True]:.1f}x less); "
              f"a small crawl {medians['meridian', False]:.2f} s against {medians['meridian', True]:.2f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
