"""EventsPipeline: cluster each written article into block events, append their new versions, queue alerts.

Runs after dedup, so it sees each story once (and again only when it changed). Articles below
``CLASSIFY_THRESHOLD`` (kept by ``KEEP_IRRELEVANT``) and articles without a country or platform are not clustered.
The article is always passed on: events are derived data, and a failure here is logged and counted, never a lost record.

Settings (defaults in crawler/settings.py): ``EVENTS_ENABLED`` (True), ``EVENTS_FILE`` ("": events only in the state
store; a path: every new event version appended there), ``EVENTS_WINDOW_DAYS`` (21), ``EVENTS_LINK_DAYS`` (180),
``STATE_URL``; alerts: ``ALERT_WEBHOOKS`` ([]), ``ALERT_WEBHOOK_SECRET`` (""), ``ALERT_SMTP_URL`` (""),
``ALERT_EMAIL_FROM`` (""), ``ALERT_EMAIL_TO`` ([]), ``ALERT_TIMEOUT`` (10), ``ALERT_RETRIES`` (3),
``ALERT_RETRY_BACKOFF`` (1.0), ``ALERT_MAX_AGE`` (86400), ``ALERT_POLL`` (60).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Self

from scrapy.exceptions import NotConfigured

from crawler.events.cluster import ClusterConfig, read_signal
from crawler.events.dispatch import AlertConfig, AlertDispatcher
from crawler.events.jsonl import append_events
from crawler.events.model import ArticleRef
from crawler.events.store import open_event_store
from crawler.stats import stat_key

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from crawler.events.store import EventStore
    from crawler.items import Article

logger = logging.getLogger(__name__)


class EventsPipeline:
    """Keep the block events up to date with every article the crawl writes."""

    def __init__(self, store: EventStore, config: ClusterConfig, *, events_file: Path | None = None,
                 threshold: float = 0.0, dispatcher: AlertDispatcher | None = None,
                 stats: StatsCollector | None = None) -> None:
        self.store = store
        self.config = config
        self.events_file = events_file
        self.threshold = threshold
        self.dispatcher = dispatcher
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("EVENTS_ENABLED"):
            raise NotConfigured("EVENTS_ENABLED is off")
        config = ClusterConfig(settings.getfloat("EVENTS_WINDOW_DAYS"), settings.getfloat("EVENTS_LINK_DAYS"))
        try:
            alerts = AlertConfig.from_settings(settings)
        except ValueError as exc:
            raise ValueError(f"Bad alert settings: {exc}") from exc
        state_url = settings.get("STATE_URL") or ""
        try:
            store = open_event_store(state_url)
        except ValueError as exc:
            raise ValueError(f"Bad STATE_URL setting: {exc}") from exc
        dispatcher = None
        if alerts.enabled:
            dispatcher = AlertDispatcher(lambda: open_event_store(state_url), alerts, crawler.stats)
        events_file = settings.get("EVENTS_FILE") or ""
        return cls(store, config, events_file=Path(events_file) if events_file else None,
                   threshold=settings.getfloat("CLASSIFY_THRESHOLD"), dispatcher=dispatcher, stats=crawler.stats)

    def _inc(self, *parts: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(stat_key("events", *parts))

    def open_spider(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.start()
            self.dispatcher.notify()  # alerts a previous crawl left pending

    def process_item(self, item: Article) -> Article:
        if item.relevance < self.threshold:
            self._inc("skipped", "irrelevant")
            return item
        try:
            article = ArticleRef.from_item(item)
        except ValueError as exc:
            logger.warning("Not clustered into events: %(error)s", {"error": exc})
            self._inc("skipped", "no_date")
            return item
        if not article.countries:
            self._inc("skipped", "no_country")
            return item
        try:
            changes = self.store.place(article, self.config, datetime.now(UTC), alerts=self.dispatcher is not None)
            if self.events_file is not None:
                append_events(self.events_file, [c.event.to_record() for c in changes])
        except Exception:  # the article record matters more than the events derived from it
            logger.exception("Clustering %(url)s into events failed", {"url": item.url})
            self._inc("errors")
            return item
        if not changes:
            self._inc("skipped", "untagged" if read_signal(article) is None else "unchanged")
        for change in changes:
            event = change.event
            self._inc(change.alert_kind or "updated")
            logger.log(logging.INFO if change.alert_kind else logging.DEBUG,
                       "%(what)s %(id)s [%(country)s] %(platforms)s, %(status)s: %(title)s", {
                           "what": {"new_event": "New event", "status_change": "Event status changed:"}.get(
                               change.alert_kind or "", f"Event v{event.version}"),
                           "id": event.event_id, "country": event.country, "platforms": ", ".join(event.platforms),
                           "status": event.status.replace("_", " "), "title": event.title})
        if self.dispatcher is not None and any(c.alert_kind for c in changes):
            self.dispatcher.notify()
        return item

    def close_spider(self) -> None:
        try:
            if self.dispatcher is not None and not self.dispatcher.close(timeout=max(30.0, self.dispatcher.config.lease)):
                logger.warning("Alerts still being delivered at the end of the crawl: the next crawl delivers the rest")
        finally:
            self.store.close()
