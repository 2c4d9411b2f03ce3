"""SQLite event store: tables of their own in the state file (``STATE_URL=sqlite:...``), own connection.

Each placement runs in a ``BEGIN IMMEDIATE`` transaction, as the state store's dedup decisions do, so crawl processes
sharing the file never cluster the same country at once. Events are kept as their JSON record, with the columns the
candidate query needs (country and time of the last article, indexed; the platforms, to leave out the events that
share none with the article without decoding them: in a long crawl a country has hundreds of events in reach, and
decoding those the cache lacks made placing an article grow with the crawl, 0.4 -> 2.1 ms from 1,000 to 8,000
articles in benchmarks/crawl.py).
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.events.model import Event
from crawler.events.store import PENDING, Alert, EventCache, EventStore, platform_key
from crawler.state.sqlite import AUTOCHECKPOINT_PAGES, use_wal

if TYPE_CHECKING:
    from collections.abc import Callable

    from crawler.events.cluster import Change

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY, country TEXT NOT NULL, last_seen REAL NOT NULL, version INTEGER NOT NULL,
    record TEXT NOT NULL, platforms TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS event_articles (
    article_id TEXT NOT NULL, event_id TEXT NOT NULL, PRIMARY KEY (article_id, event_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS event_alerts (
    key TEXT PRIMARY KEY, state TEXT NOT NULL, created REAL NOT NULL, claimed_until REAL NOT NULL DEFAULT 0,
    owner TEXT NOT NULL DEFAULT '', alert TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS event_alerts_pending ON event_alerts (state, created);
"""


def candidate_query(country: str, article_id: str, since: float,
                    targets: frozenset[str]) -> tuple[str, tuple[str | float, ...]]:
    """The query of the (event_id, version) rows of the events holding the article, and of those of the country in
    reach that share a platform with it (an event written before the platforms column has '' there: it is read,
    and decided on, as before), and its parameters."""
    query = ("SELECT e.event_id, e.version FROM events e JOIN event_articles a ON a.event_id = e.event_id "
             "WHERE a.article_id = ? AND e.country = ?")
    if not targets:
        return query, (article_id, country)
    shared = " OR ".join(["instr(platforms, ?) > 0"] * len(targets))
    query += (" UNION SELECT event_id, version FROM events WHERE country = ? AND last_seen >= ? "
              f"AND (platforms = '' OR {shared})")
    return query, (article_id, country, country, since, *map(platform_key, sorted(targets)))


class SQLiteEventStore(EventStore):
    """Events in the SQLite state file (created with its directory when missing)."""

    def __init__(self, path: str | Path, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), timeout=timeout, isolation_level=None, check_same_thread=False)
        use_wal(self._db, timeout)
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        self._db.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")  # the state store's thread checkpoints
        self._db.executescript(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(events)")}
        if "platforms" not in columns:  # a store made before the column: its events are candidates by country alone
            self._db.execute("ALTER TABLE events ADD COLUMN platforms TEXT NOT NULL DEFAULT ''")
        # The candidate query is answered from this index alone: read from the table, each row's platforms (stored
        # after its record, a JSON text of several pages) cost a walk through the record's overflow pages (0.6 ->
        # 0.06 ms a placement among the 7,400 events of a 20,000-article crawl).
        self._db.executescript(
            "CREATE INDEX IF NOT EXISTS events_candidates ON events (country, last_seen, platforms, version, event_id);"
            "DROP INDEX IF EXISTS events_by_country;"
        )
        self._cache = EventCache()

    def _transaction(self, work: Callable[[], Any]) -> Any:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            result = work()
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return result

    def _place(self, country: str, article_id: str, since: float,
               decide: Callable[[list[Event]], list[Change]], alert_time: float | None,
               targets: frozenset[str] = frozenset()) -> list[Change]:
        def work() -> list[Change]:
            rows = self._db.execute(*candidate_query(country, article_id, since, targets)).fetchall()
            changes = decide(self._candidates(rows))
            for change in changes:
                self._write(change.event, article_id)
                if alert_time is not None and change.alert_kind:
                    alert = Alert.of(change, alert_time)
                    self._db.execute("INSERT OR IGNORE INTO event_alerts (key, state, created, alert) VALUES (?, ?, ?, ?)",
                                     (alert.key, PENDING, alert_time, alert.to_json()))
            return changes

        result: list[Change] = self._transaction(work)
        for change in result:
            self._cache.put(change.event)
        return result

    def _candidates(self, rows: list[tuple[str, int]]) -> list[Event]:
        """The events of ``(event_id, version)`` rows, decoded only when the cache lacks that version; by id."""
        found: list[Event] = []
        missing: list[str] = []
        for event_id, version in rows:
            event = self._cache.get(event_id, version)
            if event is None:
                missing.append(event_id)
            else:
                found.append(event)
        for start in range(0, len(missing), 500):
            chunk = missing[start:start + 500]
            query = f"SELECT record FROM events WHERE event_id IN ({', '.join('?' * len(chunk))})"
            found += [self._cache.decode(r[0]) for r in self._db.execute(query, chunk)]
        return sorted(found, key=lambda e: e.event_id)

    def _write(self, event: Event, article_id: str) -> None:
        """Save ``event``'s record and, when it holds ``article_id``, that membership (its other articles were
        saved when they joined)."""
        self._db.execute(
            "INSERT OR REPLACE INTO events (event_id, country, last_seen, version, record, platforms) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (event.event_id, event.country, event.last.timestamp(), event.version,
             json.dumps(event.to_record(), ensure_ascii=False), "".join(map(platform_key, event.platforms))),
        )
        if article_id in event.article_ids:
            self._db.execute("INSERT OR IGNORE INTO event_articles (article_id, event_id) VALUES (?, ?)",
                             (article_id, event.event_id))

    def events(self) -> list[Event]:
        rows = self._db.execute("SELECT record FROM events ORDER BY last_seen DESC, event_id").fetchall()
        return [Event.from_record(json.loads(r[0])) for r in rows]

    def event(self, event_id: str) -> Event | None:
        row = self._db.execute("SELECT record FROM events WHERE event_id = ?", (event_id,)).fetchone()
        return Event.from_record(json.loads(row[0])) if row else None

    def claim_alerts(self, owner: str, now: float, lease: float, limit: int = 100) -> list[Alert]:
        def work() -> list[Alert]:
            rows = self._db.execute(
                "SELECT key, alert FROM event_alerts WHERE state = ? AND claimed_until < ? ORDER BY created, key LIMIT ?",
                (PENDING, now, limit),
            ).fetchall()
            self._db.executemany("UPDATE event_alerts SET claimed_until = ?, owner = ? WHERE key = ?",
                                 [(now + lease, owner, r[0]) for r in rows])
            return [Alert.from_json(r[1]) for r in rows]

        claimed: list[Alert] = self._transaction(work)
        return claimed

    def finish_alert(self, alert: Alert, hold: float = 0.0) -> None:
        until = time.time() + hold if hold > 0 and alert.state == PENDING else 0.0
        self._db.execute("UPDATE event_alerts SET state = ?, alert = ?, claimed_until = ?, owner = '' WHERE key = ?",
                         (alert.state, alert.to_json(), until, alert.key))

    def alerts(self) -> list[Alert]:
        rows = self._db.execute("SELECT alert FROM event_alerts ORDER BY created, key").fetchall()
        return [Alert.from_json(r[0]) for r in rows]

    def close(self) -> None:
        self._db.close()
