"""Profiles of a crawl for benchmarks/crawl.py: py-spy (sampling, little overhead, true proportions) or cProfile
(deterministic, call counts, but it inflates Python-heavy code several times more than C-heavy code).

Both reports have the same parts: the top 25 functions by cumulative and by own time, own time per component
(package or module; cProfile's builtins are charged to their callers, py-spy charges native code to the Python
frame that called it), and where an article's time goes (cumulative time of the crawl's main steps).
"""

from __future__ import annotations

import pstats
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PYSPY_RATE = 200
TOP = 25

# (label, file suffix, function name): the crawl's main steps, as cumulative entries.
BREAKDOWN = [
    ("spider: parse_article (extraction)", "spiders/news.py", "parse_article"),
    ("  extract_article", "crawler/extract/page.py", "extract_article"),
    ("    parse_html (lxml)", "crawler/extract/page.py", "parse_html"),
    ("    page_metadata (extruct JSON-LD, meta)", "crawler/extract/metadata.py", "page_metadata"),
    ("    extract_body", "crawler/extract/body.py", "extract_body"),
    ("      trafilatura_text (calls = passes)", "crawler/extract/body.py", "trafilatura_text"),
    ("        bare_extraction", "trafilatura/core.py", "bare_extraction"),
    ("        copy.deepcopy of the tree", "copy.py", "deepcopy"),
    ("      link_texts", "crawler/extract/boilerplate.py", "link_texts"),
    ("      strip_boilerplate", "crawler/extract/boilerplate.py", "strip_boilerplate"),
    ("      paragraph_chars", "crawler/extract/body.py", "paragraph_chars"),
    ("      coverage", "crawler/extract/body.py", "coverage"),
    ("    language identify", "crawler/extract/language.py", "identify"),
    ("    _choose_published", "crawler/extract/page.py", "_choose_published"),
    ("      htmldate_date", "crawler/extract/dates.py", "htmldate_date"),
    ("    ItemLoader.load_item", "itemloaders/__init__.py", "load_item"),
    ("  TextResponse.text (decode)", "scrapy/http/response/text.py", "text"),
    ("pipeline: normalize", "pipelines/normalize.py", "process_item"),
    ("pipeline: classify", "pipelines/classify.py", "process_item"),
    ("pipeline: validate", "pipelines/validate.py", "process_item"),
    ("pipeline: dedup", "pipelines/dedup.py", "process_item"),
    ("  dedup fingerprint", "crawler/dedup.py", "fingerprint"),
    ("  state remember (SQLite)", "crawler/state/sqlite.py", "remember"),
    ("feed export (item_scraped)", "scrapy/extensions/feedexport.py", "item_scraped"),
    ("discovery: parse_source", "spiders/news.py", "parse_source"),
    ("gzip: HttpCompressionMiddleware", "scrapy/downloadermiddlewares/httpcompression.py", "process_response"),
]

_Key = tuple[str, str]  # (file, function)


def pyspy() -> str | None:
    """The py-spy executable: beside this Python (a virtual environment's bin/), else on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.is_file() else shutil.which("py-spy")


def pyspy_available() -> bool:
    return pyspy() is not None


def component(filename: str) -> str:
    """The package (site-packages), project package (crawler.extract, pipelines ...) or stdlib module of a file."""
    path = filename.replace("\\", "/")
    match = re.search(r"/site-packages/([^/]+)", path)
    if match:
        return match.group(1).removesuffix(".py").split(".")[0]
    for top in ("crawler", "pipelines", "spiders"):
        marker = f"{REPO}/{top}/"
        if path.startswith(marker):
            return ".".join([top, *path[len(marker):].split("/")[:-1]])
    match = re.search(r"/lib/python3\.\d+/(?:([^/]+)/|([^/]+)\.py)", path)
    if match:
        return "stdlib:" + (match.group(1) or match.group(2))
    return "other"


def _short(filename: str) -> str:
    for marker in ("/site-packages/", str(REPO) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return re.sub(r".*/lib/python3\.\d+/", "", filename)


def _matches(key: _Key, suffix: str, name: str) -> bool:
    filename, func = key
    return filename.replace("\\", "/").endswith(suffix) and (func == name or func.endswith("." + name))


# --- running --------------------------------------------------------------------------------------------------------
def profile_command(tool: str, command: list[str], out: Path) -> list[str]:
    """``command`` (``python -m scrapy ...``) wrapped in the profiler, writing to ``out``."""
    if tool == "py-spy":
        return [pyspy() or "py-spy", "record", "--nonblocking", "--full-filenames", "-r", str(PYSPY_RATE), "-f", "raw",
                "-o", str(out), "--", *command]
    return [command[0], "-m", "cProfile", "-o", str(out), *command[1:]]


def run(tool: str, command: list[str], out: Path, log: Path, env: dict[str, str]) -> int:
    with log.open("wb") as output:
        return subprocess.run(profile_command(tool, command, out), cwd=REPO, env=env, stdout=output,
                              stderr=subprocess.STDOUT, check=False).returncode


# --- reading --------------------------------------------------------------------------------------------------------
class Profile:
    """Own and cumulative seconds (and calls, for cProfile) per function, and own seconds per component."""

    def __init__(self, tool: str, total: float, own: dict[_Key, float], cumulative: dict[_Key, float],
                 calls: dict[_Key, int], components: dict[str, float]) -> None:
        self.tool, self.total, self.own, self.cumulative = tool, total, own, cumulative
        self.calls, self.components = calls, components

    @classmethod
    def from_pyspy(cls, path: Path) -> Profile:
        own: Counter[_Key] = Counter()
        cumulative: Counter[_Key] = Counter()
        components: Counter[str] = Counter()
        total = 0
        frame_re = re.compile(r"^(.*) \((.*):\d+\)$")
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            samples = int(count)
            total += samples
            keys = []
            for frame in stack.split(";"):
                match = frame_re.match(frame)
                keys.append((match.group(2), match.group(1)) if match else ("", frame))
            own[keys[-1]] += samples
            components[component(keys[-1][0])] += samples
            for key in set(keys):
                cumulative[key] += samples
        rate = float(PYSPY_RATE)
        return cls("py-spy", total / rate, {k: v / rate for k, v in own.items()},
                   {k: v / rate for k, v in cumulative.items()}, {}, {k: v / rate for k, v in components.items()})

    @classmethod
    def from_cprofile(cls, path: Path) -> Profile:
        stats = pstats.Stats(str(path))
        table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
        own: dict[_Key, float] = {}
        cumulative: dict[_Key, float] = {}
        calls: dict[_Key, int] = {}
        components: Counter[str] = Counter()
        for (filename, _line, func), (_, ncalls, tottime, cumtime, callers) in table.items():
            key = (filename, func) if filename != "~" else ("~", func)
            own[key] = own.get(key, 0.0) + tottime
            cumulative[key] = cumulative.get(key, 0.0) + cumtime
            calls[key] = calls.get(key, 0) + ncalls
            if filename != "~":
                components[component(filename)] += tottime
                continue
            # A builtin (lxml, re, sqlite3 ...) is charged to the packages that called it, pro rata.
            edges = sum(edge[2] for edge in callers.values())
            if edges <= 0:
                components["builtins"] += tottime
                continue
            for caller, edge in callers.items():
                components[component(caller[0]) if caller[0] != "~" else "builtins"] += tottime * edge[2] / edges
        return cls("cProfile", float(stats.total_tt), own, cumulative, calls,  # type: ignore[attr-defined]
                   dict(components))

    def name(self, key: _Key) -> str:
        filename, func = key
        return func if filename in ("~", "") else f"{_short(filename)}({func})"

    def report(self, articles: int, source: Path) -> list[str]:
        lines: list[str] = []
        emit = lines.append
        unit = "ms/art"
        overhead = "" if self.tool == "py-spy" else ", with cProfile's overhead"
        emit(f"[profile] full crawl of {articles:,} articles under {self.tool}: {self.total:.1f} s of CPU "
             f"({1000 * self.total / articles:.1f} ms/article{overhead}); data {source}")
        for title, table in (("cumulative", self.cumulative), ("own time", self.own)):
            emit(f"  top {TOP} by {title}:")
            emit(f"    {'calls':>9} {'own s':>8} {'cum s':>8} {unit:>7} {'share':>6}  function")
            for key, value in sorted(table.items(), key=lambda kv: -kv[1])[:TOP]:
                calls = str(self.calls.get(key, "")) if self.calls else "-"
                emit(f"    {calls:>9} {self.own.get(key, 0.0):8.2f} {self.cumulative.get(key, 0.0):8.2f} "
                     f"{1000 * value / articles:7.2f} {100 * value / self.total:5.1f}%  {self.name(key)}")
        emit("  own time by component:")
        for name, seconds in sorted(self.components.items(), key=lambda kv: -kv[1])[:20]:
            emit(f"    {name:<28} {seconds:8.2f} s  {100 * seconds / self.total:5.1f}%  "
                 f"{1000 * seconds / articles:6.2f} ms/article")
        emit("  where an article's time goes (cumulative):")
        for label, suffix, func in BREAKDOWN:
            keys = [k for k in self.cumulative if _matches(k, suffix, func)]
            seconds = sum(self.cumulative[k] for k in keys)
            calls = f"{sum(self.calls.get(k, 0) for k in keys):>7} calls" if self.calls else ""
            emit(f"    {label:<44} {calls} {seconds:8.2f} s  {100 * seconds / self.total:5.1f}%  "
                 f"{1000 * seconds / articles:6.2f} ms/article")
        return lines


def load(tool: str, path: Path) -> Profile:
    return Profile.from_pyspy(path) if tool == "py-spy" else Profile.from_cprofile(path)
