"""Downloader middlewares.

ConditionalGetMiddleware: conditional GETs from the validators in the state store (see the class).

RobotsTxtMiddleware: Scrapy's, but every request that waits for a host's robots.txt is checked against it (see the
class).

GzipCharsetMiddleware: Scrapy's HttpCompressionMiddleware decodes a compressed body with ``response.replace()``,
which evaluates ``.encoding`` of the still-compressed TextResponse (charset detection over gzip bytes) only to throw
it away; that cost about 2 ms a page, 45% of a bare crawl's CPU, when the server sends no charset. Handing
HttpCompressionMiddleware a plain Response avoids it: it picks the right response class after decompression.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from typing import TYPE_CHECKING, Self

from scrapy import signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response, TextResponse
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from crawler.normalize import canonical_url
from crawler.state.base import Validators
from crawler.state.crawl import crawl_state
from crawler.stats import stat_key

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser
    from scrapy.statscollectors import StatsCollector

    from crawler.state.base import StateStore

logger = logging.getLogger(__name__)


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware (``ROBOTSTXT_OBEY``), with every request that arrives while a host's robots.txt
    is being fetched checked against it.

    Scrapy's keeps a Deferred per host while robots.txt downloads, and each request that arrives meanwhile awaits it
    through ``Deferred.asFuture``, whose callback hands the first waiter the parser and passes ``None`` down the
    chain: every later waiter got no parser, which means "allowed". A worker of a distributed crawl, whose first
    requests to a host are several article links at once, fetched a page robots.txt forbids (1 run in ~40).
    Here each waiter gets the parser through a callback that passes it on."""

    async def robot_parser(self, request: Request) -> RobotParser | None:
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(pending, Deferred):
            return await super().robot_parser(request)  # (the first request of a host fetches robots.txt there)
        future: asyncio.Future[RobotParser | None] = asyncio.get_running_loop().create_future()

        def deliver(parser: RobotParser | None) -> RobotParser | None:
            if not future.done():
                future.set_result(parser)
            return parser  # for the next waiter

        pending.addCallback(deliver)  # (it never fails: a failed download sets None, as in Scrapy's)
        return await future


class GzipCharsetMiddleware:
    """Turn compressed text responses into plain Responses before HttpCompressionMiddleware (priority 590) sees
    them. Must sit above 590 in DOWNLOADER_MIDDLEWARES. No settings."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls()

    def process_response(self, request: Request, response: Response) -> Response:
        if isinstance(response, TextResponse) and response.headers.get("Content-Encoding") and request.method != "HEAD":
            return Response(**{name: getattr(response, name) for name in Response.attributes})
        return response


class NotModified(IgnoreRequest):
    """The server answered 304 to a conditional GET: the page has not changed since the last run."""


class PendingValidators:
    """Validators kept for the end of a crawl, with the source and the kind of page of each.

    Kept in a dict, a page's validators took ~500 bytes of memory until the crawl ended: 10 MB at 20,000 pages, 50
    MB at 100,000. Here they go, a thousand at a time, to a private temporary SQLite database (a file SQLite deletes
    when it is closed, or when the process dies: nothing of it outlives the crawl), and come back from it in
    batches at the end."""

    BATCH = 1000

    def __init__(self) -> None:
        self._db = sqlite3.connect("", isolation_level=None)  # "": a private temporary database
        self._db.execute("CREATE TABLE pending (url TEXT PRIMARY KEY, source TEXT NOT NULL, kind TEXT NOT NULL, "
                         "etag TEXT NOT NULL, last_modified TEXT NOT NULL) WITHOUT ROWID")
        self._buffer: dict[str, tuple[str, str, str, str]] = {}

    def add(self, url: str, source: str, kind: str, validators: Validators) -> None:
        self._buffer[url] = (source, kind, validators.etag, validators.last_modified)
        if len(self._buffer) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            with self._db:  # (one transaction)
                self._db.execute("BEGIN")
                self._db.executemany("INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?, ?)",
                                     [(url, *rest) for url, rest in self._buffer.items()])
            self._buffer.clear()

    def batches(self, skip_sources: set[str]) -> Iterator[dict[str, Validators]]:
        """Every page's last validators, ``BATCH`` at a time, but for the feeds, sitemaps and section pages of
        ``skip_sources`` (their articles' are kept)."""
        self._flush()
        batch: dict[str, Validators] = {}
        for url, source, kind, etag, modified in self._db.execute("SELECT * FROM pending"):
            if source in skip_sources and kind != "article":
                continue
            batch[url] = Validators(etag, modified)
            if len(batch) >= self.BATCH:
                yield batch
                batch = {}
        if batch:
            yield batch

    def close(self) -> None:
        self._buffer.clear()
        self._db.close()


class ConditionalGetMiddleware:
    """Re-validate pages with conditional GETs (If-None-Match / If-Modified-Since) using the validators stored in
    the state store, and drop 304 responses (counted as ``blockradar/http/not_modified``).

    Validators of a crawl's 200 responses are saved only when the crawl finishes normally, and those of a source's
    feeds, sitemaps and section pages only when none of that source's requests failed: a crawl that is killed, or
    that could not fetch an article, fetches the same pages again next time instead of losing them.

    Settings: ``CONDITIONAL_GET_ENABLED`` (True), ``STATE_URL``.
    """

    def __init__(self, store: StateStore, stats: StatsCollector | None = None) -> None:
        self.store = store
        self.stats = stats
        self._pending = PendingValidators()
        self._failed_sources: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("CONDITIONAL_GET_ENABLED"):
            raise NotConfigured("CONDITIONAL_GET_ENABLED is off")
        middleware = cls(crawl_state(crawler), crawler.stats)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def _inc(self, *parts: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(stat_key("http", *parts))

    def process_request(self, request: Request) -> None:
        if request.method != "GET" or request.url.endswith("/robots.txt") or "source" not in request.meta:
            return
        stored = self.store.validators(canonical_url(request.url))
        if stored is None:
            return
        if stored.etag:
            request.headers.setdefault("If-None-Match", stored.etag)
        if stored.last_modified:
            request.headers.setdefault("If-Modified-Since", stored.last_modified)
        self._inc("conditional")

    def process_response(self, request: Request, response: Response) -> Response:
        source = request.meta.get("source")
        if source is None:
            return response
        if response.status == 304:
            self._inc("not_modified")
            logger.debug("Not modified since the last run: %(url)s", {"url": request.url})
            raise NotModified(f"not modified: {request.url}")
        if response.status >= 400 and response.status not in (404, 410):
            self._failed_sources.add(source)
        elif response.status == 200:
            etag = (response.headers.get("ETag") or b"").decode("latin-1")
            modified = (response.headers.get("Last-Modified") or b"").decode("latin-1")
            if etag or modified:
                self._pending.add(canonical_url(response.url), source, request.meta.get("kind") or "",
                                  Validators(etag, modified))
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if "source" in request.meta and not isinstance(exception, IgnoreRequest):
            self._failed_sources.add(request.meta["source"])

    def spider_closed(self, spider: Spider, reason: str) -> None:
        try:
            if reason != "finished":
                logger.info("Crawl ended with %(reason)s: validators not saved, pages will be fetched again",
                            {"reason": reason})
                return
            saved = 0
            for batch in self._pending.batches(self._failed_sources):
                self.store.save_validators(batch)
                saved += len(batch)
            logger.debug("Saved HTTP validators of %(n)d pages", {"n": saved})
        finally:
            self._pending.close()
