"""The ``blockradar`` command: extract saved pages, run the offline demo (and, later, the daemon)."""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from scrapy.http import HtmlResponse
from scrapy.settings import Settings

from crawler.events.cli import add_commands as add_event_commands
from crawler.extract import NotAnArticle, PageHints, extract_article
from crawler.extract.metadata import page_metadata
from crawler.extract.page import parse_html
from crawler.items import OUTPUT_FIELDS, Article
from crawler.normalize import normalize_article
from crawler.sources import SourcesError, load_sources
from crawler.state import open_state


def _settings_env() -> dict[str, str]:
    """Environment for a `scrapy` subprocess that uses this package's settings wherever it runs."""
    env = dict(os.environ)
    env["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"
    return env


def process_article(article: Article) -> Article:
    """The item pipeline's processing steps, outside a crawl (used by ``extract``)."""
    return normalize_article(article)


def read_page(path: Path, url: str | None) -> tuple[str, str]:
    """Decoded HTML of a saved page (gzip accepted) and the URL to report: --url, else the page's canonical, else
    a file:// URI. The charset is found as in a crawl (BOM, <meta charset>, then detection)."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    placeholder = url or "http://localhost/"
    text = HtmlResponse(url=placeholder, body=data).text
    if url:
        return text, url
    tree = parse_html(text)
    canonical = page_metadata(tree, placeholder).canonical if tree is not None else ""
    return text, canonical if canonical.startswith(("http://", "https://")) else path.resolve().as_uri()


def cmd_extract(args: argparse.Namespace) -> int:
    failed = 0
    for name in args.files:
        path = Path(name)
        try:
            html, url = read_page(path, args.url)
            article = process_article(extract_article(html, url, PageHints(source="file", language=args.language or "")))
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            print(f"error: {path}: cannot read: {exc}", file=sys.stderr)
            failed += 1
            continue
        except NotAnArticle as exc:
            print(f"error: {path}: {exc.reason}", file=sys.stderr)
            failed += 1
            continue
        record: dict[str, object] = {name: getattr(article, name) for name in OUTPUT_FIELDS}
        record["source_file"] = str(path)
        print(json.dumps(record, ensure_ascii=False), flush=True)
    return 1 if failed else 0


def _demo_sources(web_sites: dict[str, str], template: Path, target: Path) -> Path:
    text = template.read_text(encoding="utf-8")
    for name, base in web_sites.items():
        text = text.replace(f"{{{{site:{name}}}}}", base)
    target.write_text(text, encoding="utf-8")
    return target


def cmd_demo(args: argparse.Namespace) -> int:
    from crawler.demo.server import FixtureWeb  # noqa: PLC0415 - only the demo serves the fixture web

    # absolute: the crawl runs in this directory, and a relative path would be read from there again
    out_dir = Path(args.output or tempfile.mkdtemp(prefix="blockradar-demo-")).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / "articles.jsonl"
    with FixtureWeb() as web:
        print(f"Serving the fixture news web on 127.0.0.1: {', '.join(f'{n} {u}' for n, u in web.sites.items())}")
        sources = _demo_sources(web.sites, Path(__file__).parent / "demo" / "sources.toml", out_dir / "demo-sources.toml")
        command = [
            sys.executable, "-m", "scrapy", "crawl", "news",
            "-a", f"sources={sources}",
            "-O", str(output),
            "-s", f"STATE_URL=sqlite:///{out_dir / 'demo-state.db'}",
            "-s", f"LOG_LEVEL={args.log_level}",
            "-s", "AUTOTHROTTLE_ENABLED=False",
            "-s", f"EVENTS_FILE={out_dir / 'events.jsonl'}",
        ]
        for setting in args.set or []:
            command += ["-s", setting]
        started = time.monotonic()
        result = subprocess.run(command, env=_settings_env(), cwd=out_dir, check=False)
    if result.returncode != 0:
        print(f"error: the demo crawl failed (exit status {result.returncode})", file=sys.stderr)
        return result.returncode
    records = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines() if line.strip()]
    print(f"\n{len(records)} articles written to {output} in {time.monotonic() - started:.1f} s. A few of them:")
    for record in records[:8]:
        print(f"  [{record['language']}] {record['published'] or '(no date)':25.25} {record['title'][:80]}")
    print(f"\nRead them with: head -n 1 {output} | python -m json.tool")
    _demo_events(out_dir)
    return 0


def _demo_events(out_dir: Path) -> None:
    """The demo's block events: how many, and the report page (crawler/events/)."""
    from crawler.events.jsonl import latest_events  # noqa: PLC0415
    from crawler.events.report import write_report  # noqa: PLC0415

    events_file = out_dir / "events.jsonl"
    events = latest_events(events_file) if events_file.is_file() else []
    report = write_report(events, out_dir)
    print(f"{len(events)} block events in {events_file}; open {report} in a browser, or run: "
          f"blockradar events --events {events_file}")


def _settings(overrides: list[str] | None) -> Settings:
    """crawler.settings with the -s NAME=VALUE overrides (checked: one line on a bad one)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for item in overrides or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"error: -s {item!r}: expected NAME=VALUE")
        settings.set(name, value, priority="cmdline")
    return settings


def _setup_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s [%(name)s] %(levelname)s: %(message)s", stream=sys.stderr)


def _default_state(output: Path, state: str | None) -> str:
    return state or f"sqlite:///{(output / 'state.db').resolve()}"


def cmd_daemon(args: argparse.Namespace) -> int:
    from crawler.daemon import Daemon, DaemonConfig  # noqa: PLC0415 - APScheduler is only needed here
    from crawler.runner import CrawlRunner, RunnerConfig  # noqa: PLC0415

    _setup_logging(args.log_level)
    settings = _settings(args.set)
    try:
        sources = load_sources(args.sources)
    except SourcesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    state_url = args.state or (args.redis if args.redis else _default_state(output, None))
    try:
        store = open_state(state_url)
        daemon_config = DaemonConfig(
            max_crawls=settings.getint("DAEMON_MAX_CRAWLS"),
            jitter=settings.getint("DAEMON_JITTER"),
            misfire_grace=settings.getint("DAEMON_MISFIRE_GRACE"),
            startup_spread=settings.getfloat("DAEMON_STARTUP_SPREAD"),
            shutdown_grace=settings.getfloat("DAEMON_SHUTDOWN_GRACE"),
        )
        runner_config = RunnerConfig(
            sources_file=Path(args.sources).resolve(),
            output_dir=output.resolve(),
            state_url=state_url,
            settings=[f"EVENTS_FILE={output.resolve() / 'events.jsonl'}", *(args.set or [])],  # a -s EVENTS_FILE wins
            timeout=settings.getfloat("DAEMON_CRAWL_TIMEOUT"),
            kill_grace=settings.getfloat("DAEMON_KILL_GRACE"),
            preload=settings.getbool("DAEMON_PRELOAD"),
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if daemon_config.max_crawls < 1:
        print("error: DAEMON_MAX_CRAWLS must be at least 1", file=sys.stderr)
        return 2
    runner: Any = CrawlRunner(runner_config, store)
    if args.redis:
        from crawler.distributed.enqueue import EnqueueRunner  # noqa: PLC0415 - needs the [distributed] extra

        runner = EnqueueRunner(args.redis, settings.get("REDIS_KEY_PREFIX"), store)
    try:
        return Daemon(sources, runner, store, daemon_config).run()
    finally:
        store.close()


def cmd_worker(args: argparse.Namespace) -> int:
    """Replace this process with a `scrapy crawl news-worker` on the shared queue (signals reach Scrapy directly)."""
    import redis  # noqa: PLC0415 - needs the [distributed] extra

    _setup_logging("INFO")
    output = Path(args.output).resolve()
    output.mkdir(parents=True, exist_ok=True)
    client = redis.Redis.from_url(args.redis, socket_connect_timeout=5)
    delay = 0.5
    while True:  # wait for Redis rather than fail when the worker starts first
        try:
            client.ping()
            break
        except redis.ConnectionError as exc:
            logging.getLogger("blockradar.worker").warning("Redis at %s unreachable (%s): retrying in %.1f s",
                                                           args.redis, exc, delay)
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
    command = [sys.executable, "-m", "scrapy", "crawl", "news-worker",
               "-s", f"REDIS_URL={args.redis}", "-s", f"STATE_URL={args.state or args.redis}",
               "-s", f"OUTPUT_DIR={output}", "-s", f"EVENTS_FILE={output / 'events.jsonl'}"]
    for setting in args.set or []:
        command += ["-s", setting]
    os.environ["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"
    os.execv(sys.executable, command)
    return 0  # not reached


def cmd_status(args: argparse.Namespace) -> int:
    from crawler.status import format_table, status_table  # noqa: PLC0415

    settings = _settings(args.set)
    names: list[str] = []
    if args.sources:
        try:
            names = [s.name for s in load_sources(args.sources)]
        except SourcesError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    state_url = args.state or (_default_state(Path(args.output), None) if args.output else settings.get("STATE_URL"))
    try:
        store = open_state(state_url or "")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        rows = status_table(store, names, settings.getint("STATUS_FAILING_AFTER"), settings.getint("STATUS_SILENT_AFTER"))
    finally:
        store.close()
    if args.json:
        print(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
    else:
        print(format_table(rows) if rows else "No runs recorded yet.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="blockradar", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    extract = sub.add_parser("extract", help="extract articles from saved HTML files (gzip accepted), one JSON record a file")
    extract.add_argument("--url", help="the URL the page was fetched from (default: its canonical link)")
    extract.add_argument("--language", help="language hint (ISO 639-1) for short pages")
    extract.add_argument("files", nargs="+", metavar="FILE")
    extract.set_defaults(func=cmd_extract)

    demo = sub.add_parser("demo", help="serve the bundled fixture news web on 127.0.0.1 and crawl it (no internet needed)")
    demo.add_argument("--output", metavar="DIR", help="where to write articles.jsonl (default: a new temporary directory)")
    demo.add_argument("--log-level", default="WARNING", help="log level of the crawl (default: WARNING)")
    demo.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="a Scrapy setting for the crawl")
    demo.set_defaults(func=cmd_demo)

    daemon = sub.add_parser("daemon", help="run every source on its schedule until SIGTERM/SIGINT")
    daemon.add_argument("--sources", required=True, metavar="FILE", help="the sources file")
    daemon.add_argument("--output", required=True, metavar="DIR", help="where articles-YYYY-MM-DD.jsonl files go")
    daemon.add_argument("--state", metavar="URL", help="state store (default: sqlite under DIR/state.db; "
                        "the Redis URL with --redis)")
    daemon.add_argument("--redis", metavar="URL", help="enqueue due sources for `blockradar worker`s instead of "
                        "crawling them here")
    daemon.add_argument("--log-level", default="INFO")
    daemon.add_argument("-s", "--set", action="append", metavar="NAME=VALUE",
                        help="a setting passed to every crawl (DAEMON_* settings configure the daemon)")
    daemon.set_defaults(func=cmd_daemon)

    worker = sub.add_parser("worker", help="a distributed worker: crawl what the daemon enqueues in Redis")
    worker.add_argument("--redis", required=True, metavar="URL", help="redis://host:port/db of the shared queue")
    worker.add_argument("--output", required=True, metavar="DIR", help="where articles-YYYY-MM-DD.jsonl files go")
    worker.add_argument("--state", metavar="URL", help="state store (default: the Redis URL)")
    worker.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="a Scrapy setting")
    worker.set_defaults(func=cmd_worker)

    status = sub.add_parser("status", help="per source: last run, result, items, failures, health")
    status.add_argument("--state", metavar="URL", help="state store (default: STATE_URL, or DIR/state.db with --output)")
    status.add_argument("--output", metavar="DIR", help="the daemon's output directory (its state.db is read)")
    status.add_argument("--sources", metavar="FILE", help="list these sources even if they never ran")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument("-s", "--set", action="append", metavar="NAME=VALUE")
    status.set_defaults(func=cmd_status)

    add_event_commands(sub)  # events, report: crawler/events/cli.py
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
