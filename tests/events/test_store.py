"""Both event stores behave the same: placement, persistence, the article index, the alert outbox, concurrency;
and events.jsonl appends and reads."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from crawler.events.cluster import ClusterConfig
from crawler.events.jsonl import append_events, latest_events
from crawler.events.model import ArticleSummary, Event
from crawler.events.redis import RedisEventStore
from crawler.events.sqlite import candidate_query
from crawler.events.store import FAILED, PENDING, SENT, EventCache, EventStore, open_event_store
from crawler.state import open_state
from tests.events.test_cluster import art

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.conftest import RedisServer

CONFIG = ClusterConfig()
NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    server: RedisServer = request.getfixturevalue("redis_server")
    return server.url


@pytest.fixture
def store(store_url: str) -> Iterator[EventStore]:
    opened = open_event_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


def test_events_persist_across_store_instances(store: EventStore, store_url: str) -> None:
    store.place(art("t", "2026-01-14", "RU", ["WhatsApp"], ["threat"]), CONFIG, NOW)
    store.place(art("b1", "2026-02-12", "RU", ["WhatsApp"], ["block"]), CONFIG, NOW)
    changes = store.place(art("b2", "2026-02-13", "RU", ["WhatsApp"], ["registry_removal"]), CONFIG, NOW)
    assert [c.event.version for c in changes] == [2]
    again = open_event_store(store_url)
    try:
        events = again.events()
        assert [e.status for e in events] == ["in_force", "announced"]  # most recently active first
        block, threat = events
        assert block.article_ids == ["b1", "b2"] and block.related_event_ids == [threat.event_id]
        assert again.event(threat.event_id) == threat
        assert again.event("0" * 16) is None
    finally:
        again.close()


def test_an_article_seen_again_is_found_however_old_its_event(store: EventStore) -> None:
    first = art("a", "2024-08-02", "TR", ["Instagram"], ["block"], "old title")
    (created,) = store.place(first, CONFIG, NOW)
    # dated far after: the event is not a time candidate any more, the article index finds it
    moved = replace(first, title="new title", date="2026-01-01T00:00:00+00:00")
    (change,) = store.place(moved, CONFIG, NOW)
    assert change.event.event_id == created.event.event_id and change.event.title == "new title"
    assert len(store.events()) == 1


def test_each_store_sees_the_changes_another_made_to_events_it_has_cached(store: EventStore, store_url: str) -> None:
    other = open_event_store(store_url)
    try:
        store.place(art("b1", "2026-02-12", "RU", ["WhatsApp"], ["block"]), CONFIG, NOW)  # cached here at v1
        (joined,) = other.place(art("b2", "2026-02-13", "RU", ["WhatsApp"], ["block"]), CONFIG, NOW)
        assert joined.event.version == 2
        (change,) = store.place(art("b3", "2026-02-14", "RU", ["WhatsApp"], ["block"]), CONFIG, NOW)
        assert change.event.article_ids == ["b1", "b2", "b3"] and change.event.version == 3
        # a story seen again is found through the article index, whichever process added it
        (again,) = store.place(replace(art("b2", "2026-02-13", "RU", ["WhatsApp"], ["block"]), title="new"),
                               CONFIG, NOW)
        assert again.event.event_id == change.event.event_id and again.event.version == 4
    finally:
        other.close()


def test_placing_decodes_only_the_events_that_changed(store: EventStore, monkeypatch: pytest.MonkeyPatch) -> None:
    for day in range(1, 21):  # twenty open events of one country, each about its own platform
        store.place(art(f"p{day}", f"2026-02-{day:02d}", "RU", [f"App{day}"], ["block"]), CONFIG, NOW)
    decoded: list[str] = []
    from_record = Event.from_record
    monkeypatch.setattr(Event, "from_record", classmethod(lambda cls, record: (
        decoded.append(record["event_id"]), from_record(record))[1]))
    store.place(art("q1", "2026-02-21", "RU", ["App20"], ["block"]), CONFIG, NOW)
    store.place(art("q2", "2026-02-22", "RU", ["App20"], ["block"]), CONFIG, NOW)
    assert decoded == []  # all twenty candidates came from this process's cache, each time
    other = open_event_store(store.url)
    try:
        other.place(art("q3", "2026-02-23", "RU", [f"App{day}" for day in range(1, 21)], ["block"]), CONFIG, NOW)
        assert len(decoded) == 20  # a fresh process decodes every candidate once
        decoded.clear()
        store.place(art("q4", "2026-02-24", "RU", ["App1"], ["block"]), CONFIG, NOW)
        assert len(decoded) == 1  # only the event the other process changed
    finally:
        other.close()


def test_placing_reads_only_the_events_sharing_a_platform_with_the_article(store: EventStore,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    events = [store.place(art(f"p{day}", f"2026-02-{day:02d}", "RU", [f"App{day}"], ["block"]), CONFIG, NOW)[0]
              for day in range(1, 21)]
    decoded: list[str] = []
    from_record = Event.from_record
    monkeypatch.setattr(Event, "from_record", classmethod(lambda cls, record: (
        decoded.append(record["event_id"]), from_record(record))[1]))
    other = open_event_store(store.url)  # a fresh process: nothing cached
    try:
        (joined,) = other.place(art("q1", "2026-02-21", "RU", ["App5", "internet"], ["block"]), CONFIG, NOW)
        assert decoded == [events[4].event.event_id]  # the one event about App5, not the nineteen others
        assert joined.event.event_id == events[4].event.event_id and joined.event.article_ids == ["p5", "q1"]
    finally:
        other.close()


def test_events_written_before_the_platform_index_are_still_candidates(store: EventStore) -> None:
    (first,) = store.place(art("a1", "2026-02-01", "RU", ["Telegram"], ["block"]), CONFIG, NOW)
    if isinstance(store, RedisEventStore):  # as an older release wrote it: no platforms entry
        store.redis.delete(store._key("events", "platforms"))
    else:
        store._db.execute("UPDATE events SET platforms = ''")
    (second,) = store.place(art("a2", "2026-02-02", "RU", ["Telegram"], ["block"]), CONFIG, NOW)
    assert second.event.event_id == first.event.event_id and second.event.article_ids == ["a1", "a2"]


def test_sqlite_store_made_before_the_platforms_column_still_places(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE events (event_id TEXT PRIMARY KEY, country TEXT NOT NULL, last_seen REAL NOT NULL, "
               "version INTEGER NOT NULL, record TEXT NOT NULL)")
    db.close()
    store = open_event_store(f"sqlite:///{path}")
    try:
        (first,) = store.place(art("a1", "2026-02-01", "RU", ["Telegram"], ["block"]), CONFIG, NOW)
        # an event written as an older release did: no platforms in its row, so a candidate by country alone
        store._db.execute("UPDATE events SET platforms = ''")
        (second,) = store.place(art("a2", "2026-02-02", "RU", ["Telegram"], ["block"]), CONFIG, NOW)
        assert second.event.event_id == first.event.event_id and second.event.article_ids == ["a1", "a2"]
    finally:
        store.close()


def test_each_new_event_and_status_change_queues_one_alert(store: EventStore) -> None:
    store.place(art("quiet", "2024-01-01", "RU", ["Telegram"], ["block"]), CONFIG, NOW)  # alerts off: none queued
    store.place(art("b", "2024-08-02", "TR", ["Instagram"], ["block"]), CONFIG, NOW, alerts=True)
    store.place(art("b2", "2024-08-03", "TR", ["Instagram"], ["block"]), CONFIG, NOW, alerts=True)
    store.place(art("l", "2024-08-10", "TR", ["Instagram"], ["unblock"]), CONFIG, NOW, alerts=True)
    store.place(art("l2", "2024-08-11", "TR", ["Instagram"], ["unblock"]), CONFIG, NOW, alerts=True)
    alerts = store.alerts()
    assert [(a.kind, a.status, a.previous_status) for a in alerts] == [
        ("new_event", "in_force", None), ("status_change", "lifted", "in_force")]
    assert alerts[0].event["article_ids"] == ["b"]
    assert alerts[1].event["article_ids"] == ["b", "b2", "l"]
    assert {a.key.split(":")[0] for a in alerts} == {alerts[0].event_id}


def test_alerts_are_claimed_by_one_process_at_a_time(store: EventStore, store_url: str) -> None:
    store.place(art("b", "2024-08-02", "TR", ["Instagram"], ["block"]), CONFIG, NOW, alerts=True)
    store.place(art("c", "2024-08-02", "BR", ["X (Twitter)"], ["block"]), CONFIG, NOW, alerts=True)
    other = open_event_store(store_url)
    try:
        mine = store.claim_alerts("me", time.time(), lease=60, limit=1)
        theirs = other.claim_alerts("them", time.time(), lease=60)
        assert len(mine) == 1 and len(theirs) == 1 and mine[0].key != theirs[0].key
        assert other.claim_alerts("them", time.time(), lease=60) == []
        mine[0].state, mine[0].delivered = SENT, ["webhook:x"]
        store.finish_alert(mine[0])
        theirs[0].attempts = 1
        other.finish_alert(theirs[0], hold=60)  # still pending: not before the next pass
        assert store.claim_alerts("me", time.time(), lease=60) == []
        theirs[0].state = FAILED
        other.finish_alert(theirs[0])
        states = {a.key: (a.state, a.delivered) for a in store.alerts()}
        assert states == {mine[0].key: (SENT, ["webhook:x"]), theirs[0].key: (FAILED, [])}
    finally:
        other.close()


def test_a_pending_alert_is_claimed_again_after_its_hold(store: EventStore) -> None:
    store.place(art("b", "2024-08-02", "TR", ["Instagram"], ["block"]), CONFIG, NOW, alerts=True)
    (alert,) = store.claim_alerts("me", time.time(), lease=60)
    assert alert.state == PENDING
    store.finish_alert(alert, hold=0.05)
    time.sleep(0.1)
    assert [a.key for a in store.claim_alerts("me", time.time(), lease=60)] == [alert.key]


def test_concurrent_crawls_make_one_event(store_url: str) -> None:
    """Two processes' stores placing reports of one block at once: one event with every article, one alert."""

    def crawl(name: str) -> None:
        own = open_event_store(store_url)
        try:
            for i in range(15):
                own.place(art(f"{name}{i}", "2026-02-12", "RU", ["WhatsApp"], ["block"]), CONFIG, NOW, alerts=True)
        finally:
            own.close()

    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(crawl, n) for n in ("a", "b")]:
            done.result()  # re-raises what went wrong in the thread
    check = open_event_store(store_url)
    try:
        (event,) = check.events()
        assert len(event.article_ids) == 30 and event.version == 30
        assert len(check.alerts()) == 1
    finally:
        check.close()


def test_events_share_the_state_file_with_the_state_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    state, events = open_state(url), open_event_store(url)
    try:
        events.place(art("a", "2026-02-12", "RU", ["WhatsApp"], ["block"]), CONFIG, NOW)
        run = state.start_run("src", time.time())
        assert run and len(events.events()) == 1
    finally:
        state.close()
        events.close()


def test_events_file_keeps_the_highest_version(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "out" / "events.jsonl"
    records = [{"event_id": "a", "version": 1, "title": "one"}, {"event_id": "b", "version": 1, "title": "b"},
               {"event_id": "a", "version": 3, "title": "three"}]
    assert append_events(path, records) == 3
    assert append_events(path, []) == 0
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"event_id": "a", "version": 2, "title": "two"}\n{"event_id": "x", "vers')  # a killed writer
    latest = {r["event_id"]: r["title"] for r in latest_events(path)}
    assert latest == {"a": "three", "b": "b"}
    assert "broken line" in caplog.text


def test_appends_from_many_writers_are_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    big = "x" * 70_000  # larger than a pipe buffer: only the lock keeps lines whole

    def writer(n: int) -> Callable[[], None]:
        def write() -> None:
            for i in range(20):
                append_events(path, [{"event_id": f"{n}-{i}", "version": 1, "pad": big}])

        return write

    threads = [threading.Thread(target=writer(n)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 80 and all(json.loads(line)["pad"] == big for line in lines)


def test_sqlite_candidates_are_read_from_the_index_alone(tmp_path: Path) -> None:
    """Read from the table, each event's platforms (stored after its record) would cost a walk through the record's
    overflow pages: a placement's candidates come from the covering index."""
    store = open_event_store(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        query, parameters = candidate_query("RU", "a1", 0.0, frozenset({"Telegram", "WhatsApp"}))
        plan = " | ".join(row[3] for row in store._db.execute(f"EXPLAIN QUERY PLAN {query}", parameters))
        assert "SEARCH events USING COVERING INDEX events_candidates (country=? AND last_seen>?)" in plan
        assert "SCAN events" not in plan
    finally:
        store.close()


def _cached_event(event_id: str, articles: int = 0, ids: int = 0, version: int = 1) -> Event:
    event = Event(event_id=event_id, country="RU", action="block", status="in_force", first_seen="2026-02-01",
                  last_seen="2026-02-01", status_since="2026-02-01", version=version)
    event.article_ids = [f"{event_id}-{i}" for i in range(ids)]
    event.articles = [ArticleSummary(id=f"{event_id}-{i}", url="https://example.org/", title="t",
                                     date="2026-02-01") for i in range(articles)]
    return event


def test_event_cache_is_bounded_by_the_weight_of_its_events() -> None:
    cache = EventCache(budget=20)
    for i in range(10):  # ten light events (weight 1 each)
        cache.put(_cached_event(f"light{i}"))
    assert len(cache) == 10
    cache.get("light0", 1)  # used: now the most recent
    cache.put(_cached_event("heavy", articles=9, ids=16))  # weight 1 + 9 + 2 = 12: two light ones must go
    assert len(cache) == 9
    assert cache.get("light1", 1) is None and cache.get("light2", 1) is None  # the least recently used
    assert cache.get("light0", 1) is not None and cache.get("heavy", 1) is not None
    cache.put(_cached_event("heavy", articles=9, ids=16, version=2))  # a new version replaces, weighs once
    assert len(cache) == 9 and cache.get("heavy", 1) is None and cache.get("heavy", 2) is not None
    cache.put(_cached_event("huge", articles=100))  # heavier than the budget: kept alone, the others go
    assert len(cache) == 1 and cache.get("huge", 1) is not None
