"""End to end: two crawls of (a copy of) the fixture web with one STATE_URL; events, report and alerts.

Round 1 crawls four sources of the fixture web; its events must match those clustered from the labels of
tests/site/expected.jsonl. Round 2 adds two articles to a feed: one opens a new event (Uganda blocks Facebook and
WhatsApp), one lifts an event of round 1 (Turkey lifts its Instagram ban). The webhook receives exactly one alert per
new event and status change over both rounds, each signed; the report shows the events in headless Chromium.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

import crawler.demo
from crawler.cli import main
from crawler.demo.server import FixtureWeb, default_site_root
from crawler.events.cluster import cluster
from crawler.events.jsonl import latest_events
from crawler.events.model import ArticleRef
from crawler.events.quality import pairwise_scores
from crawler.events.schema import event_errors
from tests.conftest import load_expected, run_crawl
from tests.events.conftest import FIXTURES, SECRET
from tests.events.servers import WebhookReceiver
from tests.events.test_report import CHROMIUM, chromium, needs_chromium, parse

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.slow
SOURCES = {"meridian-feed": "/feed.xml", "novosti-rss": "/rss.xml", "techwire-rdf": "/index.rdf",
           "mirpress-feed": "/feed/index.xml"}
ROUND2 = FIXTURES / "round2"
UGANDA = "/2026/02/16/uganda-blocks-facebook-and-whatsapp.html"
TURKEY_LIFT = "/2026/01/13/turkey-lifts-instagram-ban.html"


def demo_sources(web: FixtureWeb, path: Path) -> Path:
    """The demo's sources file (crawler/demo/sources.toml) pointing at this fixture web."""
    text = (Path(crawler.demo.__file__).parent / "sources.toml").read_text(encoding="utf-8")
    for name, base in web.sites.items():
        text = text.replace(f"{{{{site:{name}}}}}", base)
    path.write_text(text, encoding="utf-8")
    return path


def page_of(url: str, web: FixtureWeb) -> str:
    """'site/path' of an article URL of the fixture web."""
    parts = urlsplit(url)
    site = next(name for name, base in web.sites.items() if base.endswith(f":{parts.port}"))
    return f"{site}{parts.path}"


def labelled_pages() -> list[dict[str, Any]]:
    """The relevant pages the four sources reach, as the labels say (one per syndicated group is written)."""
    feeds = {f"{site}{path}" for site, path in (("meridian", "/feed.xml"), ("novosti", "/rss.xml"),
                                                 ("techwire", "/index.rdf"), ("mirpress", "/feed/index.xml"))}
    return [e for e in load_expected() if e["relevant"] and not e["robots_disallowed"] and not e["amp_of"]
            and any(f"{e['site']}{via}" in feeds for via in e["discovered_via"])]


def add_round2(site_root: Path) -> None:
    meridian = site_root / "meridian"
    for name, path in (("uganda.html", UGANDA), ("turkey-lift.html", TURKEY_LIFT)):
        target = meridian / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROUND2 / name, target)
    feed = meridian / "feed.xml"
    text = feed.read_text(encoding="utf-8")
    head, sep, tail = text.partition("</lastBuildDate>\n")
    feed.write_text(head + sep + (ROUND2 / "feed-items.xml").read_text(encoding="utf-8") + tail, encoding="utf-8")


@pytest.fixture(scope="module")
def rounds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("events-e2e")
    site_root = tmp / "site"
    shutil.copytree(default_site_root(), site_root)
    with FixtureWeb(site_root) as web, WebhookReceiver(SECRET) as receiver:
        sources = demo_sources(web, tmp / "sources.toml")
        settings = {"EVENTS_FILE": str(tmp / "events.jsonl"), "ALERT_WEBHOOKS": receiver.url,
                    "ALERT_WEBHOOK_SECRET": SECRET}
        args = ("-a", f"sources={sources}", "-a", f"source={','.join(SOURCES)}")
        first = run_crawl(tmp, *args, settings=settings)
        events_1 = latest_events(tmp / "events.jsonl")
        alerts_1 = list(receiver.deliveries)
        add_round2(site_root)
        second = run_crawl(tmp, *args, settings=settings)
        yield {"tmp": tmp, "web": web, "first": first, "second": second, "events_1": events_1,
               "events": latest_events(tmp / "events.jsonl"), "alerts_1": alerts_1,
               "alerts_2": receiver.deliveries[len(alerts_1):]}


def test_round_one_matches_the_labels(rounds: dict[str, Any]) -> None:
    first, web = rounds["first"], rounds["web"]
    assert first.returncode == 0, first.log[-3000:]
    crawled = {page_of(r["canonical_url"], web) for r in first.records}
    labels = [dict(e, id=f"{e['site']}{e['path']}", url=e["path"]) for e in labelled_pages()]
    labels = [e for e in labels if e["id"] in crawled]
    assert len(labels) >= 15
    expected = cluster(sorted((ArticleRef.from_record(e) for e in labels), key=lambda a: a.date))
    events = rounds["events_1"]
    predicted = {page_of(a["url"], web): e["event_id"] for e in events for a in e["articles"]}
    scores = pairwise_scores({a: e.event_id for e in expected for a in e.article_ids}, predicted)
    assert scores.precision == 1.0 and scores.recall == 1.0, scores
    assert all(event_errors(e) == [] for e in events)
    by_key = {(e["country"], e["status"], e["action"]): e for e in events}
    threat = by_key["RU", "announced", "threat"]
    dns = by_key["RU", "in_force", "registry_removal"]
    assert threat["platforms"] == dns["platforms"] == ["WhatsApp"]
    assert threat["related_event_ids"] == [dns["event_id"]] and dns["related_event_ids"] == [threat["event_id"]]
    iran = by_key["IR", "lifted", "unblock"]
    assert sorted(page_of(a["url"], web).split("/")[0] for a in iran["articles"]) == ["meridian", "mirpress"]
    assert by_key["TR", "in_force", "block"]["platforms"] == ["Instagram"]
    assert rounds["first"].stats["blockradar/events/new_event"] == len(events)


def test_round_two_adds_one_event_and_lifts_one(rounds: dict[str, Any]) -> None:
    second, web = rounds["second"], rounds["web"]
    assert second.returncode == 0, second.log[-3000:]
    assert sorted(page_of(r["canonical_url"], web) for r in second.records) == [f"meridian{TURKEY_LIFT}",
                                                                                f"meridian{UGANDA}"]
    before = {e["event_id"]: e for e in rounds["events_1"]}
    after = {e["event_id"]: e for e in rounds["events"]}
    (new_id,) = set(after) - set(before)
    uganda = after[new_id]
    assert (uganda["country"], uganda["status"], uganda["platforms"]) == ("UG", "in_force", ["Facebook", "WhatsApp"])
    changed = [i for i in before if after[i]["status"] != before[i]["status"]]
    assert len(changed) == 1
    turkey = after[changed[0]]
    assert (turkey["country"], turkey["status"], turkey["action"]) == ("TR", "lifted", "block")
    assert turkey["title"] == "Turkey lifts Instagram ban after Meta agrees to remove content"
    assert turkey["version"] == before[turkey["event_id"]]["version"] + 1


def test_one_alert_per_new_event_and_status_change(rounds: dict[str, Any]) -> None:
    first, second = rounds["alerts_1"], rounds["alerts_2"]
    assert len(first) == len(rounds["events_1"]) and {d.payload["type"] for d in first} == {"new_event"}
    assert sorted((d.payload["type"], d.payload["event"]["country"], d.payload["status"]) for d in second) == [
        ("new_event", "UG", "in_force"), ("status_change", "TR", "lifted")]
    keys = [d.headers["X-Blockradar-Delivery"] for d in first + second]
    assert len(keys) == len(set(keys))
    assert all(d.signature_ok for d in first + second)
    assert rounds["second"].stats["blockradar/alerts/sent"] == 2


@needs_chromium
def test_the_report_shows_the_events(rounds: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert CHROMIUM is not None
    tmp: Path = rounds["tmp"]
    assert main(["report", "--events", str(tmp / "events.jsonl"), "--output", str(tmp / "report")]) == 0
    report = tmp / "report" / "report.html"
    shot = tmp / "report" / "report.png"
    dom = chromium(report.as_uri() + "#country=TR", tmp / "profile", "--window-size=1280,1400",
                   f"--screenshot={shot}", "--dump-dom")
    page = parse(dom)
    events = rounds["events"]
    assert len(page.cards) == len(events)
    visible = {cid for cid, (hidden, _) in page.cards.items() if not hidden}
    assert visible == {f"ev-{e['event_id']}" for e in events if e["country"] == "TR"}
    assert "Turkey lifts Instagram ban after Meta agrees to remove content" in dom
    assert "Uganda" in dom  # in the country filter and the (hidden) card
    with capsys.disabled():
        print(f"\nscreenshot of the crawl's report: {shot}")
