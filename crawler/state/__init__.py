"""State store selection by URL: ``sqlite:///abs/path.db``, ``sqlite:rel/path.db`` or ``redis://host:port/db``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from crawler.state.base import Decision, RunRecord, StateStore, StoryState, Validators

DEFAULT_STATE_PATH = Path("data") / "state.db"

__all__ = ["Decision", "RunRecord", "StateStore", "StoryState", "Validators", "open_state", "state_path"]


def state_path(url: str) -> Path:
    """The file of an ``sqlite:`` STATE_URL: ``sqlite:///tmp/x.db`` is /tmp/x.db, ``sqlite:x.db`` is relative."""
    if not url.startswith("sqlite:"):
        raise ValueError(f"STATE_URL {url!r} is not an sqlite: URL")
    rest = url[len("sqlite:"):]
    if rest.startswith("//"):
        rest = rest[2:]
        if not rest.startswith("/"):
            raise ValueError(f"STATE_URL {url!r}: use sqlite:///absolute/path.db or sqlite:relative/path.db")
        rest = "/" + rest.lstrip("/")
    if not rest:
        raise ValueError(f"STATE_URL {url!r} names no file")
    return Path(rest)


def open_state(url: str) -> StateStore:
    """Open the state store a STATE_URL names (empty: ./data/state.db). Raises ValueError naming the setting."""
    url = url.strip() or f"sqlite:{DEFAULT_STATE_PATH}"
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        from crawler.state.sqlite import SQLiteStateStore  # noqa: PLC0415

        return SQLiteStateStore(state_path(url))
    if scheme in ("redis", "rediss", "unix"):
        from crawler.state.redis import RedisStateStore  # noqa: PLC0415 - needs the [distributed] extra

        return RedisStateStore(url)
    raise ValueError(f"STATE_URL {url!r}: unknown scheme {scheme!r} (use sqlite:///path.db or redis://host:port/db)")
