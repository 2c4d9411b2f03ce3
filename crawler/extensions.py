"""Crawl extensions.

StatsDump: at the end of a crawl, write every stat as one JSON object to ``STATS_DUMP_FILE`` (written to a
temporary file and renamed, so a reader never sees half of it). Used by the daemon for run history and by tests.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from scrapy import signals

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class StatsDump:
    """Settings: ``STATS_DUMP_FILE`` (empty: off)."""

    def __init__(self, crawler: Crawler, path: Path | None) -> None:
        self.crawler = crawler
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        path = crawler.settings.get("STATS_DUMP_FILE")
        extension = cls(crawler, Path(path) if path else None)
        if path:
            # Off without a warning when the setting is empty: most crawls don't want the file.
            crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.path is None:
            return
        stats = {k: _jsonable(v) for k, v in (self.crawler.stats.get_stats() if self.crawler.stats else {}).items()}
        stats["finish_reason"] = reason
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(stats, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        tmp.replace(self.path)
