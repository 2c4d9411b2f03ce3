"""Crawl benchmark: the full ``news`` crawl against bare Scrapy and trafilatura alone, on a generated local news site.

    python benchmarks/crawl.py                                   # N=2,000 articles, 3 repetitions
    python benchmarks/crawl.py --articles 2000,20000 --repeat 3  # + N=20,000 once (--repeat-large to change)
    python benchmarks/crawl.py --repeat 1 --profile              # + a profile of the full crawl (py-spy or cProfile)
    python benchmarks/crawl.py --stages a,b,c,e,s --json out.json --workdir /tmp/bench   # everything, kept

A site of N article pages (30-150 KB of realistic HTML each, gzip-served; ~80% about a state blocking or throttling
a platform, the rest ordinary news), a sitemap index of news sitemaps and RSS feeds is generated in a temporary
directory (benchmarks/_newsweb.py) and served on 127.0.0.1 by a separate server process (sendfile, keep-alive).
Each measured stage runs in its own process:

  (a) bare Scrapy: a spider that fetches every article page and does nothing, with our settings where they matter
      (concurrency, download bounds, asyncio reactor; robots.txt and AutoThrottle off): the framework's ceiling;
  (b) trafilatura alone: ``bare_extraction(html, url=url, with_metadata=True)`` on each page read from disk, in one
      process: the extraction floor (title, date, authors and body, as our crawl gives);
  (c) the full crawl: ``scrapy crawl news -a url=<sitemap index>,<feed>`` with every pipeline on (classification
      included), a fresh STATE_URL SQLite file, AutoThrottle off, robots.txt obeyed, ``-O`` to a temporary file;
  (e) diagnostic, not by default: our ``extract_article`` alone on each page read from disk, in one process;
  (s) start-up: the same crawl command on a feed with no items, the fixed cost of every scheduled crawl.

Before the first stage, an unmeasured process builds the cache directory (``crawler.cache``) as a first crawl on a
new machine would, so that every repetition of (c), (e) and (s) finds it built.

Figures per stage: pages/s (N over the process's wall time, start-up included), CPU ms per article (user+sys of the
process from ``os.wait4``, start-up included, over N), peak RSS (the kernel's high-water mark, VmHWM, read from /proc
every 0.25 s; ``os.wait4``'s ru_maxrss where /proc is missing), the RSS over time and its file-backed part, and the
CPU other processes took meanwhile (a test suite on the same 2 cores slows the wall clock and inflates CPU times:
compare runs with little of it).
Repetitions are interleaved (a, b, c, s, a, b, c, s ...) and medians reported, with the ratios c/a and c/b of CPU per
article (c/b also within each repetition, whose stages ran minutes apart: the machine's speed drifts by several per
cent over a run, and the ratios of one repetition are steadier than the ratio of medians) and the targets: c/b <= 1.5, peak RSS of (c) <= 400 MB at the largest N, and peak RSS at the largest N
<= 1.2x the smallest. ``--profile`` runs (c) once more at the smallest N under py-spy (sampling; ``pip install
py-spy``) or cProfile, and prints the top 25 by cumulative and by own time, own time per component and where an
article's time goes; ``--memtrace`` runs it with tracemalloc at the largest N and prints where memory grew.
The last line is one summary.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

import _newsweb
import _profile

STAGES = {
    "a": "bare Scrapy",
    "b": "trafilatura alone",
    "c": "full news crawl",
    "e": "our extraction alone",
    "s": "crawl start-up",
}
TARGET_CPU_RATIO = 1.5
TARGET_PEAK_MB = 400.0
TARGET_RSS_GROWTH = 1.2
RSS_SAMPLE_SECONDS = 0.25
MIN_BODY_CHARS = 200


@dataclass
class Run:
    """One measured process."""

    stage: str
    articles: int
    repetition: int
    returncode: int
    wall: float
    cpu_user: float
    cpu_sys: float
    peak_rss_kb: int
    rss_quartiles_mb: list[float] = field(default_factory=list)
    rss_file_mb: float = 0.0
    """File-backed part of the RSS at its sampled peak (memory-mapped files: SQLite's mmap, shared libraries)."""
    server_cpu: float = 0.0
    other_load: float = 0.0
    """Cores' worth of CPU that other processes used during the run (0.3 = 30% of one core)."""
    done: int = 0
    """Pages the stage handled (fetched with 200, extracted, ...)."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def cpu(self) -> float:
        return self.cpu_user + self.cpu_sys

    @property
    def cpu_ms_per_article(self) -> float:
        return 1000 * self.cpu / self.articles

    @property
    def pages_per_second(self) -> float:
        return self.articles / self.wall

    @property
    def peak_mb(self) -> float:
        return self.peak_rss_kb / 1024


# --- children: the stages' own processes -------------------------------------------------------------------------------
def child_bare(urls_file: Path, stats_file: Path) -> int:
    """(a): fetch every URL with stock Scrapy and our relevant settings, do nothing with the responses."""
    import scrapy  # noqa: PLC0415 - the child alone needs Scrapy
    from scrapy.crawler import CrawlerProcess  # noqa: PLC0415

    from crawler import settings as ours  # noqa: PLC0415

    class BareSpider(scrapy.Spider):
        name = "bare"

        async def start(self) -> Any:
            with urls_file.open(encoding="utf-8") as lines:
                for line in lines:
                    if line.strip():
                        yield scrapy.Request(line.strip(), callback=self.parse)

        def parse(self, response: Any) -> None:
            return None

    names = ("CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "DOWNLOAD_DELAY", "DOWNLOAD_MAXSIZE",
             "DOWNLOAD_TIMEOUT", "DOWNLOAD_WARNSIZE", "RETRY_ENABLED", "RETRY_TIMES", "REDIRECT_MAX_TIMES",
             "USER_AGENT", "TWISTED_REACTOR", "LOG_LEVEL", "TELNETCONSOLE_ENABLED")
    settings: dict[str, Any] = {name: getattr(ours, name) for name in names}
    settings.update(ROBOTSTXT_OBEY=False, AUTOTHROTTLE_ENABLED=False)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    stats_file.write_text(json.dumps(stats, default=str), encoding="utf-8")
    return 0


def child_extract(manifest: Path, mode: str, result_file: Path) -> int:
    """(b) and (e): extract every page of the manifest from disk, one after the other."""
    pages = _newsweb.read_manifest(manifest.parent)
    if mode == "trafilatura":
        from trafilatura import bare_extraction  # noqa: PLC0415

        def extract(html: str, url: str) -> int:
            document = bare_extraction(html, url=url, with_metadata=True)
            return len(document.text or "") if document is not None else 0
    else:
        from crawler.extract import NotAnArticle, extract_article  # noqa: PLC0415

        def extract(html: str, url: str) -> int:
            try:
                return len(extract_article(html, url).body)
            except NotAnArticle:
                return 0

    started = time.perf_counter()
    extracted = 0
    for page in pages:
        html = Path(page.file).read_text(encoding="utf-8")
        extracted += extract(html, page.url) >= MIN_BODY_CHARS
    result_file.write_text(json.dumps({"extracted": extracted, "loop_seconds": time.perf_counter() - started}),
                           encoding="utf-8")
    return 0


def child_warm() -> int:
    """Not measured: build what a crawl keeps in the cache directory (``crawler.cache``: the compiled taxonomy, the
    language model, the MinHash permutations) with the daemon's warm-up (``crawler.preload.warm_up``: one small page
    extracted, classified and fingerprinted), as a first crawl on a new machine would. Otherwise the first measured
    (c) pays for it (more CPU and a higher peak) and the others do not."""
    from scrapy.settings import Settings  # noqa: PLC0415

    import crawler.settings as project_settings  # noqa: PLC0415
    from crawler.preload import warm_up  # noqa: PLC0415

    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    warm_up(settings)
    return 0


def warm_cache(work: Path) -> None:
    """Run ``child_warm`` in a process of its own, unmeasured; a failure is reported and the benchmark goes on."""
    log = work / "warm-up.log"
    with log.open("w", encoding="utf-8") as out:
        code = subprocess.call([sys.executable, str(Path(__file__).resolve()), "_warm"],
                               cwd=REPO, env=_child_env(), stdout=out, stderr=subprocess.STDOUT)
    if code:
        print(f"warning: warming the cache directory failed (exit {code}, see {log}); the first (c) builds it",
              flush=True)


# --- measuring a child ----------------------------------------------------------------------------------------------
class _RssSampler(threading.Thread):
    """Samples a process's RSS until stopped: the shape of memory over a long run, and at its peak the share of
    file-backed pages (memory-mapped files, e.g. SQLite's mmap) in it. Linux /proc, else psutil, else nothing."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, int, int]] = []
        """(seconds since start, RSS bytes, file-backed RSS bytes)"""
        self.high_water = 0
        """The kernel's peak RSS of the process (VmHWM) as last read: unlike wait4's ru_maxrss it starts at exec,
        so it does not count the parent's pages the child shared between fork and exec."""
        self._stop_event = threading.Event()
        self._status = Path(f"/proc/{pid}/status")
        self._process: Any = None
        if not self._status.exists():
            try:
                import psutil  # noqa: PLC0415 - optional ([dev] extra)

                self._process = psutil.Process(pid)
            except Exception:  # noqa: BLE001 - no psutil, or the process is already gone: no samples
                self._process = None

    def _read(self) -> tuple[int, int]:
        if self._process is not None:
            return int(self._process.memory_info().rss), 0
        fields = {}
        for line in self._status.read_text(encoding="ascii").splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssFile", "VmHWM"):
                fields[name] = int(value.split()[0]) * 1024
        self.high_water = max(self.high_water, fields.get("VmHWM", 0))
        return fields.get("VmRSS", 0), fields.get("RssFile", 0)

    def run(self) -> None:
        start = time.perf_counter()
        while not self._stop_event.is_set():
            try:
                rss, file_backed = self._read()
            except Exception:  # noqa: BLE001 - the process ended between two samples
                return
            if rss:  # an exiting process reads as 0
                self.samples.append((time.perf_counter() - start, rss, file_backed))
            self._stop_event.wait(RSS_SAMPLE_SECONDS)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def quartiles_mb(self) -> list[float]:
        """RSS at 25, 50, 75 and 100% of the run's duration, MB."""
        if not self.samples:
            return []
        end = self.samples[-1][0]
        picks = []
        for share in (0.25, 0.5, 0.75, 1.0):
            t = end * share
            picks.append(min(self.samples, key=lambda s: abs(s[0] - t))[1] / 2**20)
        return [round(p, 1) for p in picks]

    def file_backed_at_peak_mb(self) -> float:
        return round(max(self.samples, key=lambda s: s[1])[2] / 2**20, 1) if self.samples else 0.0


def _server_cpu(pid: int) -> float:
    try:
        import psutil  # noqa: PLC0415

        times = psutil.Process(pid).cpu_times()
        return float(times.user + times.system)
    except Exception:  # noqa: BLE001 - without psutil the server's share is not reported
        return 0.0


def _busy_cpu() -> float:
    """CPU seconds the whole machine has spent busy (all processes, all cores) since boot."""
    try:
        import psutil  # noqa: PLC0415

        times = psutil.cpu_times()
        return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))
    except Exception:  # noqa: BLE001 - without psutil other load is not reported
        return 0.0


def measure(command: list[str], *, stage: str, articles: int, repetition: int, cwd: Path, log: Path,
            server_pid: int, env: dict[str, str] | None = None) -> Run:
    """Run one child to its end; its own CPU and peak RSS come from wait4, so nothing else is counted."""
    server_before, busy_before = _server_cpu(server_pid), _busy_cpu()
    started = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        sampler = _RssSampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop()
    server = _server_cpu(server_pid) - server_before
    # What other processes (a test suite, another crawl) took meanwhile: they slow the wall clock, not our CPU.
    others = max(0.0, _busy_cpu() - busy_before - usage.ru_utime - usage.ru_stime - server)
    # ru_maxrss counts the parent's pages between fork and exec (this script holds the site's manifest): prefer
    # the child's own high-water mark, read every RSS_SAMPLE_SECONDS until it exits.
    peak_kb = sampler.high_water // 1024 or usage.ru_maxrss
    return Run(stage, articles, repetition, process.returncode, wall, usage.ru_utime, usage.ru_stime,
               peak_kb, sampler.quartiles_mb(), sampler.file_backed_at_peak_mb(), server, others / wall)


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    return env


# --- the stages -----------------------------------------------------------------------------------------------------
@dataclass
class Site:
    articles: int
    directory: Path
    base: str
    manifest: Path
    urls_file: Path
    relevant: int


def crawl_command(site: Site, out: Path, state: Path, stats: Path, classify: bool, *, empty: bool = False) -> list[str]:
    urls = f"{site.base}/empty-feed.xml" if empty else f"{site.base}/sitemap_index.xml,{site.base}/feed.xml"
    return [
        sys.executable, "-m", "scrapy", "crawl", "news",
        "-a", f"url={urls}",
        "-O", str(out),
        "-s", f"STATE_URL=sqlite:///{state}",
        "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "DISCOVERY_MAX_LINKS=100000",
        "-s", f"CLASSIFY_ENABLED={classify}",
        "-s", f"STATS_DUMP_FILE={stats}",
        "-s", "LOG_LEVEL=INFO",
    ]


def run_stage(stage: str, site: Site, repetition: int, work: Path, server_pid: int, classify: bool) -> Run:
    tag = f"{stage}-n{site.articles}-r{repetition}"
    log = work / f"{tag}.log"
    env = _child_env()
    me = str(Path(__file__).resolve())
    if stage == "a":
        stats = work / f"{tag}.stats.json"
        run = measure([sys.executable, me, "_bare", str(site.urls_file), str(stats)], stage=stage,
                      articles=site.articles, repetition=repetition, cwd=work, log=log, server_pid=server_pid,
                      env=env)
        data = _read_json(stats)
        run.done = int(data.get("downloader/response_status_count/200", 0))
        run.extra = {"engine_seconds": data.get("elapsed_time_seconds")}
    elif stage in ("b", "e"):
        result = work / f"{tag}.result.json"
        mode = "trafilatura" if stage == "b" else "ours"
        run = measure([sys.executable, me, "_extract", str(site.manifest), mode, str(result)], stage=stage,
                      articles=site.articles, repetition=repetition, cwd=work, log=log, server_pid=server_pid,
                      env=env)
        data = _read_json(result)
        run.done = int(data.get("extracted", 0))
        run.extra = {"loop_seconds": data.get("loop_seconds")}
    else:
        out, state, stats = work / f"{tag}.jsonl", work / f"{tag}.state.db", work / f"{tag}.stats.json"
        command = crawl_command(site, out, state, stats, classify, empty=stage == "s")
        run = measure(command, stage=stage, articles=site.articles,
                      repetition=repetition, cwd=REPO, log=log, server_pid=server_pid, env=env)
        data = _read_json(stats)
        run.done = int(data.get("blockradar/extracted", 0))
        run.extra = {
            "engine_seconds": data.get("elapsed_time_seconds"),
            "written": _count_lines(out),
            "relevant": data.get("blockradar/classify/relevant", 0),
            "new": data.get("blockradar/dedup/new", 0),
            "duplicates": data.get("blockradar/dedup/duplicate", 0) + data.get("blockradar/dedup/near_duplicate", 0),
            "errors": data.get("log_count/ERROR", 0),
        }
        for path in (out, state):
            path.unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{state}{suffix}").unlink(missing_ok=True)
    if run.returncode != 0:
        print(f"  ! {tag} exited with {run.returncode}; see {log}", flush=True)
    return run


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data


def _count_lines(path: Path) -> int:
    try:
        with path.open("rb") as lines:
            return sum(1 for _ in lines)
    except OSError:
        return 0


def classifier_available() -> tuple[bool, str]:
    """Whether the classification pipeline can start here (its taxonomy files may be missing in a work tree)."""
    check = "from crawler.classify import Classifier; Classifier()"
    result = subprocess.run([sys.executable, "-c", check], cwd=REPO, env=_child_env(), capture_output=True,
                            text=True, check=False)
    if result.returncode == 0:
        return True, ""
    lines = result.stderr.strip().splitlines()
    return False, lines[-1] if lines else f"exit status {result.returncode}"


# --- the site -------------------------------------------------------------------------------------------------------
def start_server(root: Path) -> subprocess.Popen[str]:
    server = subprocess.Popen([sys.executable, str(BENCH / "_newsweb.py"), "serve", "--root", str(root),
                               "--parent", str(os.getpid())],
                              stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    port = server.stdout.readline().strip()
    if not port.isdigit():
        server.kill()
        raise RuntimeError("the benchmark's web server did not start")
    server.port = int(port)  # type: ignore[attr-defined]
    return server


def build_site(root: Path, articles: int, port: int) -> Site:
    prefix = f"/n{articles}"
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    pages = _newsweb.generate(root, articles, base, prefix, workers=os.cpu_count() or 2)
    directory = root / prefix.lstrip("/")
    urls_file = directory / "urls.txt"
    urls_file.write_text("".join(p.url + "\n" for p in pages), encoding="utf-8")
    sizes = sorted(Path(p.file).stat().st_size for p in pages)
    gz = statistics.median(Path(p.file + ".gz").stat().st_size for p in pages)
    relevant = sum(p.relevant for p in pages)
    print(f"site n={articles}: {len(pages)} pages in {time.perf_counter() - started:.0f} s; HTML "
          f"{sizes[0] // 1024}-{sizes[-1] // 1024} KB (median {statistics.median(sizes) / 1024:.0f} KB, "
          f"gzip {gz / 1024:.0f} KB); {relevant} about a platform restriction; {base}{prefix}/sitemap_index.xml",
          flush=True)
    return Site(articles, directory, base + prefix, directory / "manifest.jsonl", urls_file, relevant)


# --- profile --------------------------------------------------------------------------------------------------------
def profile_crawl(site: Site, work: Path, classify: bool, profiler: str, *, keep: bool) -> list[str]:
    """Run (c) once more under py-spy and/or cProfile, print the top costs; return the printed lines."""
    if profiler == "auto":
        tools = ["py-spy"] if _profile.pyspy_available() else ["cprofile"]
    else:
        tools = ["py-spy", "cprofile"] if profiler == "both" else [profiler]
    if "py-spy" in tools and not _profile.pyspy_available():
        print("warning: py-spy is not installed (pip install py-spy): using cProfile", flush=True)
        tools = ["cprofile"]
    # Without --workdir the work directory goes away: keep the profiles where they can be found.
    keep_dir = work if keep else Path(tempfile.gettempdir())
    lines: list[str] = []
    for tool in tools:
        suffix = "pyspy.txt" if tool == "py-spy" else "prof"
        data = keep_dir / f"blockradar-crawl-n{site.articles}.{suffix}"
        out, state, stats = work / "profile.jsonl", work / "profile.state.db", work / "profile.stats.json"
        for path in (out, state, stats):
            path.unlink(missing_ok=True)
        print(f"profiling the full crawl of {site.articles:,} articles with {tool} ...", flush=True)
        command = crawl_command(site, out, state, stats, classify)
        code = _profile.run(tool, command, data, work / f"profile-{tool}.log", _child_env())
        if code != 0 or not data.exists():
            print(f"  ! the profiled crawl exited with {code}; see {work / f'profile-{tool}.log'}", flush=True)
            continue
        report = _profile.load(tool, data).report(site.articles, data)
        data.with_name(data.name + ".report.txt").write_text("\n".join(report) + "\n", encoding="utf-8")
        print("\n".join(report), flush=True)
        lines.extend(report)
    return lines


# --- memory trace ---------------------------------------------------------------------------------------------------
def memtrace_crawl(site: Site, work: Path, classify: bool) -> list[str]:
    """Run (c) once more with the tracemalloc extension (benchmarks/_memtrace.py); print where memory grew."""
    from crawler import settings as ours  # noqa: PLC0415

    trace = work / f"memtrace-n{site.articles}.json"
    out, state, stats = work / "memtrace.jsonl", work / "memtrace.state.db", work / "memtrace.stats.json"
    extensions = {**getattr(ours, "EXTENSIONS", {}), "benchmarks._memtrace.MemTrace": 900}
    command = [*crawl_command(site, out, state, stats, classify), "-s", f"EXTENSIONS={json.dumps(extensions)}",
               "-s", f"MEMTRACE_FILE={trace}", "-s", f"MEMTRACE_EVERY={max(500, site.articles // 8)}"]
    print(f"tracing the memory of a full crawl of {site.articles:,} articles (tracemalloc: slow) ...", flush=True)
    with (work / "memtrace.log").open("wb") as log:
        subprocess.run(command, cwd=REPO, env=_child_env(), stdout=log, stderr=subprocess.STDOUT, check=False)
    reports = _read_json_list(trace)
    title = (f"[memtrace] {site.articles:,} articles: RSS (anon + file-backed), Python-traced memory and the top "
             f"growth since the spider opened; data {trace}")
    lines = [title]
    for report in reports:
        rss = report.get("rss_kib", {})
        lines.append(f"  after {report['responses']:>6} responses: RSS {rss.get('VmRSS', 0) / 1024:6.1f} MB "
                     f"(anon {rss.get('RssAnon', 0) / 1024:.1f}, file {rss.get('RssFile', 0) / 1024:.1f}), "
                     f"traced {report['traced_kib'] / 1024:.1f} MB, queues {report.get('queues')}")
    if reports:
        lines.append("  top growth at the end (tracemalloc, KiB, blocks):")
        lines.extend(f"    {row['kib']:+8d} KiB {row['count']:+8d}  {row['where']}" for row in reports[-1]["growth"])
    print("\n".join(lines), flush=True)
    return lines


def _read_json_list(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return data if isinstance(data, list) else []


# --- report ---------------------------------------------------------------------------------------------------------
def _median(runs: list[Run], attr: str) -> float:
    return statistics.median(getattr(r, attr) for r in runs)


def describe_machine() -> str:
    model = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        output = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next((line.split(":", 1)[1].strip() for line in output.splitlines()
                      if line.startswith("Model name")), "")
    import scrapy  # noqa: PLC0415
    import trafilatura  # noqa: PLC0415

    return (f"{os.cpu_count()} cores ({model or platform.processor() or 'unknown CPU'}), Python "
            f"{platform.python_version()}, Scrapy {scrapy.__version__}, trafilatura {trafilatura.__version__}, "
            f"{platform.system()} {platform.release()}")


def print_run(run: Run) -> None:
    detail = " ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in run.extra.items())
    if run.stage == "s":
        cost = f"{run.wall:5.1f} s wall  {run.cpu:5.2f} s CPU a crawl"
    else:
        cost = f"{run.pages_per_second:7.1f} pages/s  {run.cpu_ms_per_article:6.2f} ms CPU/article"
    print(f"  {run.stage} {STAGES[run.stage]:<21} n={run.articles:<6} rep {run.repetition}: {cost} "
          f"(user {run.cpu_user:.1f} s, sys {run.cpu_sys:.1f} s)  peak RSS {run.peak_mb:6.1f} MB "
          f"(file-backed {run.rss_file_mb:.0f})  RSS@25/50/75/100% {run.rss_quartiles_mb}  done {run.done}  "
          f"server {1000 * run.server_cpu / run.articles:.2f} ms/page  other load {run.other_load:.2f} cores  {detail}",
          flush=True)


def _paired_ratios(runs: list[Run], n: int, top: str, bottom: str) -> list[float]:
    """CPU per article of stage ``top`` over stage ``bottom`` within each repetition that ran both, in order."""
    done = {(r.stage, r.repetition): r for r in runs if r.articles == n and r.returncode == 0}
    return [done[(top, k)].cpu_ms_per_article / done[(bottom, k)].cpu_ms_per_article
            for k in sorted({rep for stage, rep in done if stage == top})
            if (bottom, k) in done and done[(bottom, k)].cpu_ms_per_article]


def summarize(runs: list[Run], sizes: list[int], stages: list[str]) -> tuple[list[str], str, dict[str, Any]]:
    """The results table (medians), the one-line summary, and the medians as data."""
    lines = ["", "| N | stage | pages/s | CPU ms/article | peak RSS MB | other load (cores) | runs |",
             "|---|---|---:|---:|---:|---:|---:|"]
    medians: dict[str, Any] = {}
    parts = []
    for n in sizes:
        per: dict[str, Any] = {}
        for stage in stages:
            mine = [r for r in runs if r.articles == n and r.stage == stage and r.returncode == 0]
            if not mine:
                continue
            per[stage] = {"pages_per_second": _median(mine, "pages_per_second"), "wall": _median(mine, "wall"),
                          "cpu_ms": _median(mine, "cpu_ms_per_article"), "cpu_s": _median(mine, "cpu"),
                          "peak_mb": _median(mine, "peak_mb"), "other_load": _median(mine, "other_load")}
            row = per[stage]
            if stage == "s":
                lines.append(f"| {n:,} | (s) {STAGES[stage]}: a crawl that finds nothing | {row['wall']:.1f} s | "
                             f"{row['cpu_s']:.2f} s a crawl | {row['peak_mb']:.0f} | {row['other_load']:.2f} | "
                             f"{len(mine)} |")
                continue
            lines.append(f"| {n:,} | ({stage}) {STAGES[stage]} | {row['pages_per_second']:.1f} | {row['cpu_ms']:.2f} | "
                         f"{row['peak_mb']:.0f} | {row['other_load']:.2f} | {len(mine)} |")
        medians[str(n)] = per
        if "c" in per:
            text = (f"N={n:,}: crawl {per['c']['pages_per_second']:.0f} pages/s, {per['c']['cpu_ms']:.1f} ms "
                    f"CPU/article, peak {per['c']['peak_mb']:.0f} MB")
            ratios = []
            if "a" in per:
                per["ratio_c_a"] = per["c"]["cpu_ms"] / per["a"]["cpu_ms"]
                text += f"; c/a {per['ratio_c_a']:.1f}x"
                ratios.append(f"c/a {per['ratio_c_a']:.1f}x")
            if "b" in per:
                per["ratio_c_b"] = ratio = per["c"]["cpu_ms"] / per["b"]["cpu_ms"]
                verdict = "ok" if ratio <= TARGET_CPU_RATIO else "over"
                text += f"; c/b {ratio:.2f}x ({verdict} target {TARGET_CPU_RATIO})"
                ratios.append(f"c/b {ratio:.2f}x (target <= {TARGET_CPU_RATIO})")
                paired = _paired_ratios(runs, n, "c", "b")
                if len(paired) > 1:  # (b) and (c) of one repetition ran minutes apart: the machine's drift cancels
                    per["ratios_c_b"] = paired
                    listed = ", ".join(f"{r:.2f}" for r in paired)
                    ratios.append(f"c/b within each repetition {listed} (median {statistics.median(paired):.2f}x)")
                    text += f" (within repetitions: median {statistics.median(paired):.2f}x)"
            if ratios:
                lines.append(f"| {n:,} | ratios of CPU per article | | {', '.join(ratios)} | | | |")
            parts.append(text)
    crawled = [n for n in sizes if "c" in medians.get(str(n), {})]
    if crawled:
        largest = max(crawled)
        peak = medians[str(largest)]["c"]["peak_mb"]
        parts.append(f"peak RSS at {largest:,}: {peak:.0f} MB ({'ok' if peak <= TARGET_PEAK_MB else 'over'} "
                     f"target {TARGET_PEAK_MB:.0f})")
        if len(crawled) > 1:
            growth = peak / medians[str(min(crawled))]["c"]["peak_mb"]
            medians["rss_growth"] = growth
            parts.append(f"RSS {largest:,}/{min(crawled):,} {growth:.2f}x "
                         f"({'ok' if growth <= TARGET_RSS_GROWTH else 'over'} target {TARGET_RSS_GROWTH})")
    started = [medians[str(n)]["s"] for n in sizes if "s" in medians.get(str(n), {})]
    if started:
        parts.append(f"start-up {statistics.median(r['cpu_s'] for r in started):.1f} s CPU, "
                     f"{statistics.median(r['peak_mb'] for r in started):.0f} MB a crawl")
    return lines, "SUMMARY " + "; ".join(parts), medians


# --- main -----------------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_bare":
        return child_bare(Path(argv[1]), Path(argv[2]))
    if argv and argv[0] == "_warm":
        return child_warm()
    if argv and argv[0] == "_extract":
        return child_extract(Path(argv[1]), argv[2], Path(argv[3]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--articles", default="2000", help="comma-separated site sizes (default 2000)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions at the smallest size (default 3)")
    parser.add_argument("--repeat-large", type=int, default=1,
                        help="repetitions at the other sizes (default 1; they take minutes each)")
    parser.add_argument("--stages", default="a,b,c,s", help="which of a,b,c,e,s to run (default a,b,c,s)")
    parser.add_argument("--profile", action="store_true", help="also profile (c) at the smallest size")
    parser.add_argument("--profiler", choices=("auto", "py-spy", "cprofile", "both"), default="auto",
                        help="auto: py-spy when installed (sampling: true proportions), else cProfile")
    parser.add_argument("--memtrace", action="store_true",
                        help="also trace where (c)'s memory grows at the largest size (tracemalloc; slow)")
    parser.add_argument("--workdir", type=Path, help="keep the site, logs and profile here (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="write every run and the medians to this file")
    args = parser.parse_args(argv)
    sizes = sorted({int(s.replace("_", "")) for s in args.articles.split(",") if s.strip()})
    stages = [s for s in "abces" if s in args.stages.split(",")]
    if not sizes or min(sizes) < 1 or not stages:
        parser.error("--articles needs positive sizes and --stages at least one of a,b,c,e,s")

    work = args.workdir or Path(tempfile.mkdtemp(prefix="blockradar-crawlbench-"))
    work.mkdir(parents=True, exist_ok=True)
    root = work / "site"
    root.mkdir(exist_ok=True)
    print(f"machine: {describe_machine()}", flush=True)
    classify, why = classifier_available()
    if not classify:
        print(f"warning: the classification pipeline cannot start here ({why}); (c) runs without it", flush=True)
    server = start_server(root)
    runs: list[Run] = []
    try:
        sites = [build_site(root, n, server.port) for n in sizes]  # type: ignore[attr-defined]
        _newsweb.write_robots(root, [f"{s.base}/sitemap_index.xml" for s in sites])
        if {"c", "e", "s"} & set(stages):
            warm_cache(work)
        for site in sites:
            repeat = args.repeat if site.articles == sizes[0] else args.repeat_large
            for repetition in range(1, repeat + 1):
                for stage in stages:
                    run = run_stage(stage, site, repetition, work, server.pid, classify)
                    runs.append(run)
                    print_run(run)
        profile_lines: list[str] = []
        if args.memtrace:
            profile_lines.extend(memtrace_crawl(sites[-1], work, classify))
        if args.profile:
            profile_lines.extend(profile_crawl(sites[0], work, classify, args.profiler, keep=args.workdir is not None))
        table, summary, medians = summarize(runs, sizes, stages)
        print(f"\nmachine: {describe_machine()}")
        print("\n".join(table))
        if not classify:
            summary += " (without classification: taxonomy unavailable)"
        if args.json:
            args.json.write_text(json.dumps({"machine": describe_machine(), "classify": classify,
                                             "runs": [asdict(r) for r in runs], "medians": medians,
                                             "profile": profile_lines}, indent=1), encoding="utf-8")
        print(f"work directory: {work}{'' if args.workdir else ' (removed)'}")
        print(summary, flush=True)
    finally:
        server.kill()
        server.wait()
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if all(r.returncode == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
