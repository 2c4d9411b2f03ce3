"""One place that builds stat keys, so every skip, drop and decision is counted under ``blockradar/``."""

from __future__ import annotations

import re
from functools import lru_cache

PREFIX = "blockradar"
_UNSAFE_RE = re.compile(r"[^A-Za-z0-9_.:-]+")


@lru_cache(maxsize=4096)
def stat_key(*parts: str) -> str:
    """stat_key('dropped', 'not_an_article') -> 'blockradar/dropped/not_an_article'. Remembered: the same few keys
    are counted for every page (a regex run per part each time was ~1% of a crawl's CPU)."""
    return "/".join([PREFIX, *(_UNSAFE_RE.sub("_", p).strip("_") or "_" for p in parts)])
