"""The daemon's output directory: one ``articles-YYYY-MM-DD.jsonl`` file a day (UTC), appended run by run.

Each run's records are appended whole, in one ``write()`` under an exclusive ``flock``, so runs finishing at the same
time never interleave, and only complete lines are ever appended (a killed crawl's unfinished last line is dropped).
A consumer reads only what is new by remembering, per file, the byte offset it has read up to, and reading from there
to the last newline (see README, Operations).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

logger = logging.getLogger(__name__)

PREFIX = "articles-"


def day_file(output_dir: Path, when: datetime | None = None) -> Path:
    """The file a record published at ``when`` (default now) goes to."""
    day = (when or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%d")
    return output_dir / f"{PREFIX}{day}.jsonl"


def complete_records(path: Path) -> list[bytes]:
    """The complete, valid JSON lines of a crawl's output file (a partial or broken line is dropped, logged)."""
    if not path.exists():
        return []
    lines: list[bytes] = []
    data = path.read_bytes()
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            json.loads(line)
        except ValueError:
            logger.warning("Dropping an incomplete record at %(path)s line %(n)d (%(size)d bytes)",
                           {"path": path, "n": number, "size": len(line)})
            continue
        lines.append(line)
    return lines


def append_lines(target: Path, records: list[bytes]) -> int:
    """Append records to ``target`` (created with its directory) in one ``write()`` under an exclusive ``flock``,
    each ending in exactly one newline; returns how many."""
    if not records:
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = b"".join(r.rstrip(b"\n") + b"\n" for r in records)
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        view = memoryview(payload)
        while view:  # a regular file takes it in one call; the loop only guards against short writes
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)  # closing releases the lock
    return len(records)


def append_records(output_dir: Path, records: list[bytes], when: datetime | None = None) -> Path | None:
    """Append records to the day's file in one locked write; returns the file, or None when there was nothing."""
    if not records:
        return None
    target = day_file(output_dir, when)
    append_lines(target, records)
    return target


def read_new(path: Path, offset: int) -> tuple[list[dict[str, object]], int]:
    """Records of ``path`` after byte ``offset``, up to its last complete line, and the new offset."""
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    end = data.rfind(b"\n") + 1
    records = [json.loads(line) for line in data[:end].split(b"\n") if line.strip()]
    return records, offset + end
