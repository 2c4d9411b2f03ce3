"""The ``blockradar`` command: extract saved pages, run the offline demo (and, later, the daemon)."""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scrapy.http import HtmlResponse

from crawler.extract import NotAnArticle, PageHints, extract_article
from crawler.extract.metadata import page_metadata
from crawler.extract.page import parse_html
from crawler.items import OUTPUT_FIELDS, Article
from crawler.normalize import normalize_article


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
        text = text.replace("{{site:%s}}" % name, base)
    target.write_text(text, encoding="utf-8")
    return target


def cmd_demo(args: argparse.Namespace) -> int:
    from crawler.demo.server import FixtureWeb  # noqa: PLC0415 - only the demo serves the fixture web

    out_dir = Path(args.output or tempfile.mkdtemp(prefix="blockradar-demo-"))
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
