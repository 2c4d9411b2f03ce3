"""One state store per crawl, shared by the components that need it (dedup, conditional GET, run history)."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from scrapy import signals

from crawler.state import open_state

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.state.base import StateStore

_stores: weakref.WeakKeyDictionary[Crawler, StateStore] = weakref.WeakKeyDictionary()


def crawl_state(crawler: Crawler) -> StateStore:
    """The crawl's state store (STATE_URL), opened on first use and closed when the engine stops."""
    store = _stores.get(crawler)
    if store is not None:
        return store
    try:
        store = open_state(crawler.settings.get("STATE_URL") or "")
    except ValueError as exc:
        raise ValueError(f"Bad STATE_URL setting: {exc}") from exc
    _stores[crawler] = store
    opened = store

    def close() -> None:
        # engine_stopped comes after spider_closed: every component has finished with the store.
        _stores.pop(crawler, None)
        opened.close()

    crawler.signals.connect(close, signal=signals.engine_stopped, weak=False)
    return store
