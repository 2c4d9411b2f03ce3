"""Retries that wait: exponential back-off, and the server's own ``Retry-After`` on 429 and 503.

Scrapy 2.19's RetryMiddleware sends a retry at once and ignores ``Retry-After`` (scrapy/scrapy#3849). This subclass
keeps its decisions (RETRY_TIMES, RETRY_HTTP_CODES, RETRY_EXCEPTIONS, the ``retry/*`` stats and the give-up line)
and only waits before handing the retry back:

- ``Retry-After`` (seconds or an HTTP date) when the server sent one, up to ``RETRY_AFTER_MAX``; a server asking for
  longer is not retried in this run (the next run fetches the page again). For that long the site's download delay
  is raised to the wait too, so the other requests to it slow down as well;
- else ``RETRY_BACKOFF_BASE`` * 2^(attempt-1) seconds, at most ``RETRY_BACKOFF_MAX``, with jitter.

The wait holds one of the crawl's CONCURRENT_REQUESTS, not the site's download slot.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from typing import TYPE_CHECKING, Self

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.utils.asyncio import call_later, sleep
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message

from crawler.stats import stat_key

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

_RETRY_AFTER_CODES = frozenset({429, 503})


def parse_retry_after(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header ('120' or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if text.isdigit():
        return float(int(text[:12]))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """base * 2^(attempt-1), at most ``cap``, scaled by a random 0.5..1.0 so retries of many pages spread out."""
    if base <= 0:
        return 0.0
    delay = min(cap, base * 2.0 ** max(0, min(attempt - 1, 30)))
    return delay * (0.5 + 0.5 * (rng or random).random())


class BackoffRetryMiddleware(RetryMiddleware):
    """RetryMiddleware that waits before each retry (see the module). Replaces Scrapy's at priority 550.

    Settings: Scrapy's ``RETRY_*``, plus ``RETRY_BACKOFF_BASE`` (1.0 s), ``RETRY_BACKOFF_MAX`` (30 s),
    ``RETRY_AFTER_MAX`` (120 s).
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX")
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX")
        for name, value in (("RETRY_BACKOFF_BASE", self.backoff_base), ("RETRY_BACKOFF_MAX", self.backoff_max),
                            ("RETRY_AFTER_MAX", self.retry_after_max)):
            if value < 0:
                raise ValueError(f"{name} must be 0 or more, not {value!r}")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        return middleware

    def _inc(self, *parts: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(stat_key("retry", *parts))

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        reason = response_status_message(response.status)
        wait = None
        if response.status in _RETRY_AFTER_CODES:
            wait = parse_retry_after(response.headers.get("Retry-After"))
        if wait is not None and wait > self.retry_after_max:
            logger.warning(
                "Not retrying %(url)s in this run: the server asks to wait %(wait).0f s (Retry-After), more than "
                "RETRY_AFTER_MAX (%(max).0f s)", {"url": request.url, "wait": wait, "max": self.retry_after_max})
            self._inc("retry_after_too_long")
            return response
        retry = self._retry(request, reason)
        if retry is None:
            return response
        if wait is not None:
            self._inc("retry_after")
            self._slow_down(request, wait)
        return await self._wait(retry, reason, wait)

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:  # type: ignore[override]
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry", False):
            return None
        retry = self._retry(request, exception)
        if retry is None:
            return None
        return await self._wait(retry, type(exception).__name__, None)

    async def _wait(self, retry: Request, reason: str, retry_after: float | None) -> Request:
        attempt = int(retry.meta.get("retry_times", 1))
        delay = retry_after if retry_after is not None else backoff_delay(attempt, self.backoff_base, self.backoff_max)
        logger.info(
            "Retrying %(url)s in %(delay).2f s (%(reason)s; retry %(n)d of %(max)d%(after)s)",
            {"url": retry.url, "delay": delay, "reason": reason, "n": attempt,
             "max": retry.meta.get("max_retry_times", self.max_retry_times),
             "after": ", as its Retry-After asks" if retry_after is not None else ""},
        )
        self._inc("backoff")
        if delay > 0:
            await sleep(delay)
        return retry

    def _slow_down(self, request: Request, delay: float) -> None:
        """Raise the site's download delay to ``delay`` for ``delay`` seconds (unless something, e.g. AutoThrottle,
        has changed it meanwhile)."""
        try:
            downloader = self.crawler.engine.downloader
        except (AttributeError, RuntimeError):  # no engine: not in a running crawl
            return
        key = request.meta.get("download_slot") or urlparse_cached(request).hostname or ""
        slot = getattr(downloader, "slots", {}).get(key)
        if slot is None or slot.delay >= delay:
            return
        previous, slot.delay = slot.delay, delay

        def restore() -> None:
            if slot.delay == delay:
                slot.delay = previous

        call_later(delay, restore)
