"""WorkerRecovery: nothing a worker took is lost when it dies, and its records reach the output directory.

- heartbeat: ``<prefix>worker:<id>`` is refreshed every ``WORKER_HEARTBEAT`` seconds and expires after
  ``WORKER_HEARTBEAT_TTL``;
- acknowledgement: a request stays in ``<prefix>inflight:<id>`` until its output is done: its item written (or
  dropped), or its callback finished without an item;
- recovery: every worker, every heartbeat, returns to the queue the in-flight requests of workers whose heartbeat
  expired (killed with SIGKILL, machine lost); a worker stopping cleanly returns its own at once.
- output: each record is appended to ``OUTPUT_DIR/articles-YYYY-MM-DD.jsonl`` (crawler/output.py) before its
  request is acknowledged.

Limits: a request is fetched again after a worker dies, so its page may be downloaded twice (dedup drops the second
copy); a record is appended and then acknowledged, so a worker killed between the two makes another worker fetch the
page again, and dedup keeps the output free of the duplicate.

Enabled by the worker spider (spiders/worker.py). Settings: ``REDIS_URL``, ``WORKER_HEARTBEAT`` (5),
``WORKER_HEARTBEAT_TTL`` (30), ``OUTPUT_DIR``.
"""

from __future__ import annotations

import json
import logging
import uuid
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from redis.exceptions import RedisError
from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler.distributed.link import WorkerLink, worker_link
from crawler.output import append_records
from crawler.state.crawl import crawl_state
from pipelines.validate import output_record

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

    from crawler.state.base import StateStore

logger = logging.getLogger(__name__)
_extensions: weakref.WeakKeyDictionary[Crawler, WorkerRecovery] = weakref.WeakKeyDictionary()


def recovery_for(crawler: Crawler) -> WorkerRecovery | None:
    """The crawl's WorkerRecovery extension, when it is on."""
    return _extensions.get(crawler)


class WorkerRecovery:
    """Heartbeat, acknowledgements, recovery of dead workers' requests, and the worker's output."""

    def __init__(self, link: WorkerLink, store: StateStore, output_dir: Path | None, heartbeat: float, ttl: int) -> None:
        self.link = link
        self.store = store
        self.output_dir = output_dir
        self.heartbeat = heartbeat
        self.ttl = ttl
        self._pending: dict[int, tuple[str, int | None]] = {}
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.get("REDIS_URL"):
            raise NotConfigured("REDIS_URL is not set (only distributed workers use this extension)")
        output = settings.get("OUTPUT_DIR")
        extension = cls(worker_link(crawler), crawl_state(crawler), Path(output) if output else None,
                        settings.getfloat("WORKER_HEARTBEAT"), settings.getint("WORKER_HEARTBEAT_TTL"))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.item_done, signal=signals.item_dropped)
        crawler.signals.connect(extension.item_done, signal=signals.item_error)
        _extensions[crawler] = extension
        return extension

    # --- acknowledgements (called by the worker spider) ------------------------------------------------------
    def track(self, item: Any, token: str | None, run_id: int | None) -> None:
        """The request with ``token`` produced ``item``: acknowledge it once the item is written or dropped."""
        if token is not None or run_id is not None:
            self._pending[id(item)] = (token or "", run_id)

    def ack(self, token: str | None) -> None:
        if not token:
            return
        try:
            self.link.ack(token)
        except RedisError as exc:
            logger.warning("Could not acknowledge a request (%(exc)s): it will be fetched again", {"exc": exc})

    def item_scraped(self, item: Any, response: Any, spider: Spider) -> None:
        if self.output_dir is not None:
            line = json.dumps(output_record(item), ensure_ascii=False).encode("utf-8")
            append_records(self.output_dir, [line])
        token, run_id = self._pending.pop(id(item), ("", None))
        if run_id is not None:
            try:
                self.store.add_to_run(run_id, items=1)
            except (RedisError, ValueError) as exc:
                logger.warning("Could not count an item of run %(run)s: %(exc)s", {"run": run_id, "exc": exc})
        self.ack(token)

    def item_done(self, item: Any, spider: Spider, **_: Any) -> None:
        token, _run = self._pending.pop(id(item), ("", None))
        self.ack(token)

    # --- heartbeat and recovery -------------------------------------------------------------------------------
    def spider_opened(self, spider: Spider) -> None:
        logger.info("Worker %(id)s started", {"id": self.link.worker_id})
        self._loop = task.LoopingCall(self.beat)
        self._loop.start(self.heartbeat, now=True)

    def beat(self) -> None:
        try:
            self.link.redis.set(self.link.heartbeat_key, "1", ex=self.ttl)
            self.recover_dead()
        except RedisError as exc:
            logger.warning("Heartbeat failed (%(exc)s): retrying in %(s).0f s", {"exc": exc, "s": self.heartbeat})

    def recover_dead(self) -> int:
        """Return the in-flight requests of workers whose heartbeat expired to the queue."""
        redis, prefix = self.link.redis, self.link.prefix
        recovered = 0
        for raw_key in redis.scan_iter(f"{prefix}inflight:*"):
            key = raw_key.decode()
            worker = key[len(f"{prefix}inflight:"):]
            if worker == self.link.worker_id or redis.exists(f"{prefix}worker:{worker}"):
                continue
            claimed = f"{prefix}recovering:{uuid.uuid4().hex}"
            try:
                redis.rename(key, claimed)  # only one live worker wins this
            except RedisError:
                continue
            count = self.link.requeue(claimed, self.link.queue_key)
            recovered += count
            logger.warning("Worker %(w)s is gone: %(n)d of its requests are back in the queue", {"w": worker, "n": count})
        return recovered

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        try:
            count = self.link.requeue(self.link.inflight_key, self.link.queue_key)
            if count:
                logger.info("Returned %(n)d unfinished requests to the queue", {"n": count})
            self.link.redis.delete(self.link.heartbeat_key)
        except RedisError as exc:
            logger.warning("Could not return unfinished requests (%(exc)s): others will recover them", {"exc": exc})
