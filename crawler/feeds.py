"""Feed storage for local files that never leaves a record half-written in a buffer.

Scrapy's FileFeedStorage writes through a buffered file: a crawl killed with SIGKILL loses the records still in
the buffer, although the dedup state already counts them as written. Unbuffered, each JSON line reaches the file
with the one ``write()`` the exporter makes for it (repeated until the whole line is written: a raw ``write()`` may
take only part of it).

A process killed in the middle of that write can still leave the start of a line without its newline. Appending to
such a file (``-o``) would glue the next record onto it and lose both, so the storage first cuts an unfinished last
line off, with a warning. Readers of a file a crawl may still be writing take only complete lines
(``crawler.output.complete_records`` / ``read_new``).
"""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from scrapy.extensions.feedexport import FileFeedStorage

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer
    from scrapy import Spider

logger = logging.getLogger(__name__)

_TAIL_CHUNK = 64 * 1024
_LINE_FORMATS = frozenset({"jsonlines", "jsonl", "jl"})


class _WholeWriteFile(io.FileIO):
    """An unbuffered file whose ``write()`` returns only once every byte is written."""

    def write(self, data: ReadableBuffer, /) -> int:
        view = memoryview(data).cast("B")
        total = len(view)
        while view:
            written = super().write(view)
            if written is None:  # only for non-blocking files, which this never is
                continue
            view = view[written:]
        return total


def drop_unfinished_line(path: Path) -> int:
    """Cut an unfinished last line (no newline after it) off a JSON Lines file; returns the bytes removed."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0
    if size == 0:
        return 0
    with path.open("r+b") as handle:
        end = size
        while end > 0:
            start = max(0, end - _TAIL_CHUNK)
            handle.seek(start)
            chunk = handle.read(end - start)
            if end == size and chunk.endswith(b"\n"):
                return 0
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            end = start
        else:
            keep = 0
        handle.truncate(keep)
        handle.flush()
        os.fsync(handle.fileno())
    return size - keep


class UnbufferedFileFeedStorage(FileFeedStorage):
    """FileFeedStorage with unbuffered, whole-line writes (used for ``file:`` and plain paths)."""

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None) -> None:
        super().__init__(uri, feed_options=feed_options)
        # Only a JSON Lines file is made of lines that can be cut off one by one.
        self.lines = (feed_options or {}).get("format") in _LINE_FORMATS

    def open(self, spider: Spider) -> IO[bytes]:
        path = Path(self.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if "a" in self.write_mode and self.lines:
            removed = drop_unfinished_line(path)
            if removed:
                logger.warning("%(path)s ended with an unfinished record (%(n)d bytes, from an interrupted crawl): "
                               "removed before appending", {"path": path, "n": removed})
        return _WholeWriteFile(path, self.write_mode.replace("b", ""))
