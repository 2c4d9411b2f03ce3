"""DedupPipeline: one record per story across URLs, runs, outlets and processes (see crawler/dedup.py).

Settings (defaults in crawler/settings.py): ``DEDUP_ENABLED`` (True), ``DEDUP_THRESHOLD`` (0.68),
``DEDUP_CHANGE_THRESHOLD`` (0.95), ``DEDUP_NUM_PERM`` (256), ``DEDUP_BANDS`` (32), ``DEDUP_BAND_ROWS`` (4),
``DEDUP_SHINGLE_SIZE`` (2),
``STATE_URL``.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Self

from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured

from crawler.dedup import DedupConfig, decide, fingerprint
from crawler.state.base import StoryState
from crawler.state.crawl import crawl_state
from crawler.state.owner import process_token
from crawler.stats import stat_key

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

    from crawler.items import Article
    from crawler.state.base import StateStore

logger = logging.getLogger(__name__)


def _owner_token(crawler: Crawler) -> str:
    """A distributed worker holds its decisions under its worker id (alive while its heartbeat lasts); any other
    crawl under its process."""
    if crawler.settings.get("REDIS_URL") and crawler.spidercls and crawler.spidercls.name == "news-worker":
        from crawler.distributed.link import worker_link  # noqa: PLC0415 - needs the [distributed] extra

        return f"w:{worker_link(crawler).worker_id}"
    return process_token()


def dedup_config(settings: BaseSettings) -> DedupConfig:
    """The DEDUP_* settings as a DedupConfig; ValueError names a bad one."""
    try:
        return DedupConfig(
            num_perm=settings.getint("DEDUP_NUM_PERM"),
            bands=settings.getint("DEDUP_BANDS"),
            band_rows=settings.getint("DEDUP_BAND_ROWS"),
            shingle_size=settings.getint("DEDUP_SHINGLE_SIZE"),
            threshold=settings.getfloat("DEDUP_THRESHOLD"),
            change_threshold=settings.getfloat("DEDUP_CHANGE_THRESHOLD"),
        )
    except ValueError as exc:
        raise ValueError(f"Bad dedup settings: {exc}") from exc


class DedupPipeline:
    """Emit new stories and material updates (version + 1); drop re-crawls and syndicated copies, counted."""

    def __init__(self, store: StateStore, config: DedupConfig, stats: StatsCollector | None = None,
                 owner: str = "") -> None:
        self.store = store
        self.config = config
        self.stats = stats
        self.owner = owner
        """Token under which decisions stay pending until their record is written (crawler/state/owner.py)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("DEDUP_ENABLED"):
            raise NotConfigured("DEDUP_ENABLED is off")
        pipeline = cls(crawl_state(crawler), dedup_config(settings), crawler.stats, owner=_owner_token(crawler))
        # Connected after the feed exporter's and the worker's own handlers (extensions are built before the
        # pipelines), so a story is confirmed only once its record is written.
        crawler.signals.connect(pipeline.item_scraped, signal=signals.item_scraped)
        return pipeline

    def item_scraped(self, item: Any, **_: Any) -> None:
        """The record is written: the story's decision is final."""
        story_id = getattr(item, "id", "")
        if story_id and self.owner:
            self.store.confirm(self.owner, [story_id])

    def _inc(self, *parts: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(stat_key("dedup", *parts))

    def process_item(self, item: Article) -> Article:
        fp = fingerprint(f"{item.body}", item.language, self.config)
        now = time.time()
        story = StoryState(id=item.id, content_hash=fp.content_hash, signature=fp.signature, language=item.language,
                           title=item.title, url=item.canonical_url, first_seen=now, last_seen=now)
        decision = self.store.remember(
            item.id, fp.content_hash, fp.bands,
            lambda existing, holder, candidates: decide(story, fp, self.config, existing, holder, candidates),
            owner=self.owner,
        )
        self._inc(decision.action)
        if decision.action == "updated":
            item.version = decision.story.version
            if not item.modified or (item.published and item.modified <= item.published):
                item.modified = item.fetched_at
            logger.debug("Story %(id)s changed (similarity %(sim).2f): emitting version %(v)d of %(url)s",
                         {"id": item.id, "sim": decision.similarity, "v": item.version, "url": item.url})
            return item
        if decision.emit:
            return item
        if decision.action == "unchanged":
            raise DropItem(f"Unchanged since last seen: {item.url}", log_level="DEBUG")
        raise DropItem(
            f"{decision.action.replace('_', '-')} of story {decision.duplicate_of} "
            f"(similarity {decision.similarity:.2f}): {item.url} repeats {decision.story.url}",
            log_level="DEBUG",
        )
