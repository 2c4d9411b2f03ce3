"""Test-only component loaded into a crawl subprocess: kill the crawl at a chosen point of an item's way out.

KillAfterDedupPipeline runs after DedupPipeline (500) has committed the item's story to the state store, before
the feed exporter writes the item's line (on ``item_scraped``): the one window in which a crash loses a story.
Settings: ``KILL_AFTER_ITEMS`` (the crawl is SIGKILLed at this item; 0: never).
"""

from __future__ import annotations

import os
import signal
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class KillAfterDedupPipeline:
    def __init__(self, kill_at: int) -> None:
        self.kill_at = kill_at
        self.seen = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.settings.getint("KILL_AFTER_ITEMS"))

    def process_item(self, item: Any) -> Any:
        self.seen += 1
        if self.kill_at and self.seen >= self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return item


class KillAfterWriteExtension:
    """Kill the crawl on the ``KILL_AFTER_ITEMS``-th ``item_scraped``, after the feed exporter (an earlier
    extension, so an earlier handler of the signal) has written the item."""

    def __init__(self, kill_at: int) -> None:
        self.kill_at = kill_at
        self.seen = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        from scrapy import signals  # noqa: PLC0415

        extension = cls(crawler.settings.getint("KILL_AFTER_ITEMS"))
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        return extension

    def item_scraped(self, item: Any) -> None:
        self.seen += 1
        if self.kill_at and self.seen >= self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
