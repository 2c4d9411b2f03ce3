"""Politeness: a crawl never sends a site more requests at once than CONCURRENT_REQUESTS_PER_DOMAIN, and it keeps
its connections to the site open (crawler/downloader.py), on a real crawl of a slow local site."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from tests.conftest import run_crawl
from tests.hostile import faultweb as fw
from tests.hostile.articles import english, page

if TYPE_CHECKING:
    from pathlib import Path

PAGES = 18  # (tests/hostile/articles.py writes 20 distinct English articles)
PER_SITE = 3
ANSWER_SECONDS = 0.2  # long enough that the crawl has every page it may fetch in flight at once


class SlowSite:
    """Article pages that take ANSWER_SECONDS to answer, counting the requests in progress and the connections."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = self.most = 0
        self.connections: set[int] = set()

    def article(self, n: int) -> fw.Route:
        body = page(english(n)).encode("utf-8")

        def route(handler: fw.FaultHandler, attempt: int) -> None:
            with self._lock:
                self.now += 1
                self.most = max(self.most, self.now)
                self.connections.add(handler.client_address[1])
            try:
                time.sleep(ANSWER_SECONDS)
                handler.send(200, body)
            finally:
                with self._lock:
                    self.now -= 1

        return route


def test_a_site_gets_at_most_its_concurrency_over_kept_connections(tmp_path: Path) -> None:
    site = SlowSite()
    with fw.FaultWeb() as web:
        links = [web.add(f"/news/slow-{n}.html", site.article(n)) for n in range(PAGES)]
        items = "".join(f"<item><title>Story {n}</title><link>{link}</link>"
                        "<pubDate>Tue, 10 Feb 2026 09:00:00 +0000</pubDate></item>" for n, link in enumerate(links))
        feed = web.add("/feed.xml", fw.html(f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                                            f"<title>Slow</title><link>{web.url('/')}</link>{items}</channel></rss>",
                                            "application/rss+xml"))
        result = run_crawl(tmp_path, "-a", f"url={feed}", settings={
            "CLASSIFY_ENABLED": "False", "CONCURRENT_REQUESTS": "16", "CONCURRENT_REQUESTS_PER_DOMAIN": str(PER_SITE),
            "DEDUP_ENABLED": "False"})
        fetched = [path for path in (f"/news/slow-{n}.html" for n in range(PAGES)) if web.requested(path)]
    assert result.returncode == 0, result.log[-2000:]
    assert len(fetched) == PAGES
    assert len(result.records) == PAGES
    # At most the limit, and the limit reached: the site's pages were fetched side by side, never more.
    assert site.most == PER_SITE, f"{site.most} requests at once with CONCURRENT_REQUESTS_PER_DOMAIN={PER_SITE}"
    # The connections are kept open and reused: not one a request (the feed and robots.txt may take their own).
    assert len(site.connections) <= PER_SITE + 2, f"{len(site.connections)} connections for {PAGES} pages"
