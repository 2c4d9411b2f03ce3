"""Crawl extensions.

StatsDump: at the end of a crawl, write every stat as one JSON object to ``STATS_DUMP_FILE`` (written to a
temporary file and renamed, so a reader never sees half of it). Used by the daemon for run history and by tests.

GarbageCollection: Python's cyclic garbage collector tuned for a crawl (``GC_THRESHOLD``, ``GC_FREEZE``).

LogLevelFloor: log calls below every handler's level return at once instead of making a record to drop.
"""

from __future__ import annotations

import gc
import json
import logging
import time
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


class GarbageCollection:
    """Python's cyclic garbage collector, tuned for a crawl, and what it cost (stats).

    With Python's defaults a crawl allocates enough to run a collection of the youngest objects every 700
    allocations, and now and then a full one that walks every object alive, the modules, taxonomy and models
    loaded at the start included: 7% of a 2,000-article crawl's CPU, 1.5 s, of which 1.0 s in 14 full collections
    (benchmarks/crawl.py). When the engine starts, the objects alive (nearly all of them there for the whole crawl)
    are moved out of the collector's sight (``gc.freeze``, with ``GC_FREEZE``), and the youngest generation is
    collected every ``GC_THRESHOLD`` allocations instead (0: Python's own): 0.11 s in 20 collections; over 20,000
    articles 1.5 s in 154, where Python's defaults spent 22 s, for a 5% higher peak of memory. Both are undone when
    the spider closes. (The collector is the process's: crawls sharing one process,
    which `scrapy crawl`, the daemon and the workers never do, would undo each other's settings.)

    A collector that runs this seldom must not be what frees the pages: a dropped item's ``DropItem`` holds its
    traceback, whose frames hold the item, and Scrapy's (``start_itemproc_async``) holds the response, its body and
    its decoded text, in a local that refers to the exception again (the drop's log arguments): a reference cycle,
    ~200 KB a dropped article that only a full collection frees. Over a crawl that drops a fifth of its articles
    (dedup, irrelevant ones) they made the peak of memory 27 MB higher at 2,000 articles. So once a drop is logged
    and signalled (``item_dropped``), its exception lets go of its traceback, and the page is freed at once.

    Stats: ``blockradar/gc/frozen`` (objects frozen), ``blockradar/gc/collections`` and ``blockradar/gc/seconds``
    (collections during the crawl, all generations)."""

    def __init__(self, crawler: Crawler, threshold: int, freeze: bool) -> None:
        self.crawler = crawler
        self.threshold = threshold
        self.freeze = freeze
        self._saved: tuple[int, int, int] | None = None
        self._frozen = False
        self._started = 0.0
        self.collections = 0
        self.seconds = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        threshold = crawler.settings.getint("GC_THRESHOLD")
        if threshold < 0:
            raise ValueError(f"GC_THRESHOLD must be 0 (Python's own) or a number of allocations, not {threshold}")
        extension = cls(crawler, threshold, crawler.settings.getbool("GC_FREEZE"))
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.item_dropped, signal=signals.item_dropped)
        return extension

    @staticmethod
    def item_dropped(exception: BaseException | None = None, **_: Any) -> None:
        """The drop is logged: the traceback (the frames that hold the item and its page) is of no more use."""
        if exception is not None:
            exception.__traceback__ = None

    def _timed(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.collections += 1
            self.seconds += time.perf_counter() - self._started

    def engine_started(self) -> None:
        if self.freeze and gc.isenabled():
            # (No collection first, to spare frozen garbage: one found nothing to free here, and cost 0.09 s.)
            gc.freeze()
            self._frozen = True
            if self.crawler.stats:
                self.crawler.stats.set_value("blockradar/gc/frozen", gc.get_freeze_count())
        if self.threshold:
            self._saved = gc.get_threshold()
            gc.set_threshold(self.threshold, *self._saved[1:])
        gc.callbacks.append(self._timed)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._timed in gc.callbacks:
            gc.callbacks.remove(self._timed)
        if self._saved is not None and gc.get_threshold()[0] == self.threshold:  # (unless changed since)
            gc.set_threshold(*self._saved)
        self._saved = None
        if self._frozen:
            gc.unfreeze()
            self._frozen = False
        if self.crawler.stats:
            self.crawler.stats.set_value("blockradar/gc/collections", self.collections)
            self.crawler.stats.set_value("blockradar/gc/seconds", round(self.seconds, 3))


class LogLevelFloor:
    """Log calls that no handler would take return at once, instead of making a record that every handler drops.

    Scrapy leaves the root logger at NOTSET and sets ``LOG_LEVEL`` on its handler, so every ``logger.debug`` of
    Scrapy, trafilatura and this project builds a record (the caller's frame looked up, the message's arguments
    kept) that the handler then drops: about 5 an article at ``LOG_LEVEL = "INFO"`` (9,916 over 2,000 articles),
    1-1.5% of a crawl's CPU with trafilatura's. When the engine starts, the root logger's level is raised to the
    lowest level of any handler of any logger (Python then answers ``isEnabledFor`` from a cache); a handler
    without a level (NOTSET, as pytest's log capture) leaves it as it is. Undone when the spider closes."""

    def __init__(self) -> None:
        self._saved: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls()
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    @staticmethod
    def floor() -> int:
        """The lowest level a handler of any logger takes (NOTSET when one takes everything, or there is none);
        the NullHandlers libraries add to their loggers take nothing, and do not count."""
        loggers = [logging.root, *(v for v in logging.Logger.manager.loggerDict.values() if isinstance(v, logging.Logger))]
        levels = [h.level for logger in loggers for h in logger.handlers if not isinstance(h, logging.NullHandler)]
        return min(levels) if levels else logging.NOTSET

    def engine_started(self) -> None:
        root = logging.root
        floor = self.floor()
        if floor > root.level:
            self._saved = root.level
            root.setLevel(floor)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._saved is not None:
            logging.root.setLevel(self._saved)
            self._saved = None
