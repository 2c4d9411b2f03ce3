"""Extraction benchmark: our ``extract_article`` against trafilatura alone, on the dev halves in ../shared/bench.

Two sets, read at run time and never copied into the repository:

- ``extraction/dev``: news pages with hand-checked article bodies (``ground-truth.json``: id -> articleBody, url).
  Body metric as in the public article-extraction benchmark it comes from: ``\\w+`` tokens (of the NFC form of
  both texts), multisets of word 4-grams, per-page TP/FP/FN normalised to sum 1, precision macro-averaged over
  pages with a prediction, recall over pages with ground truth, F1 their harmonic mean.
- ``metadata/dev``: news pages with expected title, publication date, authors and body (``ground-truth.jsonl``).
  Title: exact match after Unicode NFC, invisible format characters (soft hyphen, zero-width space) removed and
  whitespace collapsed. Date: same day (in the ground truth's own offset) and, where the ground truth gives a time
  (not exactly midnight), same minute; missing = no date given. Authors: set F1 of casefolded names, macro over pages
  whose ground truth names authors.

Both extractors get the same decoded HTML string in the same run and parse it themselves; trafilatura is
``bare_extraction(html, url=url, with_metadata=True)``, every other argument at its default (metadata is on because
the title/date/author columns compare with it, and ours extracts them too). It is timed a second time with every
argument at its default (body only), and the cost ratio is printed against both. Times are wall-clock per page,
after one warm-up page.

Usage::

    python benchmarks/extraction.py [--set extraction|metadata|both] [--limit N] [--data DIR] [--show-pages]

The data directory defaults to ``../shared/bench`` next to the repository root; ``BLOCKRADAR_BENCH_DIR`` or
``--data`` override it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from trafilatura import bare_extraction
from trafilatura.settings import Document

from crawler.extract import NotAnArticle, extract_article

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "bench"
DATA_ENV = "BLOCKRADAR_BENCH_DIR"
# A page where ours loses more than this much F1 against trafilatura is listed.
WORSE_MARGIN = 0.05
# Why ours loses on pages listed so far (checked by hand; printed beside the page, nothing is special-cased).
EXPLAINED = {
    "jp-TokyoShimbun_2025_01_13": (
        "precision mode keeps two photo captions and a Japanese 'follow this category' box that default mode drops; "
        "the page has no JSON-LD articleBody to check against"
    ),
}

_TOKEN_RE = re.compile(r"\w+")
_TP_FP_FN = tuple[float, float, float]


@dataclass
class Page:
    """One benchmark page and what is expected of it."""

    page_id: str
    url: str
    html_path: Path
    body: str
    title: str | None = None
    published: str | None = None
    authors: list[str] | None = None


@dataclass
class Prediction:
    """What one extractor made of one page."""

    body: str = ""
    title: str = ""
    published: str | None = None
    authors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    body_only_seconds: float = 0.0
    """trafilatura only: the time of a second call with every argument at its default (no metadata)."""


# --- Loading -----------------------------------------------------------------------------------------------


def load_extraction_set(root: Path) -> list[Page]:
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        Page(page_id, item["url"], root / "html" / f"{page_id}.html.gz", item.get("articleBody") or "")
        for page_id, item in sorted(truth.items())
    ]


def load_metadata_set(root: Path) -> list[Page]:
    pages = []
    for line in (root / "ground-truth.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        pages.append(
            Page(
                record["id"],
                record["url"],
                root / record["html_file"],
                record.get("body") or "",
                title=record.get("title"),
                published=record.get("published"),
                authors=record.get("authors"),
            )
        )
    return pages


def read_html(path: Path) -> str:
    # The pages are stored as UTF-8 (checked); a stray bad byte must not stop the run.
    return gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")


# --- Running -----------------------------------------------------------------------------------------------


def run_ours(html: str, url: str) -> Prediction:
    start = time.perf_counter()
    try:
        article = extract_article(html, url)
    except NotAnArticle:
        return Prediction(seconds=time.perf_counter() - start)
    seconds = time.perf_counter() - start
    return Prediction(article.body, article.title, article.published, list(article.authors), seconds)


def run_trafilatura(html: str, url: str) -> Prediction:
    start = time.perf_counter()
    document = bare_extraction(html, url=url, with_metadata=True)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    bare_extraction(html, url=url)
    body_only = time.perf_counter() - start
    if not isinstance(document, Document):
        return Prediction(seconds=seconds, body_only_seconds=body_only)
    authors = [a.strip() for a in (document.author or "").split(";") if a.strip()]
    return Prediction(document.text or "", document.title or "", document.date, authors, seconds, body_only)


def run(pages: list[Page]) -> list[tuple[Page, Prediction, Prediction]]:
    if pages:  # warm-up: model loading and first-call caches are not a page's cost
        html = read_html(pages[0].html_path)
        run_ours(html, pages[0].url)
        run_trafilatura(html, pages[0].url)
    results = []
    for page in pages:
        html = read_html(page.html_path)
        results.append((page, run_ours(html, page.url), run_trafilatura(html, page.url)))
    return results


# --- Scoring -----------------------------------------------------------------------------------------------


def _shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    # NFC first: a few pages (and so their ground truth) spell letters decomposed, 'u' + combining diaeresis, which
    # \w+ splits in two; our output is NFC by contract. The same word must count as the same token either way.
    tokens = _TOKEN_RE.findall(unicodedata.normalize("NFC", text or ""))
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def body_match(true: str, pred: str) -> _TP_FP_FN:
    """TP/FP/FN over word 4-gram multisets, normalised to sum 1 so that long pages weigh as much as short ones."""
    want, got = _shingles(true), _shingles(pred)
    tp = float(sum((want & got).values()))
    fp = float(sum((got - want).values()))
    fn = float(sum((want - got).values()))
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def body_scores(matches: list[_TP_FP_FN]) -> tuple[float, float, float]:
    """Macro precision (pages with a prediction), macro recall (pages with ground truth), F1 of the two."""
    precisions = [_precision(*m) for m in matches if m[0] + m[1] > 0]
    recalls = [_recall(*m) for m in matches if m[0] + m[2] > 0]
    p = statistics.mean(precisions) if precisions else 0.0
    r = statistics.mean(recalls) if recalls else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def page_f1(match: _TP_FP_FN) -> float:
    tp, fp, fn = match
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def norm_text(value: str) -> str:
    """NFC, invisible format characters (soft hyphen, zero-width space...) removed, whitespace collapsed."""
    text = unicodedata.normalize("NFC", value or "")
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return " ".join(text.split())


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _has_time(value: datetime) -> bool:
    return (value.hour, value.minute, value.second, value.microsecond) != (0, 0, 0, 0)


def date_match(got_raw: str | None, want_raw: str) -> tuple[bool, bool | None, bool]:
    """(same day, same minute or None when the ground truth gives no time, missing)."""
    want, got = _parse(want_raw), _parse(got_raw)
    if want is None:
        return False, None, got is None
    if got is None:
        return False, (False if _has_time(want) else None), True
    if want.tzinfo is not None and got.tzinfo is not None:
        local = got.astimezone(want.tzinfo)
    else:  # a ground truth without offset is compared with the wall-clock time the page gave
        local = got.replace(tzinfo=None) if want.tzinfo is None else got.replace(tzinfo=want.tzinfo)
        want = want.replace(tzinfo=local.tzinfo)
    same_day = local.date() == want.date()
    if not _has_time(want):
        return same_day, None, False
    gave_time = got_raw is not None and ("T" in got_raw or " " in got_raw.strip())
    same_minute = gave_time and local.replace(second=0, microsecond=0) == want.replace(
        second=0, microsecond=0
    )
    return same_day, same_minute, False


def author_f1(got: list[str], want: list[str]) -> float:
    g = {norm_text(a).casefold() for a in got if a.strip()}
    w = {norm_text(a).casefold() for a in want if a.strip()}
    if not g and not w:
        return 1.0
    tp = len(g & w)
    return 2 * tp / (len(g) + len(w)) if tp else 0.0


# --- Reporting ---------------------------------------------------------------------------------------------


def _ms(values: list[float]) -> str:
    if not values:
        return "n/a"
    return f"median {1000 * statistics.median(values):6.1f} ms, mean {1000 * statistics.mean(values):6.1f} ms"


def _rate(flags: list[bool]) -> float:
    return sum(flags) / len(flags) if flags else 0.0


def report_body(
    name: str, results: list[tuple[Page, Prediction, Prediction]], summary: dict[str, Any]
) -> None:
    scored = [(page, ours, traf) for page, ours, traf in results if page.body]
    ours_m = [body_match(page.body, ours.body) for page, ours, _ in scored]
    traf_m = [body_match(page.body, traf.body) for page, _, traf in scored]
    op, orr, of1 = body_scores(ours_m)
    tp_, tr, tf1 = body_scores(traf_m)
    print(f"[{name}] body ({len(scored)} pages)")
    print(
        f"  ours        P {op:.3f}  R {orr:.3f}  F1 {of1:.3f}   empty {sum(not o.body for _, o, _ in scored)}"
    )
    print(
        f"  trafilatura P {tp_:.3f}  R {tr:.3f}  F1 {tf1:.3f}   empty {sum(not t.body for _, _, t in scored)}"
    )
    worse = [
        (page.page_id, page_f1(om), page_f1(tm))
        for (page, _, _), om, tm in zip(scored, ours_m, traf_m, strict=True)
        if page_f1(tm) - page_f1(om) > WORSE_MARGIN
    ]
    print(f"  pages where ours is worse than trafilatura by > {WORSE_MARGIN} F1: {len(worse)}")
    for page_id, o, t in sorted(worse, key=lambda w: w[1] - w[2]):
        reason = f"  ({EXPLAINED[page_id]})" if page_id in EXPLAINED else ""
        print(f"    {page_id}  ours {o:.3f}  trafilatura {t:.3f}{reason}")
    summary[f"{name}_f1"] = (of1, tf1)
    summary[f"{name}_worse"] = len(worse)
    summary[f"{name}_unexplained"] = sum(page_id not in EXPLAINED for page_id, _, _ in worse)


def report_metadata(
    results: list[tuple[Page, Prediction, Prediction]], summary: dict[str, Any], show: bool
) -> None:
    rows: dict[str, dict[str, list[Any]]] = {"ours": {}, "trafilatura": {}}
    for page, ours, traf in results:
        for name, pred in (("ours", ours), ("trafilatura", traf)):
            row = rows[name]
            if page.title:
                ok = norm_text(pred.title) == norm_text(page.title)
                row.setdefault("title", []).append(ok)
                if show and not ok and name == "ours":
                    print(f"    title  {page.page_id}: {pred.title!r} != {page.title!r}")
            if page.published:
                day, minute, missing = date_match(pred.published, page.published)
                row.setdefault("day", []).append(day)
                row.setdefault("missing", []).append(missing)
                if minute is not None:
                    row.setdefault("minute", []).append(minute)
                if show and name == "ours" and (not day or minute is False):
                    print(f"    date   {page.page_id}: {pred.published} != {page.published}")
            if page.authors:
                f1 = author_f1(pred.authors, page.authors)
                row.setdefault("authors", []).append(f1)
                if show and name == "ours" and f1 < 1:
                    print(f"    author {page.page_id}: {pred.authors} != {page.authors}")
            else:
                row.setdefault("spurious_authors", []).append(bool(pred.authors))
    print(f"[metadata] fields ({len(results)} pages)")
    print("              title  date-day  date-minute  date-missing  authors-F1")
    for name, row in rows.items():
        print(
            f"  {name:<11} {_rate(row.get('title', [])):.3f}  {_rate(row.get('day', [])):.3f}     "
            f"{_rate(row.get('minute', [])):.3f}        {_rate(row.get('missing', [])):.3f}         "
            f"{statistics.mean(row.get('authors') or [0.0]):.4f}"
        )
    mine = rows["ours"]
    print(
        f"  (pages: title {len(mine.get('title', []))}, date {len(mine.get('day', []))}, with a time "
        f"{len(mine.get('minute', []))}, authors {len(mine.get('authors', []))}; ours names authors on "
        f"{sum(mine.get('spurious_authors', []))} of {len(mine.get('spurious_authors', []))} pages without)"
    )
    summary["title"] = _rate(mine.get("title", []))
    summary["day"] = _rate(mine.get("day", []))
    summary["minute"] = _rate(mine.get("minute", []))
    summary["missing"] = _rate(mine.get("missing", []))
    summary["authors"] = statistics.mean(mine.get("authors") or [0.0])


def report_speed(results: list[tuple[Page, Prediction, Prediction]], summary: dict[str, Any]) -> None:
    ours = [o.seconds for _, o, _ in results]
    traf = [t.seconds for _, _, t in results]
    body_only = [t.body_only_seconds for _, _, t in results]
    ratio = (
        statistics.median(ours) / statistics.median(traf)
        if traf and statistics.median(traf)
        else float("nan")
    )
    ratio_body = statistics.median(ours) / statistics.median(body_only) if body_only else float("nan")
    print(f"[speed] {len(results)} pages, wall-clock per page from the decoded HTML (parsing included)")
    print(f"  ours                          {_ms(ours)}")
    print(f"  trafilatura, with metadata    {_ms(traf)}")
    print(f"  trafilatura, all defaults     {_ms(body_only)}   (body only: no title, date, authors)")
    print(f"  median ratio ours/trafilatura {ratio:.2f} (with metadata), {ratio_body:.2f} (all defaults)")
    summary["ratio"] = ratio
    summary["ratio_body"] = ratio_body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--set", choices=("extraction", "metadata", "both"), default="both")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages of each set")
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(os.environ.get(DATA_ENV) or DEFAULT_DATA),
        help=f"benchmark data directory (default ../shared/bench, or ${DATA_ENV})",
    )
    parser.add_argument("--show-pages", action="store_true", help="list every metadata field ours gets wrong")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"error: no benchmark data at {args.data} (set --data or ${DATA_ENV})", file=sys.stderr)
        return 2

    summary: dict[str, Any] = {}
    everything: list[tuple[Page, Prediction, Prediction]] = []
    if args.set in ("extraction", "both"):
        pages = load_extraction_set(args.data / "extraction" / "dev")
        results = run(pages[: args.limit] if args.limit else pages)
        report_body("extraction", results, summary)
        everything += results
    if args.set in ("metadata", "both"):
        pages = load_metadata_set(args.data / "metadata" / "dev")
        results = run(pages[: args.limit] if args.limit else pages)
        report_body("metadata", results, summary)
        report_metadata(results, summary, args.show_pages)
        everything += results
    report_speed(everything, summary)

    parts = [
        f"{name} body F1 {ours:.3f} vs {traf:.3f}"
        for name, (ours, traf) in (
            (n, summary[f"{n}_f1"]) for n in ("extraction", "metadata") if f"{n}_f1" in summary
        )
    ]
    if "title" in summary:
        parts.append(
            f"title {summary['title']:.3f}, date day {summary['day']:.3f} minute {summary['minute']:.3f} "
            f"missing {summary['missing']:.3f}, authors F1 {summary['authors']:.3f}"
        )
    worse = sum(v for k, v in summary.items() if k.endswith("_worse"))
    unexplained = sum(v for k, v in summary.items() if k.endswith("_unexplained"))
    parts.append(f"{worse} pages worse than trafilatura by > {WORSE_MARGIN} ({unexplained} unexplained)")
    parts.append(
        f"median cost {summary['ratio']:.2f}x trafilatura ({summary['ratio_body']:.2f}x its body-only call)"
    )
    print("SUMMARY ours: " + "; ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
