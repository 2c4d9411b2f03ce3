"""GarbageCollection (crawler/extensions.py): the collector is tuned for the time of a crawl, then left as it was."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import weakref
from typing import TYPE_CHECKING, Any

import pytest
from scrapy.utils.test import get_crawler

from crawler.extensions import GarbageCollection
from spiders.news import NewsSpider
from tests.conftest import REPO

if TYPE_CHECKING:
    from collections.abc import Iterator

    from crawler.demo.server import FixtureWeb



@pytest.fixture
def collector_as_found() -> Iterator[tuple[int, int, int]]:
    """Python's collector settings before the test, restored after it whatever the test did."""
    threshold = gc.get_threshold()
    yield threshold
    gc.set_threshold(*threshold)
    gc.unfreeze()


class _Node:
    """An object in a reference cycle: only the garbage collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_the_crawl_freezes_what_start_up_left_and_collects_less_often(
    collector_as_found: tuple[int, int, int],
) -> None:
    crawler = get_crawler(NewsSpider, settings_dict={"GC_THRESHOLD": 12_345, "GC_FREEZE": True})
    extension = GarbageCollection.from_crawler(crawler)
    crawler.stats.open_spider()  # type: ignore[union-attr]
    unreachable = weakref.ref(_Node())  # garbage start-up left, not yet collected
    extension.engine_started()
    try:
        assert gc.get_threshold() == (12_345, *collector_as_found[1:])
        assert gc.get_freeze_count() > 10_000  # the modules and everything else start-up made
        gc.collect()
        assert unreachable() is not None  # frozen: out of the collector's sight
    finally:
        extension.spider_closed(crawler.spider, "finished")  # type: ignore[arg-type]
    assert gc.get_threshold() == collector_as_found
    assert gc.get_freeze_count() == 0
    assert extension._timed not in gc.callbacks
    gc.collect()
    assert unreachable() is None  # back in sight once the crawl is over
    stats = crawler.stats.get_stats()  # type: ignore[union-attr]
    assert stats["blockradar/gc/frozen"] > 10_000
    assert stats["blockradar/gc/collections"] >= 1  # the gc.collect() above, at least
    assert stats["blockradar/gc/seconds"] >= 0


def test_switched_off_it_changes_nothing(collector_as_found: tuple[int, int, int]) -> None:
    crawler = get_crawler(NewsSpider, settings_dict={"GC_THRESHOLD": 0, "GC_FREEZE": False})
    extension = GarbageCollection.from_crawler(crawler)
    crawler.stats.open_spider()  # type: ignore[union-attr]
    extension.engine_started()
    assert gc.get_threshold() == collector_as_found
    assert gc.get_freeze_count() == 0
    extension.spider_closed(crawler.spider, "finished")  # type: ignore[arg-type]
    assert "blockradar/gc/frozen" not in crawler.stats.get_stats()  # type: ignore[union-attr]


def test_a_negative_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="GC_THRESHOLD must be 0"):
        GarbageCollection.from_crawler(get_crawler(NewsSpider, settings_dict={"GC_THRESHOLD": -5}))


# A crawl in its own process, Python's collector off: what is still alive at the end was kept by reference cycles.
_DROPPING_CRAWL = """
import gc, json, sys, weakref
from scrapy import Spider
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import DropItem

pages = []

class DropAll:
    def process_item(self, item):
        raise DropItem("not wanted", log_level="DEBUG")

class Pages(Spider):
    name = "pages"
    start_urls = json.loads(sys.argv[1])

    def parse(self, response):
        pages.append(weakref.ref(response))
        yield {"url": response.url, "text": response.text}

extensions = {"crawler.extensions.GarbageCollection": -1} if sys.argv[2] == "on" else {}
process = CrawlerProcess({"ITEM_PIPELINES": {"__main__.DropAll": 100}, "EXTENSIONS": extensions,
                          "GC_THRESHOLD": 10_000, "GC_FREEZE": True, "LOG_LEVEL": "ERROR",
                          "TELNETCONSOLE_ENABLED": False, "ROBOTSTXT_OBEY": False})
process.crawl(Pages)
gc.disable()
process.start()
print(json.dumps({"fetched": len(pages), "alive": sum(page() is not None for page in pages)}))
"""


def _dropping_crawl(urls: list[str], extension: str) -> dict[str, int]:
    result = subprocess.run([sys.executable, "-c", _DROPPING_CRAWL, json.dumps(urls), extension], cwd=REPO,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    counts: dict[str, int] = json.loads(result.stdout.strip().splitlines()[-1])
    return counts


def test_a_dropped_items_page_is_freed_without_the_collector(web: FixtureWeb, expected: list[dict[str, Any]]) -> None:
    """Scrapy keeps a dropped item's response in a reference cycle (its frame, the DropItem and its traceback):
    without the extension the pages of dropped items stay alive until a full collection; with it, none does."""
    urls = sorted({web.url(page["site"], page["path"]) for page in expected})[:12]
    without = _dropping_crawl(urls, "off")
    assert without["fetched"] == len(urls)
    assert without["alive"] >= len(urls) - 1  # the cycle this guards against (Scrapy 2.19)
    with_extension = _dropping_crawl(urls, "on")
    assert with_extension == {"fetched": len(urls), "alive": 0}
