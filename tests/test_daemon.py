"""The real daemon process against a copy of the fixture web on 127.0.0.1, with intervals of a few seconds."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil
import pytest

from crawler.demo.server import FixtureWeb, default_site_root
from crawler.output import append_records, day_file, read_new
from crawler.state import open_state

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from crawler.state.base import RunRecord

pytestmark = pytest.mark.slow
REPO = Path(__file__).parent.parent

NEW_ARTICLE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | TechWire</title>
<meta property="og:type" content="article"><meta property="og:title" content="{title}">
<meta property="article:published_time" content="{date}T08:00:00Z"></head>
<body><header><nav><a href="/">TechWire</a></nav></header>
<article><h1>{title}</h1><p class="byline">By Test Reporter</p>
<p>{country_adj} telecommunications regulator ordered internet providers on {weekday} to block access to {platform}
nationwide, saying the service had ignored {count} official demands to delete content that the agency considers
unlawful. Users reported that the {platform} application stopped loading on every major mobile network within hours.</p>
<p>The regulator said in a statement that the block would remain in force until the company appointed a local
representative and complied with the takedown orders. Digital rights groups called the decision disproportionate
and warned that it cuts off millions of people from a service they rely on for work and family contact.</p>
<p>Measurements from independent observers confirmed that connections to {platform} servers were being reset by
equipment installed at the country's largest operators, a method seen in earlier blocking campaigns.</p>
</article><footer>TechWire</footer></body></html>
"""


SECOND_BODY = """<p>{country_adj} communications ministry confirmed on {weekday} that access to {platform} had been cut off on
all fixed and mobile networks, two days after the messaging service refused a court order to hand over data about
{count} opposition activists.</p>
<p>A spokesman said the measure was temporary and would be reviewed by a parliamentary commission next month. Opposition
deputies said the order was the latest step in a months-long campaign against independent communication tools, and
urged residents to keep using encrypted services through virtual private networks.</p>
<p>Shop owners in the capital told reporters that they had lost contact with customers overnight, while the country's
largest bank said it had moved its customer support to its own application.</p>"""


def add_article(site: Path, slug: str, title: str, platform: str, country_adj: str, count: int,
                body: str | None = None) -> str:
    """Publish a new article on the copied techwire site: its page and a feed item. Returns its path."""
    path = f"/news/2026/03/0{count % 9 + 1}/{slug}.html"
    page = site / path.lstrip("/")
    page.parent.mkdir(parents=True, exist_ok=True)
    html = NEW_ARTICLE
    if body is not None:  # a story of its own, not a near-duplicate of the first
        start, end = html.index("<p>{country_adj}"), html.index("</article>")
        html = html[:start] + body + html[end:]
    page.write_text(html.format(title=title, date="2026-03-01", platform=platform, country_adj=country_adj,
                                weekday="Monday", count=count), encoding="utf-8")
    feed = site / "index.rdf"
    text = feed.read_text(encoding="utf-8")
    item = (f'<item rdf:about="{{{{base}}}}{path}"><title>{title}</title><link>{{{{base}}}}{path}</link>'
            "<dc:date>2026-03-01T08:00:00Z</dc:date></item>\n")
    text = text.replace("</rdf:RDF>", item + "</rdf:RDF>")
    feed.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def site_copy(tmp_path: Path) -> Iterator[tuple[FixtureWeb, Path]]:
    root = tmp_path / "web"
    shutil.copytree(default_site_root(), root)
    with FixtureWeb(root) as web:
        yield web, root


def sources_file(web: FixtureWeb, path: Path, extra: str = "") -> Path:
    path.write_text(
        "[defaults]\ninterval = \"4s\"\njitter = \"1s\"\n"
        f'[[sources]]\nname = "techwire"\nurl = "{web.url("techwire", "/index.rdf")}"\n'
        f'[[sources]]\nname = "meridian"\nurl = "{web.url("meridian", "/feed.xml")}"\n' + extra,
        encoding="utf-8",
    )
    return path


class DaemonProcess:
    def __init__(self, sources: Path, output: Path, *settings: str) -> None:
        self.output = output
        command = [sys.executable, "-m", "crawler.cli", "daemon", "--sources", str(sources), "--output", str(output),
                   "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DAEMON_STARTUP_SPREAD=1", "-s", "DAEMON_JITTER=0",
                   "-s", "DAEMON_SHUTDOWN_GRACE=5", "-s", "DAEMON_KILL_GRACE=5", "-s", "RETRY_TIMES=0"]
        for setting in settings:
            command += ["-s", setting]
        self.log = output.parent / f"daemon-{time.monotonic_ns()}.log"
        self.log_handle = self.log.open("wb")
        self.process = subprocess.Popen(command, stdout=self.log_handle, stderr=subprocess.STDOUT, cwd=output.parent,
                                        env=dict(os.environ, PYTHONPATH=str(REPO)))

    def runs(self, source: str | None = None) -> list[RunRecord]:
        store = open_state(f"sqlite:///{self.output / 'state.db'}")
        try:
            return store.runs(source)
        finally:
            store.close()

    def finished_runs(self, source: str) -> list[RunRecord]:
        return [r for r in self.runs(source) if r.status != "running"]

    def stop(self, timeout: float = 60) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout)
        self.log_handle.close()
        return code

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def records(output: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in sorted(output.glob("articles-*.jsonl")):
        lines = path.read_bytes().splitlines()
        found.extend(json.loads(line) for line in lines)  # every line must be valid JSON
        assert path.read_bytes().endswith(b"\n")
    return found


def test_rounds_restart_and_clean_shutdown(site_copy: tuple[FixtureWeb, Path], tmp_path: Path) -> None:
    web, root = site_copy
    output = tmp_path / "out"
    sources = sources_file(web, tmp_path / "sources.toml")
    daemon = DaemonProcess(sources, output)
    try:
        wait_for(lambda: len(daemon.finished_runs("techwire")) >= 1 and len(daemon.finished_runs("meridian")) >= 1,
                 90, "a first round")
        first = records(output)
        assert first, daemon.text()[-3000:]
        new_one = add_article(root / "techwire", "atlantis-blocks-signal", "Atlantis blocks Signal messenger",
                              "Signal", "Atlantis's", 3)
        wait_for(lambda: any(r["url"].endswith(new_one) for r in records(output)), 90, "the new article")
        rounds = len(daemon.finished_runs("techwire"))
        wait_for(lambda: len(daemon.finished_runs("techwire")) >= rounds + 2, 90, "two more rounds")
    finally:
        code = daemon.stop()
    assert code == 0, daemon.text()[-3000:]
    assert "Daemon stopped" in daemon.text()
    after_first_life = records(output)
    ids = [r["id"] for r in after_first_life]
    assert len(ids) == len(set(ids)), "a record was written twice"
    assert sum(r["url"].endswith(new_one) for r in after_first_life) == 1
    assert all(run.status == "ok" for run in daemon.runs()), [(r.source, r.status) for r in daemon.runs()]

    # While the daemon is down a new article appears; after the restart it is written once, nothing else again.
    later = add_article(root / "techwire", "borduria-cuts-off-viber", "Borduria cuts off Viber after data dispute",
                        "Viber", "Borduria's", 5, body=SECOND_BODY)
    runs_before = len(daemon.runs())
    restarted = DaemonProcess(sources, output)
    try:
        wait_for(lambda: any(r["url"].endswith(later) for r in records(output)), 90, "the article published while down")
        wait_for(lambda: len(restarted.runs()) >= runs_before + 4, 90, "rounds after the restart")
    finally:
        assert restarted.stop() == 0
    final = records(output)
    ids = [r["id"] for r in final]
    assert len(ids) == len(set(ids))
    assert len(final) == len(after_first_life) + 1


def crawl_children(daemon: DaemonProcess) -> list[psutil.Process]:
    return [p for p in psutil.Process(daemon.process.pid).children(recursive=True)
            if "crawl" in " ".join(p.cmdline())]


def test_killed_crawl_is_recorded_and_the_next_run_catches_up(site_copy: tuple[FixtureWeb, Path],
                                                              tmp_path: Path) -> None:
    web, _ = site_copy
    output = tmp_path / "out"
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[sources]]\nname = "meridian"\nurl = "{web.url("meridian", "/feed.xml")}"\ninterval = "3s"\n',
                       encoding="utf-8")
    web.latency = 0.5  # slow enough to be caught mid-crawl
    daemon = DaemonProcess(sources, output, "CONCURRENT_REQUESTS_PER_DOMAIN=1")
    try:
        wait_for(lambda: bool(crawl_children(daemon)), 60, "a crawl to start")
        time.sleep(2.0)
        for child in crawl_children(daemon):
            child.kill()
        wait_for(lambda: any(r.status == "killed" for r in daemon.runs("meridian")), 60, "the killed run")
        web.latency = 0.0
        wait_for(lambda: any(r.status == "ok" for r in daemon.runs("meridian")), 90, "a successful run after it")
    finally:
        assert daemon.stop() == 0
    written = records(output)
    assert written, daemon.text()[-3000:]
    ids = [r["id"] for r in written]
    assert len(ids) == len(set(ids))
    statuses = [r.status for r in reversed(daemon.runs("meridian"))]
    assert statuses.index("killed") < statuses.index("ok")


def test_status_shows_failing_and_silent_sources(site_copy: tuple[FixtureWeb, Path], tmp_path: Path) -> None:
    web, root = site_copy
    output = tmp_path / "out"
    sources = sources_file(web, tmp_path / "sources.toml")
    daemon = DaemonProcess(sources, output, "STATUS_SILENT_AFTER=2", "CONDITIONAL_GET_ENABLED=False")
    try:
        wait_for(lambda: len(daemon.finished_runs("techwire")) >= 1 and len(daemon.finished_runs("meridian")) >= 1,
                 90, "a first round")
        (root / "meridian" / "feed.xml").unlink()  # the feed disappears: 404
        feed = root / "techwire" / "index.rdf"  # the feed is still there but lists nothing any more
        text = feed.read_text(encoding="utf-8")
        feed.write_text(text[: text.index("<item")] + "</rdf:RDF>\n", encoding="utf-8")
        rounds = len(daemon.finished_runs("techwire"))
        wait_for(lambda: len(daemon.finished_runs("techwire")) >= rounds + 2
                 and len(daemon.finished_runs("meridian")) >= 3, 90, "two rounds after the change")
    finally:
        assert daemon.stop() == 0
    proc = subprocess.run([sys.executable, "-m", "crawler.cli", "status", "--output", str(output), "--json",
                           "-s", "STATUS_SILENT_AFTER=2"], capture_output=True, text=True, check=True,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    health = {row["source"]: row for row in json.loads(proc.stdout)}
    assert health["meridian"]["health"] == "failing"
    assert health["meridian"]["consecutive_failures"] >= 2
    assert health["techwire"]["health"] == "silent"
    assert health["techwire"]["items_24h"] > 0
    table = subprocess.run([sys.executable, "-m", "crawler.cli", "status", "--output", str(output),
                            "-s", "STATUS_SILENT_AFTER=2"], capture_output=True, text=True, check=True,
                           env=dict(os.environ, PYTHONPATH=str(REPO))).stdout
    assert "failing" in table and "silent" in table and table.splitlines()[0].startswith("SOURCE")


def test_reader_reads_only_what_is_new(tmp_path: Path) -> None:
    append_records(tmp_path, [b'{"id": "a"}', b'{"id": "b"}'])
    path = day_file(tmp_path)
    first, offset = read_new(path, 0)
    assert [r["id"] for r in first] == ["a", "b"]
    with path.open("ab") as handle:
        handle.write(b'{"id": "c"}\n{"id": "d", "tit')  # a writer caught mid-line
    second, offset2 = read_new(path, offset)
    assert [r["id"] for r in second] == ["c"]
    assert read_new(path, offset2) == ([], offset2)
