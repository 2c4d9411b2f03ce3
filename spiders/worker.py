"""The ``news-worker`` spider: a distributed worker of the news spider (scrapy-redis, RedisSpider style).

It reads source messages that ``blockradar daemon --redis`` enqueues, crawls through the shared Redis request queue
and dupefilter, and never finishes by itself: ``async def start()`` polls the start queue with back-off (0.2 s up to
``WORKER_POLL_MAX`` seconds), which replaces scrapy-redis' ``start_requests()``/idle-signal mechanism that Scrapy 2.19
no longer drives. Run it with ``blockradar worker --redis URL --output DIR``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Self

import scrapy

from crawler.sources import Source, check_url
from spiders.news import NewsSpider

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure

logger = logging.getLogger(__name__)
# Request meta key of the in-flight token (crawler.distributed.link.INFLIGHT_META; not imported here so that
# `scrapy list` works without the [distributed] extra's redis package).
INFLIGHT_META = "blockradar_inflight"
_SOURCE_FIELDS = ("name", "url", "kind", "language", "timezone")


class NewsWorkerSpider(NewsSpider):
    """Settings: ``REDIS_URL``, ``REDIS_KEY_PREFIX``, ``WORKER_POLL_MAX`` (5 s), ``WORKER_START_BATCH`` (16)."""

    name = "news-worker"
    custom_settings = {  # noqa: RUF012 - Scrapy's documented form
        "SCHEDULER": "crawler.distributed.scheduler.Scheduler",
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.queue.ReliablePriorityQueue",
        "DUPEFILTER_CLASS": "crawler.distributed.dupefilter.ExpiringDupeFilter",
        "SCHEDULER_PERSIST": True,
        # The worker's extension and middleware (they need redis, installed with the [distributed] extra).
        "EXTENSIONS": {"crawler.distributed.recovery.WorkerRecovery": 10},
        # Validators are saved at the end of a crawl, and a worker's crawl does not end: see README, distributed.
        "CONDITIONAL_GET_ENABLED": False,
        "SPIDER_MIDDLEWARES": {"crawler.distributed.middleware.RunIdMiddleware": 950},
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._known: dict[str, Source] = {}
        self.poll_max = 5.0
        self.batch = 16

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        # Sources come with the messages, not from a sources file.
        spider: Self = scrapy.Spider.from_crawler.__func__(cls, crawler, *args, **kwargs)  # type: ignore[attr-defined]
        settings = crawler.settings
        spider.max_links = settings.getint("DISCOVERY_MAX_LINKS")
        spider.max_pending = 0  # links go to the shared queue at once: a worker that dies must not take any along
        spider.max_pages = settings.getint("LISTING_MAX_PAGES")
        spider.max_chars = settings.getint("EXTRACT_MAX_CHARS")
        spider.min_body_chars = settings.getint("EXTRACT_MIN_BODY_CHARS")
        spider.max_size = settings.getint("DOWNLOAD_MAXSIZE")
        spider.poll_max = settings.getfloat("WORKER_POLL_MAX")
        spider.batch = settings.getint("WORKER_START_BATCH")
        return spider

    @property
    def _by_name(self) -> dict[str, Source]:
        return self._known

    def request_from_message(self, message: dict[str, Any]) -> scrapy.Request | None:
        """A source's first request from a daemon message: {"source": {...}, "run_id": N}."""
        raw = message.get("source") or {}
        try:
            source = Source(**{k: raw[k] for k in _SOURCE_FIELDS if raw.get(k) is not None})
            check_url(source.url)
        except (TypeError, ValueError, KeyError) as exc:
            logger.error("Ignoring a bad source message %(m)r: %(exc)s", {"m": message, "exc": exc})
            return None
        self._known[source.name] = source
        return scrapy.Request(source.url, callback=self.parse_source, errback=self.source_failed, dont_filter=True,
                              meta={"source": source.name, "kind": source.kind, "page": 1,
                                    "source_spec": raw, "run_id": message.get("run_id")})

    async def start(self) -> AsyncIterator[Any]:
        from redis.exceptions import RedisError  # noqa: PLC0415 - see INFLIGHT_META

        from crawler.distributed.link import worker_link  # noqa: PLC0415

        link = worker_link(self.crawler)
        delay, logged_down = 0.2, False
        logger.info("Worker polling %(key)s", {"key": link.start_key})
        while True:
            try:
                messages = link.pop_start(self.batch)
                if logged_down:
                    logger.info("Redis is back")
                    logged_down = False
            except RedisError as exc:
                if not logged_down:
                    logger.error("Redis unreachable (%(exc)s): polling again with back-off", {"exc": exc})
                    logged_down = True
                messages = []
            for message in messages:
                request = self.request_from_message(message)
                if request is not None:
                    yield request
            if messages:
                delay = 0.2
                await asyncio.sleep(0)
            else:
                self._look_for_work(link)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.poll_max)

    def _look_for_work(self, link: Any) -> None:
        """Make an idle worker ask the shared queue for requests now.

        Scrapy's engine asks its scheduler for requests after each download, each start request, and otherwise
        only every 5 s (its slot heartbeat): a worker that found no start message would leave the requests other
        workers queued waiting that long. ``engine._slot.nextcall`` is the engine's own way to ask again; it is not
        public API, hence the guards.
        """
        slot = getattr(self.crawler.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is None:
            return
        try:
            if link.redis.zcard(link.queue_key):
                nextcall.schedule()
        except Exception as exc:  # noqa: BLE001 - a failed nudge only delays work until the next heartbeat
            logger.debug("Could not look at the request queue: %(exc)s", {"exc": exc})

    # --- acknowledgements --------------------------------------------------------------------------------------
    def _remember_source(self, response: Response) -> None:
        spec = response.meta.get("source_spec")
        name = response.meta.get("source")
        if spec and name and name not in self._known:
            # Another worker took the source request: rebuild the source from the request's meta.
            self._known[name] = Source(**{k: spec[k] for k in _SOURCE_FIELDS if spec.get(k) is not None})

    def _recovery(self) -> Any:
        from crawler.distributed.recovery import recovery_for  # noqa: PLC0415 - see INFLIGHT_META

        return recovery_for(self.crawler)

    def _finish(self, request: scrapy.Request, outputs: Iterable[Any]) -> Iterable[Any]:
        """Pass a callback's output on; acknowledge the request when it produced no item, else when the item is
        written (WorkerRecovery)."""
        recovery = self._recovery()
        token = request.meta.get(INFLIGHT_META)
        produced_item = False
        for output in outputs:
            if not isinstance(output, scrapy.Request) and recovery is not None:
                recovery.track(output, token, request.meta.get("run_id"))
                produced_item = True
            yield output
        if not produced_item and recovery is not None:
            recovery.ack(token)

    def parse_source(self, response: Response) -> Iterable[Any]:
        self._remember_source(response)
        yield from self._finish(response.request, super().parse_source(response))  # type: ignore[arg-type]

    def parse_article(self, response: Response) -> Iterable[Any]:
        self._remember_source(response)
        yield from self._finish(response.request, super().parse_article(response))  # type: ignore[arg-type]

    def source_failed(self, failure: Failure) -> None:
        super().source_failed(failure)
        recovery = self._recovery()
        if recovery is not None:
            recovery.ack(failure.request.meta.get(INFLIGHT_META))  # type: ignore[attr-defined]

    def request_failed(self, failure: Failure) -> None:
        super().request_failed(failure)
        recovery = self._recovery()
        if recovery is not None:
            recovery.ack(failure.request.meta.get(INFLIGHT_META))  # type: ignore[attr-defined]
