"""Redirects that must not be followed, caught where they start: loops, and Locations that are not http(s).

A loop of article links (A -> B -> A) would otherwise end in silence: the second request for A is dropped by
Scrapy's duplicate filter, counted nowhere but ``dupefilter/filtered``. A redirect to ``file:``, ``ftp:`` or
``javascript:`` is not followed by Scrapy either, but it surfaces as a puzzling "HTTP 302" error.
RedirectGuardMiddleware sees each redirect response before RedirectMiddleware (600) does, and refuses both with one
log line, counted as ``blockradar/errors/redirect_loop`` or ``bad_redirect``. Chains that are merely long end at
``REDIRECT_MAX_TIMES`` (Scrapy), counted as ``too_many_redirects`` by the spider; where a redirect may lead is
checked by the address guard (crawler/security.py), like any request.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Self
from urllib.parse import urljoin, urlsplit

from w3lib.url import safe_url_string

from crawler.errors import BAD_REDIRECT, REDIRECT_LOOP, ReportedIgnore, count_error

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class RedirectLoop(ReportedIgnore):
    """A redirect back to a URL already visited in the same chain."""

    kind = REDIRECT_LOOP


class BadRedirect(ReportedIgnore):
    """A redirect to something other than an http(s) URL."""

    kind = BAD_REDIRECT


def redirect_target(request_url: str, location: bytes) -> str:
    """The absolute URL a Location header points to, without fragment (as RedirectMiddleware builds it)."""
    target = safe_url_string(location)
    if location.startswith(b"//"):
        target = request_url.split(":", 1)[0] + "://" + target.lstrip("/")
    return urljoin(request_url, target).split("#", 1)[0]


class RedirectGuardMiddleware:
    """Refuse redirect loops and redirects to non-http(s) URLs. Priority 650 (before RedirectMiddleware).
    No settings."""

    def __init__(self, stats: StatsCollector | None = None) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.stats)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get("Location")
        if response.status not in _REDIRECTS or not location or request.meta.get("dont_redirect"):
            return response
        source = request.meta.get("source", "-")
        target = redirect_target(request.url, location)
        if urlsplit(target).scheme not in ("http", "https"):
            logger.warning("Refused a redirect (source %(source)s): %(url)s -> %(target)s: only http(s) is fetched",
                           {"source": source, "url": request.url, "target": target[:200]})
            count_error(self.stats, BAD_REDIRECT)
            raise BadRedirect(f"redirect to a non-http(s) URL: {target[:200]}")
        chain = [u.split("#", 1)[0] for u in (*request.meta.get("redirect_urls", ()), request.url)]
        if target not in chain:
            return response
        loop = " -> ".join([*chain[chain.index(target):], target])
        logger.warning("Redirect loop (source %(source)s): %(loop)s", {"source": source, "loop": loop})
        count_error(self.stats, REDIRECT_LOOP)
        raise RedirectLoop(f"redirect loop: {loop}")
