"""A directory for what is costly to build and the same at every crawl's start (a decompressed model, MinHash
permutations). Everything in it can be rebuilt: a missing, unwritable or damaged cache only costs time.

``BLOCKRADAR_CACHE_DIR`` (empty: no cache), else ``$XDG_CACHE_HOME/blockradar``, else ``~/.cache/blockradar``.
"""

from __future__ import annotations

import logging
import os
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import IO

logger = logging.getLogger(__name__)

CACHE_DIR_ENV = "BLOCKRADAR_CACHE_DIR"


def cache_dir() -> Path | None:
    """``$BLOCKRADAR_CACHE_DIR`` (None when it is set empty), else ``$XDG_CACHE_HOME/blockradar``, else
    ``~/.cache/blockradar``."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured is not None:
        return Path(configured).expanduser() if configured.strip() else None
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "blockradar"


def cached_file(name: str, write: Callable[[IO[bytes]], None], stale: str = "") -> Path | None:
    """The cache file ``name``, written by ``write`` (given the open file) when it is not there yet; None when there
    is no cache directory or it cannot be written. ``stale``, a glob, names older versions of the file, removed once
    the new one is written.

    The file is written under a temporary name and renamed: processes that start together each write their own, and
    a reader never sees half a file."""
    directory = cache_dir()
    if directory is None:
        return None
    target = directory / name
    if target.is_file():
        return target
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=f".{name}.", delete=False) as tmp:
            try:
                write(tmp)
            except BaseException:
                tmp.close()
                Path(tmp.name).unlink(missing_ok=True)
                raise
        Path(tmp.name).replace(target)
    except OSError as exc:
        logger.debug("Not cached in %(dir)s: %(name)s: %(error)s", {"dir": directory, "name": name, "error": exc})
        return None
    for old in directory.glob(stale) if stale else ():
        if old != target:
            with suppress(OSError):
                old.unlink()
    return target


def discard(path: Path, error: Exception) -> None:
    """Remove a cache file that could not be read (rebuilt at next use), saying so."""
    logger.warning("Ignoring the damaged cache file %(path)s: %(error)s", {"path": path, "error": error})
    with suppress(OSError):
        path.unlink()
