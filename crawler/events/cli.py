"""``blockradar events`` (a table, or JSON) and ``blockradar report`` (the HTML page) over the block events.

Both read the events from ``--events FILE`` (an ``events.jsonl``: the latest version of each event), ``--output DIR``
(the daemon's directory: ``DIR/events.jsonl``) or the state store (``--state URL``, else ``STATE_URL``, else
``./data/state.db``), and take the same filters.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.events.jsonl import latest_events
from crawler.events.model import STATUSES, parse_time
from crawler.events.report import write_report
from crawler.events.store import open_event_store
from crawler.state import DEFAULT_STATE_PATH, state_path

if TYPE_CHECKING:
    import argparse
    from datetime import datetime

EVENTS_FILE_NAME = "events.jsonl"


@dataclass(frozen=True)
class EventQuery:
    """Which events to show: all given conditions must hold (case-insensitive names)."""

    country: str = ""
    platform: str = ""
    action: str = ""
    status: str = ""
    since: datetime | None = None
    until: datetime | None = None

    def matches(self, event: dict[str, Any]) -> bool:
        if self.country and event["country"] != self.country.upper():
            return False
        if self.platform and self.platform.lower() not in {p.lower() for p in event["platforms"]}:
            return False
        if self.action and self.action not in event["actions"]:
            return False
        if self.status and event["status"] != self.status:
            return False
        if self.since and parse_time(event["last_seen"]) < self.since:
            return False
        return not (self.until and parse_time(event["first_seen"]) > self.until)


def _date(value: str) -> datetime:
    """A --since/--until value: YYYY-MM-DD or an ISO 8601 time (UTC when no offset)."""
    try:
        return parse_time(value)
    except ValueError as exc:
        raise SystemExit(f"error: {value!r} is not a date (YYYY-MM-DD or ISO 8601)") from exc


def query_of(args: argparse.Namespace) -> EventQuery:
    until = _date(args.until) if args.until else None
    if until is not None and len(args.until) == 10:
        until = until.replace(hour=23, minute=59, second=59)  # a day includes its evening
    return EventQuery(country=args.country or "", platform=args.platform or "", action=args.action or "",
                      status=(args.status or "").replace(" ", "_"), since=_date(args.since) if args.since else None,
                      until=until)


def load_events(args: argparse.Namespace, state_url: str) -> list[dict[str, Any]]:
    """Event records from --events, --output or the state store; SystemExit with one line when missing."""
    events_file = Path(args.events) if args.events else Path(args.output) / EVENTS_FILE_NAME if args.output else None
    if events_file is not None:
        if not events_file.is_file():
            raise SystemExit(f"error: {events_file}: no such events file")
        return latest_events(events_file)
    url = args.state or state_url
    if url.startswith("sqlite:") or not url:
        path = state_path(url) if url else DEFAULT_STATE_PATH
        if not path.is_file():
            raise SystemExit(f"error: {path}: no state store here (give --events FILE, --output DIR or --state URL)")
    try:
        store = open_event_store(url)
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from exc
    try:
        return [e.to_record() for e in store.events()]
    finally:
        store.close()


def _selected(args: argparse.Namespace, state_url: str) -> list[dict[str, Any]]:
    query = query_of(args)
    events = [e for e in load_events(args, state_url) if query.matches(e)]
    return sorted(events, key=lambda e: (e["last_seen"], e["event_id"]), reverse=True)


def format_table(events: list[dict[str, Any]], width: int = 0) -> str:
    """A fixed-width table, newest activity first; titles cut to the terminal's width."""
    width = width or shutil.get_terminal_size((140, 24)).columns
    rows = [("STATUS", "CC", "PLATFORMS", "ACTION", "FIRST", "LAST", "ARTS", "TITLE")]
    for e in events:
        platforms = ", ".join(e["platforms"])
        rows.append((e["status"].replace("_", " "), e["country"], platforms if len(platforms) <= 28 else platforms[:27] + "…",
                     e["action"], e["first_seen"][:10], e["last_seen"][:10], str(e["article_count"]), e["title"]))
    sizes = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    room = max(20, width - sum(sizes) - 2 * len(sizes))
    lines = []
    for row in rows:
        title = row[-1] if len(row[-1]) <= room else row[-1][: room - 1] + "…"
        lines.append("  ".join([*(cell.ljust(size) for cell, size in zip(row, sizes, strict=False)), title]).rstrip())
    return "\n".join(lines)


def state_url_of(args: argparse.Namespace) -> str:
    """STATE_URL from the command's -s settings, else crawler/settings.py."""
    from crawler import settings  # noqa: PLC0415 - read only by these commands

    url = str(settings.STATE_URL)
    for item in args.set or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"error: -s {item!r}: expected NAME=VALUE")
        if name == "STATE_URL":
            url = value
    return url


def cmd_events(args: argparse.Namespace) -> int:
    state_url = state_url_of(args)
    events = _selected(args, state_url)
    if args.limit:
        events = events[: args.limit]
    if args.json:
        for event in events:
            sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
    elif events:
        print(format_table(events))
        print(f"\n{len(events)} event{'s' if len(events) != 1 else ''}")
    else:
        print("No events.")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    beside = Path(args.report_dir) / EVENTS_FILE_NAME
    if not args.events and not args.state and beside.is_file():
        args.events = str(beside)  # the daemon's directory: its events.jsonl
    events = _selected(args, state_url_of(args))
    target = write_report(events, Path(args.report_dir))
    print(f"{len(events)} events written to {target}")
    return 0


def _common(parser: argparse.ArgumentParser, *, output_is_source: bool) -> None:
    parser.add_argument("--events", metavar="FILE", help="an events.jsonl file (the latest version of each event)")
    if output_is_source:
        parser.add_argument("--output", metavar="DIR", help="the daemon's output directory: read DIR/events.jsonl")
    parser.add_argument("--state", metavar="URL", help="read the state store (default: STATE_URL, ./data/state.db)")
    parser.add_argument("--country", metavar="XX", help="ISO 3166-1 alpha-2 code of the acting state")
    parser.add_argument("--platform", metavar="NAME", help="a canonical platform name, e.g. WhatsApp, internet")
    parser.add_argument("--action", metavar="CODE", help="events whose articles carry this action code")
    parser.add_argument("--status", choices=STATUSES, help="announced, in_force or lifted")
    parser.add_argument("--since", metavar="DATE", help="events active on or after DATE (last article)")
    parser.add_argument("--until", metavar="DATE", help="events that began on or before DATE (first article)")
    parser.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="a setting, e.g. STATE_URL=...")


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``events`` and ``report`` on the ``blockradar`` parser."""
    events = sub.add_parser("events", help="list block events (clustered from the articles) as a table or JSON")
    _common(events, output_is_source=True)
    events.add_argument("--json", action="store_true", help="one JSON event record a line")
    events.add_argument("--limit", type=int, default=0, metavar="N", help="at most N events (newest activity first)")
    events.set_defaults(func=cmd_events)

    report = sub.add_parser("report", help="write DIR/report.html: timeline, filters and articles of the events")
    report.add_argument("--output", dest="report_dir", required=True, metavar="DIR",
                        help="where report.html goes; its events.jsonl is read when neither --events nor --state is given")
    _common(report, output_is_source=False)
    report.set_defaults(func=cmd_report, output=None)
