"""SQLite state store: one file, WAL mode, safe for several crawl processes at once.

Each dedup decision runs in a ``BEGIN IMMEDIATE`` transaction, so two processes never both take the same story
for new. LSH band keys are 64-bit integers in a WITHOUT ROWID table: a lookup is one index probe per band, and reads at
most ``_BAND_LIMIT`` stories of one key and ``_CANDIDATE_LIMIT`` candidates in all (those sharing the most keys), so a
key that many stories share (a site's boilerplate) costs no more at a million stories than at a thousand.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.state.base import Decision, RunRecord, StateStore, StoryState, Validators

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

SCHEMA = """
CREATE TABLE IF NOT EXISTS validators (
    url TEXT PRIMARY KEY, etag TEXT NOT NULL, last_modified TEXT NOT NULL, updated REAL NOT NULL
) WITHOUT ROWID;
-- A rowid table: a story with 256 MinHash values (~1.3 KB) is more than a WITHOUT ROWID page keeps in place, and
-- would take an overflow page of its own. Files made before keep their WITHOUT ROWID table, which works the same.
CREATE TABLE IF NOT EXISTS stories (
    id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, version INTEGER NOT NULL, signature BLOB NOT NULL,
    language TEXT NOT NULL, title TEXT NOT NULL, url TEXT NOT NULL, first_seen REAL NOT NULL, last_seen REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS pending (story_id TEXT PRIMARY KEY, owner TEXT NOT NULL, since REAL NOT NULL)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS content_hashes (hash TEXT PRIMARY KEY, story_id TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bands (band INTEGER NOT NULL, story_id TEXT NOT NULL, PRIMARY KEY (band, story_id))
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, started REAL NOT NULL, finished REAL,
    status TEXT NOT NULL, items INTEGER NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0, pages INTEGER NOT NULL DEFAULT 0, stats TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS runs_by_source ON runs (source, started);
"""
logger = logging.getLogger(__name__)

_STORY_COLUMNS = "id, content_hash, version, signature, language, title, url, first_seen, last_seen"
_CANDIDATE_COLUMNS = ", ".join(f"s.{column}" for column in _STORY_COLUMNS.split(", "))
# Band keys are unsigned 64-bit hashes; SQLite integers are signed.
_SIGNED = 1 << 63
# Stories read per band key, and candidates verified per decision (those sharing the most band keys first).
_BAND_LIMIT = 50
_CANDIDATE_LIMIT = 50
# Page cache per connection: enough for the band index's inner pages at millions of stories; its leaves come from the
# operating system's file cache. No memory map: mapped pages of the file count in the crawl's resident memory, which
# then grew with the store (~50 MB more at 20,000 stories), with no measurable gain per lookup at 100,000 stories.
_CACHE_KIB = 16 * 1024
# Pages of 2 KiB rather than SQLite's 4 KiB: a new story changes ~35 pages at random places (one per band key), and a
# commit writes each whole into the WAL. At a million stories this made a new story's remember() ~15% cheaper and the
# file ~20% smaller (benchmarks/dedup.py); smaller pages (1 KiB) gained nothing more.
_PAGE_SIZE = 2048
_MMAP_BYTES = 0
# Checkpoints. A new story dirties ~35 pages at random places (one per band key); a checkpoint copies them into the
# database and syncs both files, which took 0.1-0.9 s every few hundred stories when the committing call did it
# (SQLite's automatic checkpoint): the mean cost of remember() was 3-5x its median. A thread of the store checkpoints
# instead (PASSIVE: writers go on meanwhile), every CHECKPOINT_INTERVAL seconds; a committing connection checkpoints
# itself only past AUTOCHECKPOINT_PAGES of WAL (~400 MB), should that thread ever fall so far behind.
CHECKPOINT_INTERVAL = 0.5
AUTOCHECKPOINT_PAGES = 100_000


def use_wal(db: sqlite3.Connection, timeout: float) -> None:
    """Put the database in WAL mode. Switching a new file's journal needs it alone, and SQLite answers "database is
    locked" at once, without waiting, when another connection is opening it at the same moment (two crawls starting
    together): try again until ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def _signed(band: int) -> int:
    return band - (1 << 64) if band >= _SIGNED else band


def _story(row: tuple[Any, ...]) -> StoryState:
    return StoryState(*row)


class Checkpointer:
    """A thread that moves the WAL of a database into it (``wal_checkpoint(PASSIVE)``) every ``interval`` seconds on
    its own connection, so the calls that commit never wait for a checkpoint. A failed checkpoint is logged and tried
    again at the next tick; the connection that commits checks itself past AUTOCHECKPOINT_PAGES."""

    def __init__(self, path: Path, timeout: float, interval: float = CHECKPOINT_INTERVAL) -> None:
        self.path = path
        self.interval = interval
        self._stop = threading.Event()
        self._db = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
        self._db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        self._thread = threading.Thread(target=self._run, name=f"checkpoint {path.name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.checkpoint()

    def checkpoint(self) -> tuple[int, int, int] | None:
        """One PASSIVE checkpoint: (busy, WAL frames, frames copied), or None when it failed."""
        try:
            row = self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:
            logger.warning("Checkpoint of %(path)s failed, trying again: %(error)s", {"path": self.path, "error": exc})
            return None
        return (int(row[0]), int(row[1]), int(row[2])) if row else None

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._db.close()


class SQLiteStateStore(StateStore):
    """State in one SQLite file (created with its directory when missing)."""

    def __init__(self, path: str | Path, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
        self._db.execute(f"PRAGMA page_size={_PAGE_SIZE}")  # a new file only: an existing one keeps its own
        use_wal(self._db, timeout)
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
        self._db.execute(f"PRAGMA mmap_size={_MMAP_BYTES}")
        self._db.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        self._db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        self._db.executescript(SCHEMA)
        self._checkpointer = Checkpointer(self.path, timeout)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """A write transaction (``BEGIN IMMEDIATE``: the write lock is taken first, so no other writer's change can
        come between its reads and its writes), rolled back when the block raises."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- validators -------------------------------------------------------------------------------------
    def validators(self, url: str) -> Validators | None:
        row = self._db.execute("SELECT etag, last_modified FROM validators WHERE url = ?", (url,)).fetchone()
        return Validators(*row) if row else None

    def save_validators(self, validators: Mapping[str, Validators]) -> None:
        """In one transaction: a commit each cost ~40 us and a WAL frame, 20,000 of them at a large crawl's end."""
        now = time.time()
        with self._transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO validators (url, etag, last_modified, updated) VALUES (?, ?, ?, ?)",
                [(url, v.etag, v.last_modified, now) for url, v in validators.items()],
            )

    # --- stories ------------------------------------------------------------------------------------------
    def story(self, story_id: str) -> StoryState | None:
        row = self._db.execute(f"SELECT {_STORY_COLUMNS} FROM stories WHERE id = ?", (story_id,)).fetchone()
        return _story(row) if row else None

    def remember(
        self,
        story_id: str,
        content_hash: str,
        bands: list[int],
        decide: Callable[[StoryState | None, StoryState | None, list[StoryState]], Decision],
        owner: str = "",
    ) -> Decision:
        db = self._db
        with self._transaction():
            existing = self.usable(self._with_pending(self.story(story_id)), owner)
            row = db.execute("SELECT story_id FROM content_hashes WHERE hash = ?", (content_hash,)).fetchone()
            holder = self.written(self._with_pending(self.story(row[0])), owner) if row and row[0] != story_id else None
            candidates = [c for c in (self.written(s, owner) for s in self._candidates(bands, story_id))
                          if c is not None]
            decision = decide(existing, holder, candidates)
            if decision.emit:
                self._write(decision)
                if owner:
                    db.execute("INSERT OR REPLACE INTO pending (story_id, owner, since) VALUES (?, ?, ?)",
                               (decision.story.id, owner, time.time()))
            elif existing is not None and decision.action == "unchanged":
                db.execute("UPDATE stories SET last_seen = ? WHERE id = ?", (time.time(), story_id))
        return decision

    def _with_pending(self, story: StoryState | None) -> StoryState | None:
        if story is not None:
            row = self._db.execute("SELECT owner FROM pending WHERE story_id = ?", (story.id,)).fetchone()
            story.pending = row[0] if row else ""
        return story

    def confirm(self, owner: str, story_ids: list[str]) -> None:
        if story_ids:
            marks = ",".join("?" * len(story_ids))
            self._db.execute(f"DELETE FROM pending WHERE owner = ? AND story_id IN ({marks})", [owner, *story_ids])

    def _candidates(self, bands: list[int], story_id: str) -> list[StoryState]:
        """The stories sharing the most of ``bands`` (at most _BAND_LIMIT a key, _CANDIDATE_LIMIT in all), with
        their pending marks, in id order: one query."""
        if not bands:
            return []
        one_band = f"SELECT story_id FROM (SELECT story_id FROM bands WHERE band = ? LIMIT {_BAND_LIMIT})"
        query = (
            f"SELECT {_CANDIDATE_COLUMNS}, coalesce(p.owner, '') FROM ("
            f"SELECT story_id FROM ({' UNION ALL '.join([one_band] * len(bands))}) WHERE story_id != ? "
            f"GROUP BY story_id ORDER BY COUNT(*) DESC, story_id LIMIT {_CANDIDATE_LIMIT}"
            f") AS c JOIN stories AS s ON s.id = c.story_id LEFT JOIN pending AS p ON p.story_id = c.story_id "
            f"ORDER BY s.id"
        )
        return [_story(r) for r in self._db.execute(query, [*(_signed(b) for b in bands), story_id])]

    def _write(self, decision: Decision) -> None:
        story = decision.story
        self._db.execute(
            f"INSERT OR REPLACE INTO stories ({_STORY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (story.id, story.content_hash, story.version, story.signature, story.language, story.title, story.url,
             story.first_seen, story.last_seen),
        )
        self._db.execute("INSERT OR IGNORE INTO content_hashes (hash, story_id) VALUES (?, ?)", (story.content_hash, story.id))
        if decision.bands:
            # An updated story keeps the keys of its earlier versions: they find copies of those versions, verified
            # against its current signature, and deleting them by story would scan the whole table (keyed by band).
            self._db.executemany(
                "INSERT OR IGNORE INTO bands (band, story_id) VALUES (?, ?)",
                [(_signed(b), story.id) for b in decision.bands],
            )

    def story_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM stories").fetchone()[0])

    # --- runs -----------------------------------------------------------------------------------------------
    def start_run(self, source: str, started: float) -> int:
        cursor = self._db.execute("INSERT INTO runs (source, started, status) VALUES (?, ?, 'running')", (source, started))
        return int(cursor.lastrowid or 0)

    def finish_run(self, run: RunRecord) -> None:
        self._db.execute(
            "UPDATE runs SET finished = ?, status = ?, items = ?, duplicates = ?, errors = ?, pages = ?, stats = ? "
            "WHERE id = ?",
            (run.finished, run.status, run.items, run.duplicates, run.errors, run.pages,
             json.dumps(run.stats, ensure_ascii=False, sort_keys=True), run.id),
        )

    def add_to_run(self, run_id: int, **counts: int) -> None:
        allowed = {"items", "duplicates", "errors", "pages"}
        for name, value in counts.items():
            if name not in allowed:
                raise ValueError(f"unknown run counter {name!r}")
            self._db.execute(f"UPDATE runs SET {name} = {name} + ? WHERE id = ?", (value, run_id))

    def runs(self, source: str | None = None, limit: int = 100) -> list[RunRecord]:
        query = "SELECT id, source, started, finished, status, items, duplicates, errors, pages, stats FROM runs"
        args: tuple[Any, ...] = ()
        if source is not None:
            query += " WHERE source = ?"
            args = (source,)
        rows = self._db.execute(query + " ORDER BY started DESC, id DESC LIMIT ?", (*args, limit)).fetchall()
        return [RunRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], json.loads(r[9])) for r in rows]

    def close(self) -> None:
        self._checkpointer.close()
        self._db.close()
