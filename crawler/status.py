"""Source health from the run history: what ``blockradar status`` shows."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crawler.state.base import RunRecord, StateStore

FAILED = frozenset({"failed", "killed", "timeout"})
DAY = 86400.0


@dataclass
class SourceHealth:
    """One line of ``blockradar status``."""

    source: str
    runs: int
    last_run: str | None
    last_result: str | None
    last_success: str | None
    items_24h: int
    items_7d: int
    consecutive_failures: int
    health: str
    """new | ok | failing | silent"""
    errors: int = 0
    """Errors of the last finished run (its ERROR log lines)."""
    error_kinds: dict[str, int] = field(default_factory=dict)
    """What went wrong in the last finished run, by kind ('timeout', 'http_404', ...), when the run recorded it
    (``run.stats["errors"]``: the crawl's ``blockradar/errors/<kind>`` counts)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds") if ts else None


def _seen(run: RunRecord) -> int:
    return int(run.stats.get("seen", run.items) or 0)


def _error_kinds(run: RunRecord | None) -> dict[str, int]:
    kinds = run.stats.get("errors") if run else None
    if not isinstance(kinds, dict):
        return {}
    return {str(k): int(v) for k, v in kinds.items() if isinstance(v, int) and v}


def source_health(name: str, runs: list[RunRecord], now: float, failing_after: int, silent_after: int) -> SourceHealth:
    """Health of one source from its runs, newest first.

    failing: the last ``failing_after`` finished runs failed. silent: the source used to give articles, and its last
    ``silent_after`` successful runs gave none (no article extracted, nothing confirmed unchanged): the usual sign of
    a site redesign or a dead feed.
    """
    finished = [r for r in runs if r.status != "running"]
    failures = 0
    for run in finished:
        if run.status not in FAILED:
            break
        failures += 1
    ok_runs = [r for r in finished if r.status == "ok"]
    recent_ok = ok_runs[:silent_after]
    used_to_yield = any(_seen(r) > 0 for r in ok_runs[silent_after:])
    if not finished:
        health = "new"
    elif failures >= failing_after:
        health = "failing"
    elif len(recent_ok) == silent_after and used_to_yield and all(_seen(r) == 0 for r in recent_ok):
        health = "silent"
    else:
        health = "ok"
    last = runs[0] if runs else None
    last_finished = finished[0] if finished else None
    return SourceHealth(
        source=name,
        runs=len(runs),
        last_run=_iso(last.started) if last else None,
        last_result=last.status if last else None,
        last_success=_iso(ok_runs[0].finished) if ok_runs else None,
        items_24h=sum(r.items for r in runs if now - r.started <= DAY),
        items_7d=sum(r.items for r in runs if now - r.started <= 7 * DAY),
        consecutive_failures=failures,
        health=health,
        errors=last_finished.errors if last_finished else 0,
        error_kinds=_error_kinds(last_finished),
    )


def status_table(store: StateStore, names: list[str], failing_after: int = 2, silent_after: int = 3,
                 history: int = 500) -> list[SourceHealth]:
    """Health of the named sources (and of any other source found in the run history)."""
    runs = store.runs(limit=history * max(1, len(names)))
    by_source: dict[str, list[RunRecord]] = {}
    for run in runs:
        by_source.setdefault(run.source, []).append(run)
    ordered = list(dict.fromkeys([*names, *sorted(by_source)]))
    now = datetime.now(UTC).timestamp()
    return [source_health(n, by_source.get(n, []), now, failing_after, silent_after) for n in ordered]


def _errors_cell(row: SourceHealth) -> str:
    """'3' or '3 (timeout 2, http_404 1)'."""
    if not row.error_kinds:
        return str(row.errors)
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(row.error_kinds.items(), key=lambda kv: (-kv[1], kv[0]))[:3])
    more = " ..." if len(row.error_kinds) > 3 else ""
    return f"{row.errors} ({kinds}{more})"


def format_table(rows: list[SourceHealth]) -> str:
    """A plain-text table for people."""
    header = ("SOURCE", "LAST RUN", "RESULT", "LAST SUCCESS", "24H", "7D", "FAILS", "ERRORS", "HEALTH")
    lines = [header] + [
        (r.source, r.last_run or "-", r.last_result or "-", r.last_success or "-", str(r.items_24h), str(r.items_7d),
         str(r.consecutive_failures), _errors_cell(r), r.health)
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines)
