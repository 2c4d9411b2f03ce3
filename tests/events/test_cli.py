"""``blockradar events`` and ``blockradar report``: sources (events file, daemon directory, state store) and filters."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from crawler.cli import main
from crawler.events.cli import format_table
from crawler.events.cluster import ClusterConfig, cluster
from crawler.events.jsonl import append_events
from crawler.events.store import open_event_store

if TYPE_CHECKING:
    from crawler.events.model import ArticleRef


@pytest.fixture(scope="module")
def events_file(articles: list[ArticleRef], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "events.jsonl"
    records = [e.to_record() for e in cluster(articles)]
    stale = [dict(r, version=0, title="stale") for r in records]  # older versions come first in the file
    append_events(path, stale + records)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def as_json(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def test_the_table_lists_the_latest_versions(capsys: pytest.CaptureFixture[str], events_file: Path) -> None:
    code, out = run(capsys, "events", "--events", str(events_file))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["STATUS", "CC", "PLATFORMS", "ACTION"]
    assert "stale" not in out
    assert lines[-1] == "26 events"
    assert lines[1].split()[2] == "BR"  # the most recently active first (Brazil's Telegram, March 2026)


@pytest.mark.parametrize(("args", "count"), [
    (["--country", "ru"], 8),
    (["--country", "RU", "--platform", "whatsapp"], 3),
    (["--status", "lifted"], 4),
    (["--action", "unblock"], 4),
    (["--platform", "internet", "--since", "2025-01-01"], 3),
    (["--country", "TR", "--until", "2024-08-02"], 1),
    (["--country", "TR", "--since", "2026-01-26T00:00:00+00:00"], 1),
])
def test_filters(capsys: pytest.CaptureFixture[str], events_file: Path, args: list[str], count: int) -> None:
    code, out = run(capsys, "events", "--events", str(events_file), "--json", *args)
    assert code == 0
    assert len(as_json(out)) == count, [e["title"] for e in as_json(out)]


def test_events_from_the_state_store(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                     articles: list[ArticleRef]) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    store = open_event_store(url)
    try:
        for article in articles[:12]:
            store.place(article, ClusterConfig(), datetime.now(UTC))
    finally:
        store.close()
    code, out = run(capsys, "events", "--state", url, "--json", "--limit", "2")
    assert code == 0 and len(as_json(out)) == 2
    code, out = run(capsys, "events", "-s", f"STATE_URL={url}", "--country", "RU", "--json")
    assert {e["country"] for e in as_json(out)} == {"RU"} and len(as_json(out)) == 3


def test_the_daemon_directory_and_missing_sources(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                  events_file: Path) -> None:
    (tmp_path / "events.jsonl").write_bytes(events_file.read_bytes())
    code, out = run(capsys, "events", "--output", str(tmp_path), "--status", "announced")
    assert code == 0 and "announced" in out
    with pytest.raises(SystemExit, match="no such events file"):
        main(["events", "--events", str(tmp_path / "nope.jsonl")])
    with pytest.raises(SystemExit, match="no state store here"):
        main(["events", "--state", f"sqlite:///{tmp_path / 'nope.db'}"])
    with pytest.raises(SystemExit, match="not a date"):
        main(["events", "--events", str(events_file), "--since", "yesterday"])
    code, out = run(capsys, "events", "--events", str(events_file), "--country", "FR")
    assert out.strip() == "No events."


def test_report_command(capsys: pytest.CaptureFixture[str], tmp_path: Path, events_file: Path) -> None:
    code, out = run(capsys, "report", "--events", str(events_file), "--output", str(tmp_path / "r"), "--country", "TR")
    assert code == 0 and out.startswith("3 events written to ")
    page = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "Turkey throttles social media after protests" in page and "Brazil" not in page
    (tmp_path / "daemon").mkdir()
    (tmp_path / "daemon" / "events.jsonl").write_bytes(events_file.read_bytes())
    code, out = run(capsys, "report", "--output", str(tmp_path / "daemon"))  # reads DIR/events.jsonl
    assert out.startswith("26 events written to ")


def test_long_titles_are_cut_to_the_width() -> None:
    event = {"status": "in_force", "country": "RU", "platforms": ["WhatsApp"], "action": "block",
             "first_seen": "2026-02-12T00:00:00+00:00", "last_seen": "2026-02-12T00:00:00+00:00", "article_count": 1,
             "title": "x" * 300}
    lines = format_table([event], width=100).splitlines()
    assert max(len(line) for line in lines) <= 100 and lines[1].endswith("…")
