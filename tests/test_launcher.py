"""The daemon's crawls forked warm from the forkserver (crawler.launcher, crawler.preload), against the fixture web."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import psutil
import pytest
from scrapy.settings import Settings

import crawler.settings as project_settings
from crawler.demo.server import FixtureWeb
from crawler.launcher import COLD_WARNING, ForkedCrawl, forkserver_available, start_crawl
from crawler.preload import components
from crawler.runner import CrawlRunner, RunnerConfig
from crawler.sources import load_sources
from crawler.state import open_state

if TYPE_CHECKING:
    from collections.abc import Iterator

    from crawler.sources import Source
    from crawler.state.base import RunRecord, StateStore

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not forkserver_available(), reason="no forkserver start method on this platform"),
]
REPO = Path(__file__).parent.parent


@pytest.fixture
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb() as served:
        yield served


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    opened = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    yield opened
    opened.close()


def runner_for(web: FixtureWeb, tmp_path: Path, name: str, store: StateStore, **config: object) -> CrawlRunner:
    sources = tmp_path / f"{name}.toml"
    sources.write_text(f'[[sources]]\nname = "meridian"\nurl = "{web.url("meridian", "/feed.xml")}"\n',
                       encoding="utf-8")
    output = tmp_path / name
    state = f"sqlite:///{tmp_path / name}-state.db"
    settings = ["AUTOTHROTTLE_ENABLED=False", "RETRY_TIMES=0", f"EVENTS_FILE={output / 'events.jsonl'}"]
    return CrawlRunner(RunnerConfig(sources.resolve(), output.resolve(), state, settings, **config), store)  # type: ignore[arg-type]


def written(output: Path) -> list[dict[str, object]]:
    return [json.loads(line) for path in sorted(output.glob("articles-*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


def run_in_background(runner: CrawlRunner, source: Source) -> tuple[threading.Thread, list[RunRecord]]:
    """``runner.run(source)`` in a thread, once its crawl has started; the run lands in the list when it ends."""
    runs: list[RunRecord] = []
    waiting = threading.Thread(target=lambda: runs.append(runner.run(source)))
    waiting.start()
    deadline = time.monotonic() + 30
    while not runner.running():
        assert time.monotonic() < deadline, "the crawl never started"
        time.sleep(0.05)
    return waiting, runs


def test_a_forked_crawl_writes_what_a_subprocess_writes(web: FixtureWeb, tmp_path: Path, store: StateStore) -> None:
    records = {}
    for preload in (True, False):
        name = "forked" if preload else "subprocess"
        runner = runner_for(web, tmp_path, name, store, preload=preload)
        source = load_sources(runner.config.sources_file)[0]
        run = runner.run(source)
        log = (tmp_path / name / "logs" / "meridian.log").read_text(encoding="utf-8")
        assert run.status == "ok", log[-3000:]
        assert run.items > 0
        assert "Spider closed (finished)" in log
        assert COLD_WARNING not in log  # the forked crawl had the preloaded modules
        records[name] = written(tmp_path / name)
        assert len(records[name]) == run.items
    key = ("url", "title", "published", "language", "platforms", "countries", "relevance")
    forked = sorted(tuple(json.dumps(r[k]) for k in key) for r in records["forked"])
    assert forked == sorted(tuple(json.dumps(r[k]) for k in key) for r in records["subprocess"])


def test_a_forked_crawl_is_a_session_of_its_own_named_for_its_source(web: FixtureWeb, tmp_path: Path) -> None:
    web.latency = 0.5  # slow enough to be looked at while it runs
    log = tmp_path / "crawl.log"
    command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"url={web.url('meridian', '/feed.xml')}",
               "-O", str(tmp_path / "out.jsonl"), "-s", f"STATE_URL=sqlite:///{tmp_path / 'state.db'}",
               "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "AUTOTHROTTLE_ENABLED=False"]
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings")
    crawl = start_crawl(command, log, env, "blockradar crawl meridian", preload=True)
    assert isinstance(crawl, ForkedCrawl)
    try:
        deadline = time.monotonic() + 30
        while "blockradar crawl meridian" not in " ".join(psutil.Process(crawl.pid).cmdline()):
            assert time.monotonic() < deadline, "the crawl never took its name"
            time.sleep(0.05)
        assert os.getsid(crawl.pid) == crawl.pid
        assert os.getpgid(crawl.pid) == crawl.pid
        assert psutil.Process(crawl.pid).cwd() == str(Path.cwd())
        with pytest.raises(subprocess.TimeoutExpired):
            crawl.wait(timeout=0.2)
        assert crawl.poll() is None
    finally:
        os.killpg(crawl.pid, 15)
    assert crawl.wait(timeout=60) == 0  # Scrapy closes gracefully on SIGTERM
    text = log.read_text(encoding="utf-8")
    assert "Spider closed (shutdown)" in text, text[-3000:]


def test_a_forked_crawl_over_its_time_is_stopped_and_recorded(web: FixtureWeb, tmp_path: Path,
                                                              store: StateStore) -> None:
    web.latency = 2.0
    runner = runner_for(web, tmp_path, "slow", store, timeout=3.0, kill_grace=3.0)
    source = load_sources(runner.config.sources_file)[0]
    started = time.monotonic()
    run = runner.run(source)
    assert run.status == "timeout"
    assert time.monotonic() - started < 30
    assert runner.running() == []
    assert not [p for p in psutil.Process().children(recursive=True) if "blockradar crawl" in " ".join(p.cmdline())]


def test_a_killed_forked_crawl_is_recorded_as_killed(web: FixtureWeb, tmp_path: Path, store: StateStore) -> None:
    web.latency = 1.0
    runner = runner_for(web, tmp_path, "killed", store)
    source = load_sources(runner.config.sources_file)[0]

    def kill_when_started() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = [p for p in psutil.Process().children(recursive=True)
                     if "blockradar crawl meridian" in " ".join(p.cmdline())]
            if found:
                time.sleep(0.5)
                found[0].kill()
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_when_started)
    killer.start()
    run = runner.run(source)
    killer.join()
    assert run.status == "killed"
    assert run.stats["returncode"] == -9


def test_the_preload_names_the_projects_components_and_not_the_disabled_ones() -> None:
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    paths = components(settings)
    for wanted in ("pipelines.classify.ClassifyPipeline", "pipelines.dedup.DedupPipeline", "crawler.downloader.Downloader",
                   "crawler.extensions.GarbageCollection", "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware"):
        assert wanted in paths
    assert not [p for p in paths if "telnet" in p.lower()]  # off in the project's settings: not even imported
    assert "scrapy.core.downloader.handlers.file.FileDownloadHandler" not in paths


def test_the_preload_warms_up_without_error_and_installs_no_reactor() -> None:
    """In a fresh interpreter: the warm-up's errors are swallowed in the forkserver, so they are looked for here."""
    code = ("import sys\nfrom scrapy.settings import Settings\nfrom scrapy.utils.misc import load_object\n"
            "import crawler.settings as s\nfrom crawler.preload import components, load_modules, warm_up\n"
            "settings = Settings(); settings.setmodule(s)\nload_modules(settings)\n"
            "for path in components(settings): load_object(path)\nwarm_up(settings)\n"
            "print('reactor' if 'twisted.internet.reactor' in sys.modules else 'no reactor')\n"
            "print('pipelines.events' in sys.modules, 'trafilatura' in sys.modules, 'dateparser' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-W", "error::DeprecationWarning:scrapy", "-c", code], capture_output=True,
                          text=True, timeout=120, cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split("\n")[:2] == ["no reactor", "True True True"]


def test_stopping_every_crawl_while_its_run_waits_for_it(web: FixtureWeb, tmp_path: Path, store: StateStore) -> None:
    """The daemon's shutdown: one thread waits for the crawl while another stops it; both read one exit status."""
    web.latency = 1.0
    runner = runner_for(web, tmp_path, "stopped", store, kill_grace=20.0)
    source = load_sources(runner.config.sources_file)[0]
    waiting, runs = run_in_background(runner, source)
    time.sleep(1.5)
    runner.stop_all()
    waiting.join(timeout=60)
    assert runs, "the run never ended"
    assert runs[0].status == "interrupted"
    assert runs[0].stats["returncode"] == 0  # Scrapy closed gracefully on SIGTERM (not 255: a status read twice)


def test_a_crawl_outlives_its_forkserver_and_its_records_are_published(web: FixtureWeb, tmp_path: Path,
                                                                       store: StateStore) -> None:
    """The forkserver killed (by the OOM killer, say) while a crawl runs: the runner waits for the crawl itself, then
    publishes what it wrote; the next crawl starts a new forkserver."""
    import multiprocessing.forkserver  # noqa: PLC0415

    web.latency = 0.3
    runner = runner_for(web, tmp_path, "orphan", store)
    source = load_sources(runner.config.sources_file)[0]
    waiting, runs = run_in_background(runner, source)
    time.sleep(0.5)
    server = multiprocessing.forkserver._forkserver._forkserver_pid  # (private: the test kills it)
    assert server
    os.kill(server, 9)
    waiting.join(timeout=120)
    assert runs, "the run never ended"
    orphaned = runs[0]
    log = (tmp_path / "orphan" / "logs" / "meridian.log").read_text(encoding="utf-8")
    assert "Spider closed (finished)" in log  # the crawl ran to its end
    assert orphaned.status == "failed"  # (its exit status is lost with the forkserver)
    assert orphaned.items > 0
    assert len(written(tmp_path / "orphan")) == orphaned.items
    web.latency = 0.0
    after = runner.run(source)
    assert after.status == "ok", (tmp_path / "orphan" / "logs" / "meridian.log").read_text(encoding="utf-8")[-2000:]
    assert multiprocessing.forkserver._forkserver._forkserver_pid not in (None, server)
