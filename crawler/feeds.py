"""Feed storage for local files that never leaves a record half-written in a buffer.

Scrapy's FileFeedStorage writes through a buffered file: a crawl killed with SIGKILL loses the records still in
the buffer, although the dedup state already counts them as written. Unbuffered, each JSON line reaches the file
with the one ``write()`` the exporter makes for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING

from scrapy.extensions.feedexport import FileFeedStorage

if TYPE_CHECKING:
    from scrapy import Spider


class UnbufferedFileFeedStorage(FileFeedStorage):
    """FileFeedStorage with unbuffered writes (used for ``file:`` and plain paths)."""

    def open(self, spider: Spider) -> IO[bytes]:
        path = Path(self.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open(self.write_mode, buffering=0)
