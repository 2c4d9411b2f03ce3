"""``events.jsonl``: every new version of an event appended as one JSON line; readers keep the latest per event.

Appends are whole lines in one ``write()`` under an exclusive ``flock``, as the daemon's article files are
(``crawler/output.py``), so crawls running at once never interleave. Versions of one event are normally appended in
order; two crawls changing the same event at the same moment may append them the other way round, so a reader keeps
the line with the highest ``version`` per ``event_id`` (``latest_events`` does), which is the last one otherwise.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from crawler.output import append_lines

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

logger = logging.getLogger(__name__)


def append_events(path: Path, records: Iterable[dict[str, Any]]) -> int:
    """Append event records to ``path`` (created with its directory) in one locked write; returns how many."""
    return append_lines(path, [json.dumps(r, ensure_ascii=False).encode("utf-8") for r in records])


def latest_events(path: Path) -> list[dict[str, Any]]:
    """The latest version of every event in an ``events.jsonl`` file (a broken line is skipped, logged)."""
    latest: dict[str, dict[str, Any]] = {}
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                event_id, version = record["event_id"], int(record["version"])
            except (ValueError, KeyError, TypeError):
                logger.warning("Skipping a broken line at %(path)s:%(n)d", {"path": path, "n": number})
                continue
            if event_id not in latest or version >= int(latest[event_id]["version"]):
                latest[event_id] = record
    return list(latest.values())
