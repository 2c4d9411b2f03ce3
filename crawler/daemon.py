"""The scheduled daemon: every source on its own schedule (APScheduler 3), each run a crawl subprocess.

- interval or cron per source; jitter, ``max_instances=1``, ``coalesce``, a misfire grace time;
- at most ``DAEMON_MAX_CRAWLS`` crawls at once; each bounded by ``DAEMON_CRAWL_TIMEOUT``;
- after a restart the schedule continues from the run history: sources not yet due wait for their time, overdue
  ones run soon, spread over ``DAEMON_STARTUP_SPREAD`` seconds instead of all at once;
- SIGTERM/SIGINT: no new runs; running crawls get ``DAEMON_SHUTDOWN_GRACE`` seconds to finish, then are stopped
  (their complete records are still published); exit status 0.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.runner import CrawlRunner

if TYPE_CHECKING:
    from types import FrameType

    from crawler.sources import Source
    from crawler.state.base import StateStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DaemonConfig:
    """Daemon settings (DAEMON_* in crawler/settings.py)."""

    max_crawls: int = 2
    jitter: int = 30
    misfire_grace: int = 300
    startup_spread: float = 60.0
    shutdown_grace: float = 30.0


def first_runs(sources: list[Source], store: StateStore, now: datetime, spread: float) -> dict[str, datetime]:
    """When each source should first run after a (re)start, from its last run in the history.

    Not yet due: at its due time. Overdue or never run: soon, the overdue ones spread evenly over ``spread``
    seconds in the order they fell due.
    """
    due: dict[str, datetime] = {}
    overdue: list[tuple[datetime, str]] = []
    for source in sources:
        last = store.runs(source.name, limit=1)
        if not last:
            overdue.append((datetime.min.replace(tzinfo=UTC), source.name))
            continue
        last_start = datetime.fromtimestamp(last[0].started, UTC)
        if source.cron:
            next_time = CronTrigger.from_crontab(source.cron, timezone=UTC).get_next_fire_time(None, last_start)
        else:
            next_time = last_start + timedelta(seconds=source.interval)
        if next_time is not None and next_time > now:
            due[source.name] = next_time
        else:
            overdue.append((next_time or now, source.name))
    overdue.sort()
    step = spread / max(1, len(overdue))
    for index, (_, name) in enumerate(overdue):
        due[name] = now + timedelta(seconds=1 + index * step)
    return due


class Daemon:
    """Runs sources on schedule until stopped by SIGTERM/SIGINT (or ``stop()``)."""

    def __init__(self, sources: list[Source], runner: CrawlRunner, store: StateStore, config: DaemonConfig) -> None:
        self.sources = sources
        self.runner = runner
        self.store = store
        self.config = config
        self._stop = threading.Event()
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=config.max_crawls)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": config.misfire_grace},
            timezone=UTC,
        )

    def stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        if signum is not None:
            logger.info("Received %(sig)s: stopping", {"sig": signal.Signals(signum).name})
        self._stop.set()

    def _run_source(self, source: Source) -> None:
        if self._stop.is_set():
            return
        try:
            self.runner.run(source)
        except Exception:  # a bug in one run must not stop the schedule of the others
            logger.exception("Run of %(name)s failed unexpectedly", {"name": source.name})

    def schedule(self) -> None:
        now = datetime.now(UTC)
        starts = first_runs(self.sources, self.store, now, self.config.startup_spread)
        for source in self.sources:
            start = starts[source.name]
            jitter = source.jitter if source.jitter is not None else self.config.jitter
            if source.cron:
                trigger = CronTrigger.from_crontab(source.cron, timezone=UTC)
                trigger.jitter = jitter or None
                self.scheduler.add_job(self._run_source, trigger, args=[source], id=source.name, name=source.name)
                first_cron = trigger.get_next_fire_time(None, now)
                if first_cron is None or start < first_cron - timedelta(seconds=1):
                    # overdue: catch up once now, then follow the cron expression
                    self.scheduler.add_job(self._run_source, DateTrigger(start), args=[source],
                                           id=f"{source.name}:catch-up", name=source.name)
            else:
                trigger = IntervalTrigger(seconds=source.interval, start_date=start, jitter=min(jitter, source.interval // 2) or None,
                                          timezone=UTC)
                self.scheduler.add_job(self._run_source, trigger, args=[source], id=source.name, name=source.name)
            logger.info("Scheduled %(name)s: first run %(when)s, then %(every)s",
                        {"name": source.name, "when": start.isoformat(timespec="seconds"),
                         "every": f"cron {source.cron}" if source.cron else f"every {source.interval} s"})

    def run(self) -> int:
        """Schedule, run until a signal, shut down cleanly. Returns the exit status (0)."""
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.schedule()
            self.scheduler.start()
            logger.info("Daemon started: %(n)d sources, at most %(m)d crawls at once",
                        {"n": len(self.sources), "m": self.config.max_crawls})
            while not self._stop.wait(1.0):
                pass
            self._shutdown()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def _shutdown(self) -> None:
        self.scheduler.pause()
        deadline = time.monotonic() + self.config.shutdown_grace
        while self.runner.running() and time.monotonic() < deadline:
            time.sleep(0.2)
        if self.runner.running():
            logger.info("Stopping crawls still running after %(g).0f s: %(names)s",
                        {"g": self.config.shutdown_grace, "names": ", ".join(self.runner.running())})
            self.runner.stop_all()
        self.scheduler.shutdown(wait=True)
        logger.info("Daemon stopped")
