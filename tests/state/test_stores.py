"""Both state backends behave the same: validators, dedup decisions, run history."""

from __future__ import annotations

import multiprocessing
import random
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from crawler.dedup import DedupConfig, decide, fingerprint
from crawler.state import open_state, state_path
from crawler.state.base import Decision, RunRecord, StateStore, StoryState, Validators

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.conftest import RedisServer

BODY = " ".join(f"word{i} sentence about roskomnadzor blocking a messenger number {i}" for i in range(60))
CONFIG = DedupConfig()


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    if request.param == "sqlite":
        opened = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        opened = open_state(server.url)
    try:
        yield opened
    finally:
        opened.close()


def remember(store: StateStore, story_id: str, body: str, title: str = "t", language: str = "en") -> Decision:
    fp = fingerprint(body, language, CONFIG)
    story = StoryState(id=story_id, content_hash=fp.content_hash, signature=fp.signature, language=language,
                       title=title, url=f"https://x.example/{story_id}", first_seen=time.time(), last_seen=time.time())
    return store.remember(story_id, fp.content_hash, fp.bands,
                          lambda existing, owner, candidates: decide(story, fp, CONFIG, existing, owner, candidates))


def test_validators_round_trip(store: StateStore) -> None:
    assert store.validators("https://x.example/a") is None
    store.save_validators({"https://x.example/a": Validators('"abc"', "Wed, 11 Feb 2026 14:30:00 GMT")})
    assert store.validators("https://x.example/a") == Validators('"abc"', "Wed, 11 Feb 2026 14:30:00 GMT")
    # many at once (more than a Redis command carries), the one before replaced
    many = {f"https://x.example/{n}": Validators(f'"e{n}"', "") for n in range(2500)}
    many["https://x.example/a"] = Validators("", "Thu, 12 Feb 2026 09:00:00 GMT")
    store.save_validators(many)
    assert store.validators("https://x.example/a") == Validators("", "Thu, 12 Feb 2026 09:00:00 GMT")
    assert all(store.validators(url) == validators for url, validators in many.items())
    store.save_validators({})


def test_dedup_decisions(store: StateStore) -> None:
    assert remember(store, "a" * 16, BODY).action == "new"
    assert remember(store, "a" * 16, BODY).action == "unchanged"
    assert remember(store, "b" * 16, BODY).action == "duplicate"
    assert remember(store, "c" * 16, BODY + " one more closing sentence with credits").action == "near_duplicate"
    changed = remember(store, "a" * 16, BODY + " " + BODY.replace("word", "token"), title="t2")
    assert (changed.action, changed.story.version) == ("updated", 2)
    assert remember(store, "d" * 16, "an entirely different story about trade and grain shipments " * 20).action == "new"
    assert store.story_count() == 2
    assert store.story("a" * 16).version == 2  # type: ignore[union-attr]


def test_run_history(store: StateStore) -> None:
    first = store.start_run("alpha", 100.0)
    second = store.start_run("beta", 200.0)
    store.finish_run(RunRecord(id=first, source="alpha", started=100.0, finished=110.0, status="ok", items=3,
                               duplicates=1, errors=0, pages=9, stats={"http_status": {"200": 9}}))
    store.add_to_run(second, items=2, pages=5)
    runs = store.runs()
    assert [r.source for r in runs] == ["beta", "alpha"]
    alpha = store.runs("alpha")[0]
    assert (alpha.status, alpha.items, alpha.pages, alpha.stats["http_status"]) == ("ok", 3, 9, {"200": 9})
    beta = store.runs("beta")[0]
    assert (beta.status, beta.items, beta.pages) == ("running", 2, 5)


def _race(url: str, story_id: str, body: str, start_at: float, results: multiprocessing.Queue[str]) -> None:
    store = open_state(url)
    while time.time() < start_at:
        time.sleep(0.001)
    results.put(remember(store, story_id, body).action)
    store.close()


def test_two_processes_deciding_at_once_write_one_story(store: StateStore) -> None:
    """Two workers meet two syndicated copies of one story at the same moment: exactly one is new."""
    url = store.url
    results: multiprocessing.Queue[str] = multiprocessing.Queue()
    start_at = time.time() + 1.0
    copies = [("e" * 16, BODY + " Reporting by A"), ("f" * 16, BODY + " (Wire) Editing by B")]
    processes = [multiprocessing.Process(target=_race, args=(url, sid, body, start_at, results)) for sid, body in copies]
    for process in processes:
        process.start()
    for process in processes:
        process.join(30)
    actions = sorted(results.get(timeout=5) for _ in processes)
    assert actions[0] != "new" or actions[1] != "new"
    assert actions.count("new") == 1


@pytest.mark.parametrize(
    ("url", "path"),
    [("sqlite:///tmp/x.db", "/tmp/x.db"), ("sqlite:data/state.db", "data/state.db"), ("sqlite:////srv/s.db", "/srv/s.db")],
)
def test_state_path(url: str, path: str) -> None:
    assert state_path(url) == Path(path)


@pytest.mark.parametrize("url", ["postgres://x", "sqlite:", "sqlite://relative.db"])
def test_bad_state_url(url: str) -> None:
    with pytest.raises(ValueError, match="STATE_URL"):
        open_state(url)


def test_sqlite_wal_is_checkpointed_by_the_stores_thread_not_by_the_committing_call(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = open_state(f"sqlite:///{path}")
    try:
        base = path.stat().st_size
        rng = random.Random(7)
        for n in range(300):  # new stories, each writing its band keys at random places of the index
            body = " ".join(f"w{rng.randrange(10**6)}" for _ in range(120))
            assert remember(store, f"{n:016x}", body).action == "new"
        wal = path.with_name("state.db-wal")
        assert wal.stat().st_size > 1_000_000  # the commits left their pages in the WAL ...
        deadline = time.monotonic() + 10
        while path.stat().st_size <= base and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size > base  # ... and the store's thread copied them into the database
    finally:
        store.close()


def test_sqlite_new_stores_use_small_pages_and_old_ones_keep_theirs(tmp_path: Path) -> None:
    new = open_state(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        assert new._db.execute("PRAGMA page_size").fetchone()[0] == 2048
    finally:
        new.close()
    old = tmp_path / "old.db"
    db = sqlite3.connect(old)
    db.execute("PRAGMA page_size=4096")
    db.execute("CREATE TABLE kept (x)")  # a store made before: its page size is fixed
    db.close()
    store = open_state(f"sqlite:///{old}")
    try:
        assert store._db.execute("PRAGMA page_size").fetchone()[0] == 4096
        assert remember(store, "a" * 16, BODY).action == "new"
        assert remember(store, "b" * 16, BODY + " More.").action in ("duplicate", "near_duplicate")
    finally:
        store.close()


def test_sqlite_stores_opening_one_new_file_at_once_all_open(tmp_path: Path) -> None:
    """Crawls starting together on a new state file: switching it to WAL must wait for the others, not fail with
    'database is locked' (SQLite answers that at once, without its busy handler, to some of them)."""
    for attempt in range(12):
        url = f"sqlite:///{tmp_path / f'state{attempt}.db'}"
        start = threading.Barrier(4)

        def open_and_close(url: str = url, start: threading.Barrier = start) -> str:
            start.wait()
            store = open_state(url)
            try:
                return str(store._db.execute("PRAGMA journal_mode").fetchone()[0])
            finally:
                store.close()

        with ThreadPoolExecutor(4) as pool:
            assert [f.result() for f in [pool.submit(open_and_close) for _ in range(4)]] == ["wal"] * 4
