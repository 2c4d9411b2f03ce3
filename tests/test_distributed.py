"""Daemon + workers on a private redis-server over the fixture web: together they write what one crawl writes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import redis

from crawler.distributed.link import WorkerLink
from tests.conftest import REPO, CrawlResult, run_crawl
from tests.test_crawl_e2e import demo_sources, key

if TYPE_CHECKING:
    from crawler.demo.server import FixtureWeb
    from tests.conftest import RedisServer

pytestmark = pytest.mark.slow
PREFIX = "blockradar:"
# Small per-worker concurrency: one worker must not take the whole queue in its first pull.
FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "WORKER_HEARTBEAT=1", "-s", "WORKER_HEARTBEAT_TTL=3",
        "-s", "WORKER_POLL_MAX=1", "-s", "RETRY_TIMES=0", "-s", "CONCURRENT_REQUESTS=4", "-s", "WORKER_START_BATCH=2"]


def cli(*args: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as handle:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", "crawler.cli", *args], stdout=handle, stderr=subprocess.STDOUT,
                                env=dict(os.environ, PYTHONPATH=str(REPO)), cwd=log.parent)


def records(output: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for path in sorted(output.glob("articles-*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


def queue_idle(client: redis.Redis) -> bool:
    inflight = sum(client.hlen(k) for k in client.scan_iter(f"{PREFIX}inflight:*"))
    return client.llen(f"{PREFIX}start_urls") == 0 and client.zcard(f"{PREFIX}requests") == 0 and inflight == 0


def wait_until_done(client: redis.Redis, output: Path, timeout: float) -> None:
    """The queue is empty, nothing is in flight, and the output has not grown for 3 seconds."""
    deadline = time.monotonic() + timeout
    last, stable_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = len(records(output))
        if count != last:
            last, stable_since = count, time.monotonic()
        elif queue_idle(client) and count > 0 and time.monotonic() - stable_since > 3:
            return
        time.sleep(0.5)
    raise AssertionError(f"distributed crawl not done in {timeout} s ({last} records)")


def stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    return process.wait(timeout=60)


def scraped_count(log: Path) -> int:
    match = re.search(r"'item_scraped_count': (\d+)", log.read_text(encoding="utf-8", errors="replace"))
    return int(match.group(1)) if match else 0


@pytest.fixture(scope="module")
def single_crawl(web: FixtureWeb, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    tmp = tmp_path_factory.mktemp("single")
    return run_crawl(tmp, "-a", f"sources={demo_sources(web, tmp / 'sources.toml')}")


def run_distributed(web: FixtureWeb, server: RedisServer, tmp_path: Path, workers: int,
                    kill_one_after: int | None = None) -> tuple[list[dict[str, Any]], list[Path]]:
    sources = demo_sources(web, tmp_path / "sources.toml")
    output = tmp_path / "out"
    client = redis.Redis.from_url(server.url)
    logs = [tmp_path / f"worker-{i}.log" for i in range(workers)]
    worker_procs = [cli("worker", "--redis", server.url, "--output", str(output), *FAST, log=log) for log in logs]
    daemon = cli("daemon", "--sources", str(sources), "--output", str(tmp_path / "daemon"), "--redis", server.url,
                 "-s", "DAEMON_STARTUP_SPREAD=1", "-s", "DAEMON_JITTER=0", log=tmp_path / "daemon.log")
    try:
        if kill_one_after is not None:
            deadline = time.monotonic() + 60
            while len(records(output)) < kill_one_after and time.monotonic() < deadline:
                time.sleep(0.05)
            worker_procs[0].send_signal(signal.SIGKILL)
            worker_procs[0].wait(timeout=10)
        wait_until_done(client, output, timeout=180)
    finally:
        assert stop(daemon) == 0, (tmp_path / "daemon.log").read_text()[-2000:]
        for process in worker_procs:
            stop(process)
        client.close()
    return records(output), logs


def stories(records_: list[dict[str, Any]], web: FixtureWeb, expected: list[dict[str, Any]]) -> list[str]:
    """One key per story: the page, or the wire story a syndicated copy belongs to (which copy wins is a race)."""
    groups = {(e["site"], e["path"]): e["syndicated_group"] for e in expected if e["syndicated_group"]}
    keys = []
    for record in records_:
        site, path = key(record, web)
        keys.append(groups.get((site, path)) or f"{site}{path}")
    return keys


def test_three_workers_write_exactly_what_one_crawl_writes(single_crawl: CrawlResult, web: FixtureWeb,
                                                           redis_server: RedisServer, tmp_path: Path,
                                                           expected: list[dict[str, Any]]) -> None:
    assert single_crawl.returncode == 0 and single_crawl.records
    web.latency = 0.05  # a little network time, as on a real site, so that the work can spread
    try:
        written, logs = run_distributed(web, redis_server, tmp_path, workers=3)
    finally:
        web.latency = 0.0
    ids = [r["id"] for r in written]
    assert len(ids) == len(set(ids)), "a story was written twice"
    assert sorted(stories(written, web, expected)) == sorted(stories(single_crawl.records, web, expected))
    per_worker = [scraped_count(log) for log in logs]
    assert sum(per_worker) == len(written)
    assert sum(1 for n in per_worker if n) >= 2, f"work not split across workers: {per_worker}"


def test_sigkill_of_a_worker_loses_nothing(single_crawl: CrawlResult, web: FixtureWeb, redis_server: RedisServer,
                                           tmp_path: Path, expected: list[dict[str, Any]]) -> None:
    web.latency = 0.2
    try:
        written, logs = run_distributed(web, redis_server, tmp_path, workers=3, kill_one_after=3)
    finally:
        web.latency = 0.0
    # the killed worker had requests in flight; a surviving worker put them back in the queue
    recovered = [re.search(r"is gone: (\d+) of its requests are back", log.read_text(errors="replace"))
                 for log in logs[1:]]
    assert any(m and int(m.group(1)) > 0 for m in recovered), "no request of the killed worker was recovered"
    ids = [r["id"] for r in written]
    assert len(ids) == len(set(ids)), "a story was written twice"
    assert sorted(stories(written, web, expected)) == sorted(stories(single_crawl.records, web, expected))


def test_workers_survive_redis_going_away(web: FixtureWeb, redis_server: RedisServer, tmp_path: Path) -> None:
    output = tmp_path / "out"
    log = tmp_path / "worker.log"
    worker = cli("worker", "--redis", redis_server.url, "--output", str(output), *FAST, log=log)
    try:
        deadline = time.monotonic() + 30
        while "Worker polling" not in log.read_text(errors="replace") and time.monotonic() < deadline:
            time.sleep(0.2)
        redis_server.stop()
        time.sleep(4)  # polls, heartbeats and the scheduler all meet a dead Redis
        assert worker.poll() is None, log.read_text()[-2000:]
        redis_server.start()
        client = redis.Redis.from_url(redis_server.url)
        link = WorkerLink(client, PREFIX, worker_id="test")
        link.push_start({"source": {"name": "techwire", "url": web.url("techwire", "/index.rdf")}, "run_id": None})
        deadline = time.monotonic() + 60
        while not records(output) and time.monotonic() < deadline:
            time.sleep(0.3)
        client.close()
    finally:
        stop(worker)
    text = log.read_text(errors="replace")
    assert "Redis unreachable" in text
    assert records(output), text[-3000:]
