"""The clustering rules (crawler/events/cluster.py): phases, windows, links, status changes, and measured quality."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from crawler.events.cluster import ClusterConfig, cluster, place, read_signal
from crawler.events.model import ArticleRef, Event
from crawler.events.quality import pairwise_scores
from crawler.events.schema import event_errors
from tests.events.conftest import FIXTURES

CONFIG = ClusterConfig()
NOW = "2026-03-01T00:00:00+00:00"


def art(ident: str, day: str, country: str, platforms: list[str], actions: list[str], title: str = "",
        authorities: tuple[str, ...] = (), language: str = "en", relevance: float = 0.8) -> ArticleRef:
    return ArticleRef(id=ident, url=f"https://news.example/{ident}", title=title or ident, date=f"{day}T10:00:00+00:00",
                      source="news", domain="news.example", language=language, published=f"{day}T10:00:00+00:00",
                      relevance=relevance, platforms=tuple(platforms), countries=(country,), actions=tuple(actions),
                      authorities=authorities)


def run(*articles: ArticleRef, config: ClusterConfig = CONFIG) -> list[Event]:
    return cluster(articles, config, NOW)


def holding(events: list[Event], article_id: str) -> Event:
    return next(e for e in events if article_id in e.article_ids)


@pytest.mark.parametrize(("platforms", "actions", "phase", "action", "targets"), [
    (["WhatsApp"], ["threat"], "announced", "threat", {"WhatsApp"}),
    (["WhatsApp"], ["legal_action"], "announced", "legal_action", {"WhatsApp"}),
    (["WhatsApp"], ["threat", "block"], "in_force", "block", {"WhatsApp"}),
    (["WhatsApp", "internet"], ["registry_removal", "shutdown"], "in_force", "registry_removal", {"WhatsApp"}),
    (["X (Twitter)", "internet"], ["shutdown", "legal_action"], "in_force", "block", {"X (Twitter)"}),
    (["internet"], ["block"], "in_force", "shutdown", {"internet"}),
    (["internet"], ["throttle"], "in_force", "throttle", {"internet"}),
    (["Telegram"], ["feature_restriction", "throttle"], "in_force", "feature_restriction", {"Telegram"}),
    (["Google Play"], ["app_store_removal", "legal_action"], "in_force", "app_store_removal", {"Google Play"}),
    (["Instagram"], ["unblock", "block"], "lifted", "unblock", {"Instagram"}),
])
def test_signal_of_an_article(platforms: list[str], actions: list[str], phase: str, action: str,
                              targets: set[str]) -> None:
    signal = read_signal(art("a", "2026-01-01", "RU", platforms, actions))
    assert signal is not None
    assert (signal.phase, signal.action, set(signal.targets)) == (phase, action, targets)


@pytest.mark.parametrize(("platforms", "actions"), [([], ["block"]), (["Telegram"], [])])
def test_an_article_without_platform_or_action_makes_no_event(platforms: list[str], actions: list[str]) -> None:
    assert read_signal(art("a", "2026-01-01", "RU", platforms, actions)) is None
    assert run(art("a", "2026-01-01", "RU", platforms, actions)) == []


def test_reports_of_one_block_are_one_event_with_the_best_title() -> None:
    events = run(
        art("a", "2026-02-11", "RU", ["WhatsApp"], ["block"], "WhatsApp перестал работать", language="ru", relevance=0.9),
        art("b", "2026-02-12", "RU", ["WhatsApp"], ["registry_removal"], "Russia removes WhatsApp from DNS",
            ("Roskomnadzor",), relevance=0.7),
        art("c", "2026-02-13", "RU", ["WhatsApp", "MAX"], ["block"], "Kremlin confirms WhatsApp block", relevance=0.95),
    )
    assert len(events) == 1
    event = events[0]
    assert event.status == "in_force"
    assert event.action == "block"
    assert event.article_ids == ["a", "b", "c"]
    assert event.title == "Kremlin confirms WhatsApp block"  # English first, then relevance
    assert (event.first_seen[:10], event.last_seen[:10]) == ("2026-02-11", "2026-02-13")
    assert event.platforms == ["MAX", "WhatsApp"]
    assert event.authorities == ["Roskomnadzor"]
    assert event.version == 3


def test_a_threat_and_its_implementation_are_two_linked_events() -> None:
    events = run(art("t", "2026-01-14", "RU", ["WhatsApp"], ["threat"]),
                 art("b", "2026-02-12", "RU", ["WhatsApp"], ["registry_removal"]))
    threat, block = holding(events, "t"), holding(events, "b")
    assert threat is not block
    assert (threat.status, block.status) == ("announced", "in_force")
    assert threat.related_event_ids == [block.event_id]
    assert block.related_event_ids == [threat.event_id]


def test_a_threat_read_after_its_implementation_is_linked_too() -> None:
    events = run(art("b", "2026-02-12", "RU", ["WhatsApp"], ["block"]), art("t", "2026-01-14", "RU", ["WhatsApp"], ["threat"]))
    assert holding(events, "t").related_event_ids == [holding(events, "b").event_id]


def test_an_unblock_lifts_the_block_it_ends() -> None:
    block = art("b", "2024-08-02", "TR", ["Instagram"], ["block"], "Turkey blocks Instagram")
    changes = place(block, "TR", [], CONFIG, NOW)
    assert [c.alert_kind for c in changes] == ["new_event"]
    event = changes[0].event
    lift = art("l", "2024-08-10", "TR", ["Instagram"], ["unblock"], "Turkey lifts Instagram ban")
    (change,) = place(lift, "TR", [event], CONFIG, NOW)
    assert change.event.event_id == event.event_id
    assert (change.previous_status, change.event.status, change.alert_kind) == ("in_force", "lifted", "status_change")
    assert change.event.title == "Turkey lifts Instagram ban"
    assert change.event.status_since.startswith("2024-08-10")
    assert event.status == "in_force" and event.article_ids == ["b"], "the candidate itself is not changed"
    late = art("r", "2024-08-05", "TR", ["Instagram"], ["block"], "Businesses count the cost of the block")
    (again,) = place(late, "TR", [change.event], CONFIG, NOW)
    assert again.event.event_id == event.event_id and again.event.status == "lifted" and again.alert_kind is None


def test_an_unblock_with_no_known_block_is_a_lifted_event_that_takes_the_block_read_later() -> None:
    events = run(art("l", "2024-10-08", "BR", ["X (Twitter)"], ["unblock"]),
                 art("b", "2024-08-30", "BR", ["X (Twitter)"], ["block", "legal_action"]))
    assert len(events) == 1
    assert events[0].status == "lifted" and events[0].action == "block"


def test_a_block_months_after_the_last_one_is_a_new_event() -> None:
    events = run(art("a", "2024-08-02", "TR", ["Instagram"], ["block"]), art("b", "2024-08-20", "TR", ["Instagram"], ["block"]),
                 art("c", "2025-01-10", "TR", ["Instagram"], ["block"]))
    assert holding(events, "a") is holding(events, "b")
    assert holding(events, "c") is not holding(events, "a")


@pytest.mark.parametrize(("days", "together"), [(21, True), (22, False)])
def test_the_window_runs_from_the_last_article(days: int, together: bool) -> None:
    config = ClusterConfig(window_days=21)
    first = art("a", "2025-06-01", "IQ", ["internet"], ["shutdown"])
    later = replace(first, id="b", date=f"2025-06-{1 + days:02d}T10:00:00+00:00")
    events = run(first, later, config=config)
    assert (len(events) == 1) is together


def test_the_same_platform_in_two_countries_is_two_events() -> None:
    events = run(art("br", "2024-08-30", "BR", ["X (Twitter)"], ["block"]), art("pk", "2024-08-30", "PK", ["X (Twitter)"], ["block"]))
    assert sorted(e.country for e in events) == ["BR", "PK"]


def test_articles_naming_parts_of_a_multi_platform_order_join_it() -> None:
    events = run(art("a", "2024-10-25", "MZ", ["Facebook", "WhatsApp"], ["block"]),
                 art("b", "2024-10-26", "MZ", ["Facebook", "WhatsApp", "Instagram"], ["block"]),
                 art("c", "2024-10-28", "MZ", ["Instagram"], ["block"]))
    assert len(events) == 1
    assert events[0].platforms == ["Facebook", "Instagram", "WhatsApp"]


def test_a_throttling_and_a_block_of_one_platform_are_two_linked_events() -> None:
    events = run(art("t", "2026-01-08", "TR", ["Instagram"], ["block"]), art("u", "2026-01-10", "TR", ["Instagram"], ["throttle"]))
    block, throttle = holding(events, "t"), holding(events, "u")
    assert block is not throttle
    assert throttle.related_event_ids == [block.event_id]


def test_an_article_seen_again_refreshes_its_event_without_moving() -> None:
    first = art("a", "2026-02-12", "RU", ["WhatsApp"], ["block"], "WhatsApp blocked")
    (created,) = place(first, "RU", [], CONFIG, NOW)
    assert place(first, "RU", [created.event], CONFIG, NOW) == []  # nothing changed: no new version
    edited = replace(first, title="WhatsApp blocked nationwide", actions=("unblock",))
    (change,) = place(edited, "RU", [created.event], CONFIG, NOW)
    assert change.event.event_id == created.event.event_id
    assert change.event.version == 2 and change.event.title == "WhatsApp blocked nationwide"
    assert change.event.status == "in_force" and change.alert_kind is None


def test_event_ids_are_stable_and_records_match_the_schema(articles: list[ArticleRef]) -> None:
    first, second = run(*articles), run(*articles)
    assert [e.event_id for e in first] == [e.event_id for e in second]
    for event in first:
        record = event.to_record()
        assert event_errors(record) == [], record["event_id"]
        assert Event.from_record(json.loads(json.dumps(record))).to_record() == record


@pytest.mark.parametrize(("window", "link"), [(0, 180), (21, 7)])
def test_bad_time_limits_name_the_setting(window: float, link: float) -> None:
    with pytest.raises(ValueError, match="EVENTS_"):
        ClusterConfig(window, link)


def test_quality_on_the_labelled_articles(records: list[dict[str, Any]], articles: list[ArticleRef]) -> None:
    """benchmarks/events.py measures the same; the floors keep regressions out."""
    events = run(*articles)
    predicted = {a: e.event_id for e in events for a in e.article_ids}
    scores = pairwise_scores({r["id"]: r["event"] for r in records}, predicted)
    assert scores.precision >= 0.95 and scores.recall >= 0.95, scores
    expected = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
    label_event = {r["event"]: holding(events, r["id"]) for r in records}
    for label, status in expected["status"].items():
        assert label_event[label].status == status, label
    for a, b in expected["links"]:
        assert label_event[b].event_id in label_event[a].related_event_ids, (a, b)
    shuffled = sorted(articles, key=lambda a: a.date, reverse=True)
    reverse_scores = pairwise_scores({r["id"]: r["event"] for r in records},
                                     {a: e.event_id for e in run(*shuffled) for a in e.article_ids})
    assert reverse_scores.f1 >= 0.9, reverse_scores
