"""GarbageCollection (crawler/extensions.py): the collector is tuned for the time of a crawl, then left as it was."""

from __future__ import annotations

import gc
import weakref
from typing import TYPE_CHECKING

import pytest
from scrapy.utils.test import get_crawler

from crawler.extensions import GarbageCollection
from spiders.news import NewsSpider

if TYPE_CHECKING:
    from collections.abc import Iterator



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
