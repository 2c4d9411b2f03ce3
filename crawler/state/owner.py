"""Who holds a story that is decided but not yet written, and whether that holder is still alive.

Dedup decides a story inside the state store's transaction, but the record reaches the output a little later (the
feed exporter writes on ``item_scraped``, after the pipelines). A crawl killed in between must not leave the story
marked as written: the decision is stored as *pending*, held by an owner token, and confirmed once the record is
written. A pending story whose owner is dead is treated as never written, so the next run writes it.

Tokens: ``p:<host>:<pid>:<start>`` for a crawl process (alive while that process runs on this host), and
``w:<worker id>`` for a distributed worker (alive while its heartbeat key exists in Redis).
"""

from __future__ import annotations

import os
import socket
from functools import lru_cache
from pathlib import Path


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), '' where /proc is missing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""
    # the command name (field 2) may contain spaces: count fields after its closing parenthesis
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else ""


@lru_cache(maxsize=1)
def process_token() -> str:
    """This process's owner token."""
    pid = os.getpid()
    return f"p:{socket.gethostname()}:{pid}:{_start_time(pid)}"


def process_alive(token: str) -> bool:
    """Whether the crawl process of a ``p:`` token still runs (tokens of other hosts are taken as alive)."""
    try:
        _, host, pid_text, start = token.split(":", 3)
        pid = int(pid_text)
    except ValueError:
        return True
    if host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not start or _start_time(pid) == start
