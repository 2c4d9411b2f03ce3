"""Run one source's crawl as a ``scrapy crawl news`` process (forked warm, ``crawler.launcher``, or a subprocess):
bounded in time, recorded in the run history, its records published to the output directory whatever way it ends."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.launcher import ForkedCrawl, start_crawl
from crawler.output import append_records, complete_records
from crawler.state.base import RunRecord

if TYPE_CHECKING:
    from crawler.sources import Source
    from crawler.state.base import StateStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunnerConfig:
    """How crawls are run (daemon settings DAEMON_*)."""

    sources_file: Path
    output_dir: Path
    state_url: str
    settings: list[str] = field(default_factory=list)
    """NAME=VALUE Scrapy settings passed to every crawl."""
    timeout: float = 1800.0
    """Hard limit of one crawl, seconds; Scrapy is asked to close gracefully a little before."""
    kill_grace: float = 15.0
    """Seconds between asking a crawl to stop (SIGTERM) and killing it (SIGKILL)."""
    progress_every: float = 60.0
    """Seconds between 'still running' lines for long crawls."""
    preload: bool = True
    """Fork each crawl from a process with the crawl's code loaded (``crawler.launcher``) rather than start a
    Python subprocess (DAEMON_PRELOAD)."""


def _stat(stats: dict[str, Any], *keys: str) -> int:
    return sum(int(stats.get(k, 0) or 0) for k in keys)


def _signal_session(pid: int, signum: int) -> None:
    """Signal the process group of a crawl's session; the crawl alone when its group is not there yet (a forked
    crawl makes its session a moment after it starts)."""
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:
        os.kill(pid, signum)


class CrawlRunner:
    """Starts crawls and keeps track of the running ones, so they can be stopped on shutdown."""

    def __init__(self, config: RunnerConfig, store: StateStore) -> None:
        self.config = config
        self.store = store
        self._lock = threading.Lock()
        self._running: dict[str, subprocess.Popen[bytes] | ForkedCrawl] = {}
        self._stopping: set[str] = set()
        self.work_dir = config.output_dir / ".runs"
        self.log_dir = config.output_dir / "logs"

    def running(self) -> list[str]:
        with self._lock:
            return sorted(self._running)

    def _command(self, source: Source, out: Path, stats_file: Path) -> list[str]:
        soft = max(5, int(self.config.timeout - self.config.kill_grace - 5))
        command = [
            sys.executable, "-m", "scrapy", "crawl", "news",
            "-a", f"sources={self.config.sources_file}", "-a", f"source={source.name}",
            "-O", str(out),
            "-s", f"STATE_URL={self.config.state_url}",
            "-s", f"STATS_DUMP_FILE={stats_file}",
            "-s", f"CLOSESPIDER_TIMEOUT={soft}",
        ]
        for setting in self.config.settings:
            command += ["-s", setting]
        return command

    def run(self, source: Source) -> RunRecord:
        """Crawl one source now and wait for it; never raises for a failed crawl (it is recorded)."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        started = time.time()
        run = RunRecord(id=self.store.start_run(source.name, started), source=source.name, started=started)
        out = self.work_dir / f"{run.id}-{source.name}.jsonl"
        stats_file = self.work_dir / f"{run.id}-{source.name}.stats.json"
        env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings")
        with (self.log_dir / f"{source.name}.log").open("ab") as log:
            log.write(f"\n=== run {run.id} of {source.name} at {datetime.now(UTC).isoformat(timespec='seconds')}\n".encode())
        process = start_crawl(self._command(source, out, stats_file), self.log_dir / f"{source.name}.log", env,
                              f"blockradar crawl {source.name}", preload=self.config.preload)
        with self._lock:
            self._running[source.name] = process
        timed_out = self._wait(process, source.name, started)
        with self._lock:
            self._running.pop(source.name, None)
            interrupted = source.name in self._stopping
            self._stopping.discard(source.name)
        return self._finish(run, process.returncode, timed_out, interrupted, out, stats_file)

    def _wait(self, process: subprocess.Popen[bytes] | ForkedCrawl, name: str, started: float) -> bool:
        next_progress = started + self.config.progress_every
        while True:
            try:
                process.wait(timeout=1.0)
                return False
            except subprocess.TimeoutExpired:
                pass
            now = time.time()
            if now - started > self.config.timeout:
                logger.warning("Crawl of %(name)s exceeded %(t).0f s: stopping it", {"name": name, "t": self.config.timeout})
                self._terminate(process)
                return True
            if now >= next_progress:
                logger.info("Crawl of %(name)s still running after %(s).0f s", {"name": name, "s": now - started})
                next_progress = now + self.config.progress_every

    def _terminate(self, process: subprocess.Popen[bytes] | ForkedCrawl) -> None:
        """SIGTERM (Scrapy closes gracefully), then SIGKILL after the grace period, to the crawl's session (the
        crawl and whatever it started)."""
        if process.poll() is not None:
            return
        try:
            _signal_session(process.pid, signal.SIGTERM)
            process.wait(timeout=self.config.kill_grace)
        except subprocess.TimeoutExpired:
            _signal_session(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass

    def stop_all(self) -> None:
        """Stop every running crawl (used on daemon shutdown, after its grace period)."""
        with self._lock:
            processes = list(self._running.items())
            self._stopping.update(name for name, _ in processes)
        threads = [threading.Thread(target=self._terminate, args=(p,)) for _, p in processes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _finish(self, run: RunRecord, returncode: int | None, timed_out: bool, interrupted: bool,
                out: Path, stats_file: Path) -> RunRecord:
        stats: dict[str, Any] = {}
        if stats_file.exists():
            try:
                stats = json.loads(stats_file.read_text(encoding="utf-8"))
            except ValueError:
                stats = {}
            stats_file.unlink()
        records = complete_records(out)
        target = append_records(self.config.output_dir, records)
        out.unlink(missing_ok=True)
        reason = stats.get("finish_reason", "")
        if timed_out or reason == "closespider_timeout":
            status = "timeout"
        elif interrupted:
            status = "interrupted"
        elif returncode is not None and returncode < 0:
            status = "killed"
        elif returncode == 0 and reason == "finished":
            status = "ok"
        else:
            status = "failed"
        errors = _stat(stats, "log_count/ERROR")
        # A crawl whose every source request failed has nothing to show: a failure, whatever its exit status.
        if status == "ok" and _stat(stats, f"blockradar/source/{run.source}/errors"):
            status = "failed"
        run.finished = time.time()
        run.status = status
        run.items = len(records)
        run.duplicates = _stat(stats, "blockradar/dedup/duplicate", "blockradar/dedup/near_duplicate")
        run.errors = errors
        run.pages = _stat(stats, "response_received_count")
        run.stats = {
            "returncode": returncode,
            "finish_reason": reason,
            "unchanged": _stat(stats, "blockradar/dedup/unchanged"),
            "not_modified": _stat(stats, "blockradar/http/not_modified"),
            # articles the source still gives us (extracted, or confirmed unchanged): a redesign makes this 0
            "seen": _stat(stats, "blockradar/extracted", "blockradar/http/not_modified"),
            "irrelevant": _stat(stats, "blockradar/classify/irrelevant"),
            "http_status": {k.rsplit("/", 1)[-1]: v for k, v in stats.items()
                            if k.startswith("downloader/response_status_count/")},
            "output": str(target) if target else None,
        }
        self.store.finish_run(run)
        logger.info(
            "Run %(source)s: %(status)s in %(s).1f s, %(pages)d pages, %(items)d items, %(dups)d dups, %(errors)d errors",
            {"source": run.source, "status": status, "s": run.finished - run.started, "pages": run.pages,
             "items": run.items, "dups": run.duplicates, "errors": errors},
        )
        return run
