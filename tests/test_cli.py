"""The `blockradar` command: extract on saved pages, and the offline demo."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crawler.cli import main
from crawler.demo.server import default_site_root

SITE = default_site_root()
REPO = Path(__file__).parent.parent


def test_extract_prints_one_record_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          expected: list[dict[str, Any]]) -> None:
    want = next(e for e in expected if e["site"] == "novosti" and not e["robots_disallowed"])
    page = SITE / "novosti" / want["path"].lstrip("/")
    packed = tmp_path / "page.html.gz"
    packed.write_bytes(gzip.compress(page.read_bytes()))  # windows-1251, declared only in <meta>
    other = next(e for e in expected if e["site"] == "dailyglobe")
    plain = SITE / "dailyglobe" / other["path"].lstrip("/") / "index.html"
    code = main(["extract", "--url", "https://novosti.example" + want["path"], str(packed)])
    assert code == 0
    code = main(["extract", str(plain)])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["source_file"] == str(packed)
    assert first["title"] == want["title"]
    assert first["language"] == "ru"
    assert first["url"] == "https://novosti.example" + want["path"]
    assert first["canonical_url"].startswith("https://novosti.example/")
    assert second["title"] == other["title"]
    assert second["source_file"] == str(plain)


def test_extract_reports_bad_files_and_goes_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><p>Hello</p></body></html>", encoding="utf-8")
    broken = tmp_path / "broken.html.gz"
    broken.write_bytes(b"\x1f\x8b not gzip at all")
    good = next((SITE / "techwire" / "news").rglob("*.html"))
    code = main(["extract", str(empty), str(broken), str(tmp_path / "missing.html"), str(good)])
    captured = capsys.readouterr()
    assert code == 1
    assert len(captured.out.splitlines()) == 1
    errors = captured.err.splitlines()
    assert len(errors) == 3
    assert errors[0].startswith(f"error: {empty}: no article text")
    assert errors[1].startswith(f"error: {broken}: cannot read")
    assert errors[2].startswith(f"error: {tmp_path / 'missing.html'}: cannot read")


@pytest.mark.slow
def test_demo_serves_crawls_and_says_where_the_output_is(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    # a relative --output, as `make demo` gives it
    proc = subprocess.run([sys.executable, "-m", "crawler.cli", "demo", "--output", "output/demo"],
                          capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    output = tmp_path / "output" / "demo" / "articles.jsonl"
    assert f"articles written to {output}" in proc.stdout
    records = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    # the relevant articles of the fixture web (32 labelled relevant; syndicated copies written once)
    assert len(records) >= 25
    assert len({r["language"] for r in records}) >= 7
    assert all(r["relevance"] >= 0.5 and r["actions"] for r in records)
