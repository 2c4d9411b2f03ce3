"""The HTML report: self-contained, escaped, and rendered by a real browser (headless Chromium) with working filters."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from crawler.events.cluster import cluster
from crawler.events.report import country_name, render_report, write_report

if TYPE_CHECKING:
    from crawler.events.model import ArticleRef

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it with apt-get)")
GENERATED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def events(articles: list[ArticleRef]) -> list[dict[str, Any]]:
    return [e.to_record() for e in cluster(articles, now="2026-03-01T12:00:00+00:00")]


class Cards(HTMLParser):
    """The event cards of a page: id -> (hidden, country); and the 'shown' counter."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: dict[str, tuple[bool, str]] = {}
        self.shown = ""
        self._in_shown = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "article" and "event" in (values.get("class") or ""):
            self.cards[values["id"] or ""] = ("hidden" in values, values.get("data-country") or "")
        self._in_shown = values.get("id") == "shown"

    def handle_data(self, data: str) -> None:
        if self._in_shown:
            self.shown += data
            self._in_shown = False


def parse(page: str) -> Cards:
    cards = Cards()
    cards.feed(page)
    return cards


def chromium(url: str, profile: Path, *extra: str, timeout: float = 60) -> str:
    """Run headless Chromium on ``url`` (its DOM after scripts ran is printed with --dump-dom)."""
    assert CHROMIUM is not None
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", f"--user-data-dir={profile}", *extra, url]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_the_page_is_self_contained_and_escaped(events: list[dict[str, Any]]) -> None:
    hostile = dict(events[0], title='<script>alert("x")</script> & <b>bold</b>', event_id="f" * 16,
                   articles=[dict(events[0]["articles"][0], url="javascript:alert(1)", title="bad link")])
    page = render_report([*events, hostile], GENERATED)
    assert "<script>alert" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", page), "nothing may be fetched"
    assert "@import" not in page and "url(" not in page
    for event in events:
        assert f'id="ev-{event["event_id"]}"' in page
    assert len(parse(page).cards) == len(events) + 1
    assert "Generated 2026-03-01 12:00 UTC" in page


def test_an_empty_report(tmp_path: Path) -> None:
    path = write_report([], tmp_path / "out")
    assert path == tmp_path / "out" / "report.html"
    assert "0 events in 0 countries, none yet" in path.read_text(encoding="utf-8")


def test_country_names() -> None:
    assert country_name("RU") == "Russia"
    assert country_name("ZZ") == "ZZ"


@needs_chromium
def test_chromium_renders_the_events_and_filters_them(tmp_path: Path, events: list[dict[str, Any]],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    report = write_report(events, tmp_path, GENERATED)
    shot = tmp_path / "report.png"
    dom = chromium(report.as_uri(), tmp_path / "profile", "--window-size=1280,2000", f"--screenshot={shot}", "--dump-dom")
    assert shot.stat().st_size > 10_000
    with capsys.disabled():
        print(f"\nscreenshot of the report: {shot}")
    page = parse(dom)
    assert len(page.cards) == len(events) and not any(hidden for hidden, _ in page.cards.values())
    assert page.shown == str(len(events))
    text = html.unescape(dom)
    for event in events:
        assert event["title"] in text
    assert 'class="js"' in dom, "the page's script ran"

    filtered = parse(chromium(report.as_uri() + "#country=TR&status=lifted", tmp_path / "profile", "--dump-dom"))
    visible = [cid for cid, (hidden, _) in filtered.cards.items() if not hidden]
    wanted = [e for e in events if e["country"] == "TR" and e["status"] == "lifted"]
    assert len(wanted) == 1 and visible == [f"ev-{wanted[0]['event_id']}"]
    assert filtered.shown == "1"

    by_platform = parse(chromium(report.as_uri() + "#platform=WhatsApp&from=2026-01-01", tmp_path / "profile",
                                 "--dump-dom"))
    shown = {cid for cid, (hidden, _) in by_platform.cards.items() if not hidden}
    assert shown == {f"ev-{e['event_id']}" for e in events
                     if "WhatsApp" in e["platforms"] and e["last_seen"] >= "2026-01-01"}
    assert len(shown) == 2  # Russia's threat and its block
