"""robots.txt is obeyed by every request, also those that arrive together while a host's robots.txt downloads."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

from tests.conftest import REPO

if TYPE_CHECKING:
    from pathlib import Path

    from crawler.demo.server import FixtureWeb

# A spider whose first requests to one host are several at once, as a distributed worker's are (article links from
# the shared queue): all but one wait for that host's robots.txt.
SPIDER = """
import sys
import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

class Many(scrapy.Spider):
    name = "many"
    start_urls = sys.argv[1:]

    def parse(self, response):
        yield {"url": response.url}

settings = get_project_settings()
settings.setdict({"STATE_URL": "", "LOG_LEVEL": "INFO", "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS": 16,
                  "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "RETRY_TIMES": 0, "ITEM_PIPELINES": {},
                  "CONDITIONAL_GET_ENABLED": False}, priority="cmdline")
process = CrawlerProcess(settings)
process.crawl(Many)
process.start()
"""


def test_requests_waiting_together_for_robots_txt_all_obey_it(web: FixtureWeb, tmp_path: Path) -> None:
    base = web.sites["meridian"]  # its robots.txt: Disallow: /drafts/
    drafts = [f"/drafts/2026/02/{day:02d}/story.html" for day in range(1, 7)]
    allowed = "/2026/02/09/pakistan-blocks-x-after-by-election-protests.html"
    before = len(web.requested("meridian"))
    web.latency = 0.3  # robots.txt takes a while: the other requests wait for it together
    try:
        result = subprocess.run(
            [sys.executable, "-c", SPIDER, base + allowed, *(base + path for path in drafts)],
            check=False, cwd=tmp_path, capture_output=True, text=True, timeout=120,
            env=dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings", PYTHONPATH=str(REPO)),
        )
    finally:
        web.latency = 0.0
    assert result.returncode == 0, result.stderr[-2000:]
    requested = web.requested("meridian")[before:]
    assert "/robots.txt" in requested
    assert [path for path in requested if path.startswith("/drafts/")] == []
    assert "'robotstxt/forbidden': 6" in result.stderr
