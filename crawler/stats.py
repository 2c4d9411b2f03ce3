"""One place that builds stat keys, so every skip, drop and decision is counted under ``blockradar/``."""

from __future__ import annotations

import re

PREFIX = "blockradar"
_UNSAFE_RE = re.compile(r"[^A-Za-z0-9_.:-]+")


def stat_key(*parts: str) -> str:
    """stat_key('dropped', 'not_an_article') -> 'blockradar/dropped/not_an_article'."""
    return "/".join([PREFIX, *(_UNSAFE_RE.sub("_", p).strip("_") or "_" for p in parts)])
