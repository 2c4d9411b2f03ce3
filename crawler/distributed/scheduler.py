"""scrapy-redis' scheduler for Scrapy 2.19, robust to Redis going away.

Differences from ``scrapy_redis.scheduler.Scheduler``: the queue key comes from ``REDIS_KEY_PREFIX``; stats are
counted without the ``spider=`` argument Scrapy 2.19 deprecates; when Redis is unreachable, requests to enqueue are
kept in the worker and pushed once it is back, and no request is handed out meanwhile (logged, with back-off).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Self

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from scrapy_redis.scheduler import Scheduler as RedisScheduler

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)
_REDIS_ERRORS = (RedisConnectionError, RedisTimeoutError)


class Scheduler(RedisScheduler):  # type: ignore[misc]
    """Settings: ``REDIS_URL``, ``REDIS_KEY_PREFIX``, ``SCHEDULER_PERSIST`` (must be True: the queue outlives a
    worker), ``SCHEDULER_QUEUE_CLASS``, ``DUPEFILTER_CLASS``."""

    _unsent: deque[Request]
    """Requests kept in this worker while Redis is unreachable."""
    _redis_down_since: float

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("SCHEDULER_PERSIST"):
            raise ValueError("SCHEDULER_PERSIST must be True for distributed workers (a worker must not flush the "
                             "shared queue when it stops)")
        instance: Self = super().from_crawler(crawler)
        instance.queue_key = settings.get("REDIS_KEY_PREFIX") + "requests"
        instance._unsent = deque()
        instance._redis_down_since = 0.0
        return instance

    def open(self, spider: Spider) -> None:
        super().open(spider)

    def _redis_down(self, exc: Exception) -> None:
        now = time.monotonic()
        if not self._redis_down_since:
            logger.error("Redis unreachable (%(exc)s): keeping requests in this worker until it is back", {"exc": exc})
            self._redis_down_since = now

    def _redis_up(self) -> None:
        if self._redis_down_since:
            logger.info("Redis is back after %(s).0f s", {"s": time.monotonic() - self._redis_down_since})
            self._redis_down_since = 0.0

    def _flush_unsent(self) -> None:
        while self._unsent:
            self.queue.push(self._unsent[0])
            self._unsent.popleft()

    def enqueue_request(self, request: Request) -> bool:
        try:
            self._flush_unsent()
            if not request.dont_filter and self.df.request_seen(request):
                self.df.log(request, self.spider)
                return False
            self.queue.push(request)
            self._redis_up()
        except _REDIS_ERRORS as exc:
            self._redis_down(exc)
            self._unsent.append(request)
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Any:
        try:
            self._flush_unsent()
            request = self.queue.pop()
            self._redis_up()
        except _REDIS_ERRORS as exc:
            self._redis_down(exc)
            return None
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        try:
            return bool(self._unsent) or len(self) > 0
        except _REDIS_ERRORS:
            return bool(self._unsent)
