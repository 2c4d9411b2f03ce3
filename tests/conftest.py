"""Shared fixtures: the fixture news web served on 127.0.0.1, its expectations, and a subprocess crawl runner."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import redis

from crawler.demo.server import FixtureWeb, default_site_root

if TYPE_CHECKING:
    from collections.abc import Iterator

TESTS = Path(__file__).parent
REPO = TESTS.parent
EXPECTED_FILE = TESTS / "site" / "expected.jsonl"


def load_expected() -> list[dict[str, Any]]:
    """One expectation per article page of the fixture web (tests/site/expected.jsonl)."""
    return [json.loads(line) for line in EXPECTED_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def expected() -> list[dict[str, Any]]:
    return load_expected()


@pytest.fixture(scope="session")
def web() -> Iterator[FixtureWeb]:
    """The fixture news web, shared by the whole session (read-only: copy it to change it)."""
    with FixtureWeb(default_site_root()) as served:
        yield served


@dataclass
class CrawlResult:
    returncode: int
    records: list[dict[str, Any]]
    stats: dict[str, Any]
    log: str


def run_crawl(tmp_path: Path, *args: str, settings: dict[str, str] | None = None, timeout: float = 180) -> CrawlResult:
    """Run `scrapy crawl news ARGS -O out.jsonl` in a subprocess, as a user would; return records, stats and log."""
    out = tmp_path / "out.jsonl"
    stats_file = tmp_path / "stats.json"
    command = [sys.executable, "-m", "scrapy", "crawl", "news", *args, "-O", str(out),
               "-s", f"STATE_URL=sqlite:///{tmp_path / 'state.db'}", "-s", "AUTOTHROTTLE_ENABLED=False",
               "-s", "LOG_LEVEL=DEBUG", "-s", f"STATS_DUMP_FILE={stats_file}"]
    for name, value in (settings or {}).items():
        command += ["-s", f"{name}={value}"]
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings", PYTHONPATH=str(REPO))
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []
    stats = json.loads(stats_file.read_text(encoding="utf-8")) if stats_file.exists() else {}
    return CrawlResult(proc.returncode, records, stats, proc.stderr)


def free_port() -> int:
    """A TCP port nobody listens on right now (127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A private redis-server on a free port of 127.0.0.1 (never the machine's shared Redis)."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory), "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.stop()
