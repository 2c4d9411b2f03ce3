"""The daemon's side of distributed crawling: a due source becomes a start message for the workers."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from typing import TYPE_CHECKING

from redis import Redis

from crawler.distributed.link import WorkerLink
from crawler.state.base import RunRecord

if TYPE_CHECKING:
    from crawler.sources import Source
    from crawler.state.base import StateStore

logger = logging.getLogger(__name__)


class EnqueueRunner:
    """Runs a source by enqueueing it (``blockradar daemon --redis``); the workers crawl it and count its items
    under the run id. The run is recorded as ``enqueued``."""

    def __init__(self, redis_url: str, prefix: str, store: StateStore) -> None:
        self.link = WorkerLink(Redis.from_url(redis_url, socket_timeout=30, socket_connect_timeout=10), prefix,
                               worker_id="daemon")
        self.store = store

    def running(self) -> list[str]:
        return []

    def stop_all(self) -> None:
        """Nothing runs here: workers finish what is queued."""

    def run(self, source: Source) -> RunRecord:
        started = time.time()
        run = RunRecord(id=self.store.start_run(source.name, started), source=source.name, started=started)
        spec = {k: v for k, v in asdict(source).items() if k in ("name", "url", "kind", "language", "timezone")}
        self.link.push_start({"source": spec, "run_id": run.id})
        run.finished = time.time()
        run.status = "enqueued"
        run.stats = {"queue": self.link.start_key}
        self.store.finish_run(run)
        logger.info("Enqueued %(name)s for the workers (run %(id)d)", {"name": source.name, "id": run.id})
        return run
