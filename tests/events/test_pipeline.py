"""EventsPipeline with real crawler objects: events file, stats, alerts exactly once across runs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.events.jsonl import latest_events
from crawler.events.schema import event_errors
from crawler.items import OUTPUT_FIELDS, Article
from crawler.stats import stat_key
from pipelines.events import EventsPipeline
from tests.events.conftest import SECRET

if TYPE_CHECKING:
    from tests.events.servers import WebhookReceiver


def project(**overrides: Any) -> dict[str, Any]:
    """The defaults of our components (crawler/settings.py) that the pipeline reads, with overrides."""
    names = [n for n in dir(project_settings) if n.startswith(("EVENTS_", "ALERT_", "CLASSIFY_"))]
    return {**{n: getattr(project_settings, n) for n in names}, **overrides}


def item(record: dict[str, Any], **changes: Any) -> Article:
    values = {k: v for k, v in record.items() if k in OUTPUT_FIELDS}
    values.update(changes)
    return Article(**values)


def crawl(tmp_path: Path, items: list[Article], **settings: Any) -> tuple[EventsPipeline, dict[str, Any]]:
    """One 'crawl': build the pipeline from settings, feed it the items, close it."""
    crawler = get_crawler(settings_dict=project(STATE_URL=f"sqlite:///{tmp_path / 'state.db'}",
                                                EVENTS_FILE=str(tmp_path / "events.jsonl"), **settings))
    crawler.stats.open_spider()
    pipeline = build_from_crawler(EventsPipeline, crawler)
    pipeline.open_spider()
    try:
        for article in items:
            assert pipeline.process_item(article) is article
    finally:
        pipeline.close_spider()
    return pipeline, crawler.stats.get_stats()


def test_events_file_and_stats(tmp_path: Path, records: list[dict[str, Any]]) -> None:
    items = [item(r) for r in records]
    items += [item(records[0], id="irrelevant", relevance=0.1), item(records[0], id="nowhere", countries=[])]
    _, stats = crawl(tmp_path, items)
    events = latest_events(tmp_path / "events.jsonl")
    assert len(events) == 26
    assert all(event_errors(e) == [] for e in events)
    assert stats[stat_key("events", "new_event")] == 26
    assert stats[stat_key("events", "status_change")] == 3  # Turkey, Brazil and Nepal lift their blocks
    assert stats[stat_key("events", "skipped", "irrelevant")] == 1
    assert stats[stat_key("events", "skipped", "no_country")] == 1
    lines = (tmp_path / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) > len(events)  # every version is appended


def test_alerts_go_out_once_across_runs(tmp_path: Path, records: list[dict[str, Any]], receiver: WebhookReceiver) -> None:
    turkey = [r for r in records if r["event"] == "tr-ig-2024-08"]
    before_lift = [item(r) for r in turkey if "unblock" not in r["actions"]]
    settings = {"ALERT_WEBHOOKS": receiver.url, "ALERT_WEBHOOK_SECRET": SECRET}
    _, stats = crawl(tmp_path, before_lift, **settings)
    assert stats[stat_key("alerts", "sent")] == 1
    crawl(tmp_path, before_lift, **settings)  # the same articles again (e.g. a dedup store wiped): nothing new
    _, stats = crawl(tmp_path, [item(r) for r in turkey], **settings)
    assert stats[stat_key("alerts", "sent")] == 1
    kinds = [(d.payload["type"], d.payload["status"]) for d in receiver.deliveries]
    assert kinds == [("new_event", "in_force"), ("status_change", "lifted")]
    assert all(d.signature_ok for d in receiver.deliveries)


def test_a_failing_store_never_loses_the_article(tmp_path: Path, records: list[dict[str, Any]]) -> None:
    crawler = get_crawler(settings_dict=project(STATE_URL=f"sqlite:///{tmp_path / 'state.db'}"))
    crawler.stats.open_spider()
    pipeline = build_from_crawler(EventsPipeline, crawler)
    pipeline.store.close()  # every placement now fails
    article = item(records[0])
    assert pipeline.process_item(article) is article
    assert crawler.stats.get_value(stat_key("events", "errors")) == 1


@pytest.mark.parametrize(("settings", "error"), [
    ({"EVENTS_ENABLED": False}, NotConfigured),
    ({"EVENTS_WINDOW_DAYS": 0}, ValueError),
    ({"ALERT_WEBHOOKS": "not a url"}, ValueError),
    ({"STATE_URL": "mysql://x"}, ValueError),
])
def test_settings_are_checked(tmp_path: Path, settings: dict[str, Any], error: type[Exception]) -> None:
    crawler = get_crawler(settings_dict=project(**{"STATE_URL": f"sqlite:///{tmp_path / 'state.db'}", **settings}))
    with pytest.raises(error):
        build_from_crawler(EventsPipeline, crawler)
