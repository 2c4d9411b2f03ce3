"""The ``news`` spider: discovers articles through each source's feed, sitemap or section page and extracts them.

Arguments (``-a NAME=VALUE``):

- ``sources=FILE``: the sources file (default: the ``SOURCES_FILE`` setting, else the shipped ``crawler/data/sources.toml``)
- ``source=NAME[,NAME]``: only these sources of the file
- ``url=URL[,URL]``: ad-hoc sources instead of a file; the kind (feed, sitemap, section page) is detected

Settings: ``DISCOVERY_MAX_LINKS`` (500), ``DISCOVERY_MAX_AGE_DAYS`` (0: no limit), ``LISTING_MAX_PAGES`` (5),
``EXTRACT_MAX_CHARS`` (2,000,000), ``EXTRACT_MIN_BODY_CHARS`` (200), ``DOWNLOAD_MAXSIZE`` (bounds gunzip too).

Every failed request is one line naming the URL, the source and the problem, counted under
``blockradar/errors/<kind>`` (crawler/errors.py); the crawl ends with a one-line summary of them.
"""

from __future__ import annotations

import logging
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Self

import scrapy
from scrapy import signals
from scrapy.exceptions import (
    CannotResolveHostError,
    DontCloseSpider,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import HtmlResponse, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError

from crawler import errors
from crawler.extract import NotAnArticle, PageHints, extract_article
from crawler.extract.dates import parse_date
from crawler.middlewares import NotModified
from crawler.normalize import canonical_url
from crawler.sources import Source, SourcesError, resolve_sources
from crawler.stats import stat_key
from spiders import discovery
from spiders.discovery import ARTICLE, FEED, LISTING, SITEMAP, Link

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure

    from crawler.items import Article

logger = logging.getLogger(__name__)

# Scrapy 2.19 raises its own exception types; the Twisted ones are kept for other download handlers.
_OFFLINE_ERRORS = (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    DNSLookupError,
    ConnectionRefusedError,
    TimeoutError,
    TCPTimedOutError,
)


class NewsSpider(scrapy.Spider):
    """Crawl news sources for articles; every article found is yielded once per run."""

    name = "news"

    def __init__(self, *args: Any, sources: str | None = None, source: str | None = None,
                 url: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sources_arg, self.source_arg, self.url_arg = sources, source, url
        self.sources: list[Source] = []
        self.max_links = 500
        self.max_age: timedelta | None = None
        self.max_pages = 5
        self.max_chars = 2_000_000
        self.min_body_chars = 200
        self.max_size = 16 * 1024 * 1024
        self.max_pending = 0
        self._source_failures: dict[str, str] = {}
        # Article links waiting until fewer than max_pending article requests are scheduled or in flight: a URL
        # and its hints (~0.3 KB) instead of a queued Request (~1.5 KB with the scheduler's share).
        self._backlog: deque[tuple[str, PageHints]] = deque()
        self._pending = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.sources = resolve_sources(
            sources_file=spider.sources_arg or settings.get("SOURCES_FILE") or None,
            names=spider.source_arg,
            urls=spider.url_arg,
        )
        spider.max_links = settings.getint("DISCOVERY_MAX_LINKS")
        age_days = settings.getfloat("DISCOVERY_MAX_AGE_DAYS")
        spider.max_age = timedelta(days=age_days) if age_days > 0 else None
        spider.max_pages = settings.getint("LISTING_MAX_PAGES")
        spider.max_chars = settings.getint("EXTRACT_MAX_CHARS")
        spider.min_body_chars = settings.getint("EXTRACT_MIN_BODY_CHARS")
        spider.max_size = settings.getint("DOWNLOAD_MAXSIZE")
        spider.max_pending = settings.getint("DISCOVERY_PENDING_MAX")
        crawler.signals.connect(spider._request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        errors.install_log_filters()
        return spider

    # --- helpers ------------------------------------------------------------------------------------------
    def _inc(self, *parts: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(stat_key(*parts), count)

    def _source(self, response: Response) -> Source:
        name = response.meta.get("source")
        source = self._by_name.get(name) if name else None
        # `scrapy parse URL` calls a callback on a page no source led to: treat the URL as an ad-hoc source.
        return source or Source(name=name or "adhoc", url=response.url)

    @property
    def _by_name(self) -> dict[str, Source]:
        return {s.name: s for s in self.sources}

    # --- start ----------------------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        logger.info("Crawling %(n)d source(s): %(names)s",
                    {"n": len(self.sources), "names": ", ".join(s.name for s in self.sources[:10])
                     + (" ..." if len(self.sources) > 10 else "")})
        for source in self.sources:
            yield scrapy.Request(
                source.url,
                callback=self.parse_source,
                errback=self.source_failed,
                meta={"source": source.name, "kind": source.kind, "page": 1},
                dont_filter=True,
            )

    def source_failed(self, failure: Failure) -> None:
        """A source's own URL could not be fetched: one line, counted; the other sources go on."""
        request = failure.request  # type: ignore[attr-defined]
        name = request.meta.get("source", "?")
        reason = failure.getErrorMessage() or failure.type.__name__  # type: ignore[union-attr]
        if errors.is_a(failure, NotModified):
            logger.info("Source %(name)s unchanged since the last run: %(url)s", {"name": name, "url": request.url})
            self._inc("source", name, "not_modified")
            return
        kind = errors.failure_kind(failure)
        if errors.is_a(failure, HttpError):
            status = failure.value.response.status  # type: ignore[union-attr]
            self._source_failures[name] = "other"
            logger.error("Source %(name)s failed: HTTP %(status)d for %(url)s", {"name": name, "status": status, "url": request.url})
            self._source_error(name, kind)
            return
        if errors.is_a(failure, errors.ReportedIgnore):
            # already logged and counted by the component that refused it (a blocked redirect, a redirect loop)
            self._source_failures[name] = "other"
            self._inc("source_errors")
            self._inc("source", name, "errors")
            return
        if errors.is_a(failure, IgnoreRequest) and kind == errors.OTHER:
            logger.warning("Source %(name)s skipped: %(url)s: %(reason)s", {"name": name, "url": request.url, "reason": reason})
            self._inc("source", name, "skipped")
            return
        offline = errors.is_a(failure, *_OFFLINE_ERRORS)
        self._source_failures[name] = failure.type.__name__ if offline else "other"  # type: ignore[union-attr]
        if offline:
            logger.error("Source %(name)s unreachable: %(url)s: %(reason)s", {"name": name, "url": request.url, "reason": reason})
        else:
            logger.error("Source %(name)s failed: %(url)s: %(kind)s: %(reason)s",
                         {"name": name, "url": request.url, "kind": kind, "reason": errors.failure_reason(failure)})
        self._source_error(name, kind)

    def _source_error(self, name: str, kind: str) -> None:
        self._inc("source_errors")
        self._inc("source", name, "errors")
        errors.count_error(self.crawler.stats, kind)

    def closed(self, reason: str) -> None:
        """One line summing up the crawl's errors; and say plainly when no source could be reached at all: the
        machine is most likely offline."""
        summary = errors.error_summary(errors.error_counts(self.crawler.stats.get_stats() if self.crawler.stats else {}))
        if summary:
            logger.warning("Errors in this crawl: %(summary)s", {"summary": summary})
        if self.sources and len(self._source_failures) == len(self.sources) and all(
            kind != "other" for kind in self._source_failures.values()
        ):
            logger.error(
                "No source could be reached (%(n)d of %(n)d failed with network errors): this machine seems to be "
                "offline. Run `blockradar demo` to see the whole flow on a local fixture web.",
                {"n": len(self.sources)},
            )

    # --- discovery -------------------------------------------------------------------------------------
    def parse_source(self, response: Response) -> Iterable[Any]:
        """A feed, sitemap or section page of a source (kind from the sources file, else detected)."""
        source = self._source(response)
        if response.status >= 400:
            return
        kind = response.meta.get("kind")
        try:
            body = discovery.maybe_gunzip(response.body, self.max_size)
        except ValueError as exc:
            logger.error("Discarding %(url)s: %(exc)s", {"url": response.url, "exc": exc})
            self._inc("discovery", "errors", "gunzip")
            errors.count_error(self.crawler.stats,
                               errors.BAD_DOCUMENT if "gzip stream" in str(exc) else errors.DECOMPRESSION_BOMB)
            return
        if not body.strip():
            logger.warning("Empty document (HTTP %(status)d, %(n)d bytes) at %(url)s (source %(name)s)",
                           {"status": response.status, "n": len(body), "url": response.url, "name": source.name})
            self._inc("source", source.name, "empty")
            errors.count_error(self.crawler.stats, errors.EMPTY_DOCUMENT)
            return
        detected = discovery.detect_kind(body, (response.headers.get("Content-Type") or b"").decode("latin-1"))
        if kind and kind != LISTING and detected != kind:
            logger.warning("%(url)s: source %(name)s says %(kind)s but the response looks like a %(detected)s",
                           {"url": response.url, "name": source.name, "kind": kind, "detected": detected})
        kind = detected if kind in (None, FEED, SITEMAP) else kind
        if kind in (FEED, SITEMAP) and discovery.has_doctype(body):
            logger.info("%(url)s declares a DOCTYPE: removed before parsing (entities are never expanded)",
                        {"url": response.url})
            self._inc("discovery", "doctype_removed")
        try:
            if kind == FEED:
                rejected: list[str] = []
                links = discovery.parse_feed(body, response.url, rejected)
                self._note_rejected(response.url, len(rejected))
                yield from self._follow_links(response, source, FEED, links)
            elif kind == SITEMAP:
                yield from self._parse_sitemap(response, source, body)
            elif isinstance(response, TextResponse):
                yield from self._parse_listing(response, source)
        except Exception as exc:  # noqa: BLE001 - a document no parser can read must not stop the crawl
            logger.error("Cannot read %(url)s (source %(name)s) as a %(kind)s: %(type)s: %(exc)s",
                         {"url": response.url, "name": source.name, "kind": kind, "type": type(exc).__name__, "exc": exc})
            errors.count_error(self.crawler.stats, errors.BAD_DOCUMENT)

    def _note_rejected(self, url: str, count: int) -> None:
        if count:
            logger.info("%(url)s: %(n)d link(s) skipped: not http(s) URLs (javascript:, mailto:, ...)", {"url": url, "n": count})
            self._inc("discovery", "skipped", "bad_link", count=count)

    def _parse_sitemap(self, response: Response, source: Source, body: bytes) -> Iterable[Any]:
        doc = discovery.parse_sitemap(body, response.url)
        self._note_rejected(response.url, doc.rejected)
        self._inc("discovery", SITEMAP)
        for url in doc.sitemaps[: self.max_links]:
            yield response.follow(url, callback=self.parse_source, errback=self.request_failed,
                                  meta={"source": source.name, "kind": SITEMAP, "page": 1})
        yield from self._follow_links(response, source, SITEMAP, doc.links)

    def _parse_listing(self, response: TextResponse, source: Source) -> Iterable[Any]:
        """A section page: same-site article-like links, then the next page (bounded by LISTING_MAX_PAGES)."""
        page = int(response.meta.get("page", 1))
        if page == 1 and response.meta.get("kind") is None and self._is_article_page(response):
            # `-a url=` pointed at an article itself
            yield from self.parse_article(response)
            return
        self._inc("discovery", LISTING)
        links: list[Link] = []
        next_url = ""
        for anchor in response.xpath("//a[@href]"):
            href = anchor.attrib.get("href", "")
            url = discovery.absolute_http_url(href, response.url)
            if not url or not discovery.same_site(url, response.url) or url == response.url:
                continue
            text = " ".join(anchor.xpath(".//text()").getall())
            if not next_url and discovery.is_next_link(text, anchor.attrib.get("rel", ""), url, response.url):
                next_url = url
            elif discovery.looks_like_article(url):
                links.append(Link(url=url, title=" ".join(text.split())))
        if not next_url:
            next_url = discovery.absolute_http_url(response.xpath("//link[@rel='next']/@href").get(""), response.url)
        yield from self._follow_links(response, source, LISTING, links)
        if next_url and page < self.max_pages:
            yield response.follow(next_url, callback=self.parse_source, errback=self.request_failed,
                                  meta={"source": source.name, "kind": LISTING, "page": page + 1})
        elif next_url:
            self._inc("discovery", "listing_page_limit")

    def _is_article_page(self, response: TextResponse) -> bool:
        return bool(response.xpath(
            "boolean(//meta[@property='og:type'][@content='article'] "
            "| //script[@type='application/ld+json'][contains(., 'NewsArticle') or contains(., '\"Article\"')])"
        ).get() == "1")

    def _follow_links(self, response: Response, source: Source, kind: str, links: list[Link]) -> Iterable[Any]:
        self._inc("discovery", kind, "links", count=len(links))
        now = datetime.now(UTC)
        kept = 0
        seen: set[str] = set()
        duplicates = binary = 0
        for link in links:
            try:
                key = canonical_url(link.url)
            except ValueError:
                self._inc("discovery", "skipped", "bad_link")
                continue
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            if discovery.is_binary_link(link.url):
                binary += 1
                continue
            if self.max_age and link.published:
                when = parse_date(link.published, source.timezone)
                if when and now - when > self.max_age:
                    self._inc("discovery", "skipped", "too_old")
                    continue
            if kept >= self.max_links:
                self._inc("discovery", "skipped", "over_limit", count=len(links) - kept)
                break
            kept += 1
            hints = PageHints(source=source.name, language=source.language or "", timezone=source.timezone,
                              title=link.title, published=link.published)
            self._backlog.append((link.url, hints))
        yield from self._release()
        if duplicates or binary:
            logger.info("%(url)s: skipped %(dups)d duplicate link(s) and %(bin)d link(s) to images, PDFs or other files",
                        {"url": response.url, "dups": duplicates, "bin": binary})
            self._inc("discovery", "skipped", "duplicate", count=duplicates)
            self._inc("discovery", "skipped", "binary", count=binary)

    # --- the backlog of article links ------------------------------------------------------------------------
    def _article_request(self, url: str, hints: PageHints) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_article, errback=self.request_failed,
                              meta={"source": hints.source, "hints": hints, "kind": ARTICLE, "pending": True})

    def _release(self) -> Iterable[scrapy.Request]:
        """Requests for the waiting links while fewer than DISCOVERY_PENDING_MAX are pending (0: no limit)."""
        stats = self.crawler.stats
        if stats is not None and self._backlog:
            stats.max_value(stat_key("discovery", "backlog", "peak"), len(self._backlog))
        while self._backlog and (self.max_pending <= 0 or self._pending < self.max_pending):
            url, hints = self._backlog.popleft()
            self._pending += 1
            if stats is not None:
                stats.max_value(stat_key("discovery", "pending", "peak"), self._pending)
            yield self._article_request(url, hints)

    def _done(self, request: scrapy.Request) -> None:
        """An article request ended (parsed, failed or dropped): its place goes to a waiting link."""
        if request.meta.pop("pending", False):
            self._pending = max(0, self._pending - 1)

    def _schedule_released(self) -> None:
        engine = self.crawler.engine
        if engine is not None:
            for request in self._release():
                engine.crawl(request)

    def _ended(self, request: scrapy.Request) -> None:
        """A request that produced no response ended: if it held a place, the next waiting link takes it."""
        if request.meta.get("pending"):
            self._done(request)
            self._schedule_released()

    def _request_dropped(self, request: scrapy.Request) -> None:
        self._ended(request)

    def _idle(self) -> None:
        """Nothing is scheduled or in flight: any count still held is stale; release the next links."""
        if self._backlog:
            self._inc("discovery", "backlog", "idle_releases")  # 0 unless a request ended unnoticed
            self._pending = 0
            self._schedule_released()
            raise DontCloseSpider

    def request_failed(self, failure: Failure) -> None:
        """A discovered link could not be fetched; robots.txt and other deliberate skips are only counted."""
        request = failure.request  # type: ignore[attr-defined]
        self._ended(request)
        self._request_failed(failure, request)

    def _request_failed(self, failure: Failure, request: scrapy.Request) -> None:
        kind = errors.failure_kind(failure)
        if errors.is_a(failure, NotModified, errors.ReportedIgnore):
            return  # counted (and, for a refusal, logged) where it was decided
        if errors.is_a(failure, HttpError):
            status = failure.value.response.status  # type: ignore[union-attr]
            logger.warning("HTTP %(status)d for %(url)s (source %(name)s)",
                           {"status": status, "url": request.url, "name": request.meta.get("source", "?")})
            self._inc("http_errors", str(status))
            errors.count_error(self.crawler.stats, kind)
            return
        if errors.is_a(failure, IgnoreRequest) and kind == errors.OTHER:
            logger.debug("Skipped %(url)s: %(reason)s", {"url": request.url, "reason": failure.getErrorMessage()})
            self._inc("skipped", "ignored")
            return
        logger.warning("Failed %(url)s (source %(name)s): %(kind)s: %(reason)s",
                       {"url": request.url, "name": request.meta.get("source", "?"), "kind": kind,
                        "reason": errors.failure_reason(failure)})
        self._inc("request_errors")
        errors.count_error(self.crawler.stats, kind)

    # --- articles ----------------------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterable[Article | scrapy.Request]:
        """Extract the article of a page; pages that are not HTML articles are counted and skipped."""
        yield from self._article(response)
        if response.meta.get("pending"):
            self._done(response.request)  # type: ignore[arg-type]
            yield from self._release()

    def _article(self, response: Response) -> Iterable[Article]:
        source = self._source(response)
        hints = response.meta.get("hints") or PageHints(source=source.name, language=source.language or "",
                                                         timezone=source.timezone)
        if not isinstance(response, TextResponse) or not (
            isinstance(response, HtmlResponse) or b"<html" in response.body[:2048].lower()
        ):
            content_type = (response.headers.get("Content-Type") or b"").decode("latin-1") or "no Content-Type"
            logger.info("Skipping %(url)s: not an HTML page (%(type)s)", {"url": response.url, "type": content_type})
            self._inc("skipped", "not_html")
            return
        try:
            article = extract_article(response.text, response.url, hints,
                                      max_chars=self.max_chars, min_body_chars=self.min_body_chars)
        except NotAnArticle as exc:
            logger.debug("Skipping %(url)s: %(reason)s", {"url": response.url, "reason": exc.reason})
            self._inc("skipped", "not_an_article")
            return
        except Exception as exc:  # noqa: BLE001 - an extractor bug on one hostile page must not cost the crawl
            logger.error("Extraction failed for %(url)s (source %(name)s): %(type)s: %(exc)s",
                         {"url": response.url, "name": source.name, "type": type(exc).__name__, "exc": exc})
            errors.count_error(self.crawler.stats, errors.EXTRACTION)
            return
        if len(article.body) < self.min_body_chars:
            # extract_article checks the length before it drops a first line repeating the headline
            logger.debug("Skipping %(url)s: %(n)d characters of body", {"url": response.url, "n": len(article.body)})
            self._inc("skipped", "not_an_article")
            return
        self._inc("extracted")
        self._inc("source", source.name, "extracted")
        yield article


def validate_arguments(sources: str | None, source: str | None, url: str | None, sources_file_setting: str) -> None:
    """Check the spider's -a arguments before a crawl starts (raises SourcesError with one line)."""
    resolve_sources(sources_file=sources or sources_file_setting or None, names=source, urls=url)


__all__ = ["NewsSpider", "SourcesError", "validate_arguments"]
