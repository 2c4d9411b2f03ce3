"""Shared fixtures: the fixture news web served on 127.0.0.1, its expectations, and a subprocess crawl runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

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
