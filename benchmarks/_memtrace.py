"""A diagnostic Scrapy extension for benchmarks/crawl.py --memtrace: where a long crawl's memory goes.

Every ``MEMTRACE_EVERY`` responses it logs the process's RSS split into anonymous memory (the Python heap, lxml,
numpy) and file-backed pages (memory-mapped files such as an SQLite database under ``PRAGMA mmap_size``), the
sizes of the engine's queues, and the 12 allocation sites whose traced memory grew most since the first report
(tracemalloc, one frame). At the end it writes the same to ``MEMTRACE_FILE`` as JSON. Tracing slows the crawl
down: use it to find growth, not to time anything.
"""

from __future__ import annotations

import json
import logging
import tracemalloc
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from scrapy import signals

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)
TOP = 12


def rss_parts() -> dict[str, int]:
    """RssAnon, RssFile and VmRSS of this process in KiB (Linux /proc; empty elsewhere)."""
    parts: dict[str, int] = {}
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                parts[name] = int(value.split()[0])
    except OSError:
        pass
    return parts


class MemTrace:
    """Settings: ``MEMTRACE_EVERY`` (2000 responses), ``MEMTRACE_FILE`` (empty: log only)."""

    def __init__(self, crawler: Crawler, every: int, path: str) -> None:
        self.crawler = crawler
        self.every = every
        self.path = Path(path) if path else None
        self.responses = 0
        self.first: tracemalloc.Snapshot | None = None
        self.reports: list[dict[str, Any]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls(crawler, crawler.settings.getint("MEMTRACE_EVERY", 2000),
                        crawler.settings.get("MEMTRACE_FILE", ""))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        tracemalloc.start(1)
        self.first = tracemalloc.take_snapshot()

    def response_received(self, response: Response, **kwargs: Any) -> None:
        self.responses += 1
        if self.responses % self.every == 0:
            self.report()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.report()
        tracemalloc.stop()
        if self.path is not None:
            self.path.write_text(json.dumps(self.reports, indent=1), encoding="utf-8")

    def _queues(self) -> dict[str, int]:
        engine: Any = self.crawler.engine
        sizes: dict[str, int] = {}
        try:
            sizes["scheduler"] = len(engine._slot.scheduler)
            sizes["inprogress"] = len(engine._slot.inprogress)
            sizes["downloader_active"] = len(engine.downloader.active)
            sizes["scraper_active"] = len(engine.scraper.slot.active)
        except (AttributeError, TypeError):
            pass
        return sizes

    def report(self) -> None:
        if self.first is None:
            return
        snapshot = tracemalloc.take_snapshot()
        traced, _ = tracemalloc.get_traced_memory()
        growth = [
            {"where": str(stat.traceback[0]), "kib": round(stat.size_diff / 1024), "count": stat.count_diff}
            for stat in snapshot.compare_to(self.first, "lineno")[:TOP]
        ]
        entry = {"responses": self.responses, "rss_kib": rss_parts(), "traced_kib": traced // 1024,
                 "queues": self._queues(), "growth": growth}
        self.reports.append(entry)
        logger.info("memtrace %(n)d responses: rss %(rss)s traced %(traced)d KiB queues %(queues)s",
                    {"n": self.responses, "rss": entry["rss_kib"], "traced": entry["traced_kib"],
                     "queues": entry["queues"]})
        for row in growth:
            logger.info("memtrace   %(kib)+8d KiB %(count)+8d blocks  %(where)s", row)
