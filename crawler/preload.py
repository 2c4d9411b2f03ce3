"""What the daemon's forkserver (``crawler.launcher``) loads once for all the crawls forked from it.

Importing this module imports every module a ``scrapy crawl news`` process uses (Scrapy's commands and the
components the project's settings name, the spiders, pipelines, middlewares and extensions), then warms what is
loaded on first use: the compiled taxonomy, the language model, the MinHash permutations, and the libraries' lazy
data (dateparser's languages, trafilatura's and htmldate's), by extracting, classifying, fingerprinting and
validating one small page. Last, the objects made so far are frozen out of the garbage collector's sight, so that
a crawl's collections neither walk them nor copy their memory pages.

Nothing here may fail the forkserver: a component that cannot be loaded, or a warm-up that raises, is skipped,
and the crawl that needs it reports the error itself. Nothing here may install a Twisted reactor either (each crawl
installs its own).
"""

from __future__ import annotations

import contextlib
import gc
import sys

from scrapy.settings import Settings
from scrapy.utils.misc import load_object, walk_modules_iter

import crawler.settings as project_settings

# Settings whose values are the dotted paths of components, or dicts keyed by them ({path: order}) or with them as
# values ({scheme: path}); ``None`` disables one.
_COMPONENT_DICTS = (
    "ITEM_PIPELINES", "DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "EXTENSIONS", "DOWNLOAD_HANDLERS",
    "FEED_EXPORTERS", "FEED_STORAGES",
)
_COMPONENTS = (
    "DOWNLOADER", "SCHEDULER", "SCHEDULER_PRIORITY_QUEUE", "SCHEDULER_MEMORY_QUEUE", "SCHEDULER_DISK_QUEUE",
    "DUPEFILTER_CLASS", "STATS_CLASS", "SPIDER_LOADER_CLASS", "REQUEST_FINGERPRINTER_CLASS", "LOG_FORMATTER",
    "TWISTED_DNS_RESOLVER", "ITEM_PROCESSOR", "SCHEDULER_START_MEMORY_QUEUE",
)

# A page of this project's own making, in English, for the warm-up pass.
WARM_UP_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Regulator blocks a messaging app | Warm-up Wire</title>
<meta property="article:published_time" content="2026-03-12T09:30:00Z"></head>
<body><nav><a href="/">Home</a></nav><article><h1>Regulator blocks a messaging app</h1>
<p class="byline">By Warm Up, 12 March 2026</p>
<p>The national telecommunications regulator ordered internet providers on Thursday to block access to Telegram
across the country, saying the service had ignored repeated demands to remove content the agency considers unlawful.
Users said the application stopped loading on the largest mobile networks within hours of the order.</p>
<p>The regulator said the restriction would stay in force until the company opened a local office. Digital rights
groups called the decision disproportionate and said it cut millions of people off from work and family contacts.</p>
</article><footer>Warm-up Wire</footer></body></html>"""


def components(settings: Settings) -> list[str]:
    """The dotted paths of the components ``settings`` name, those disabled (``None``) left out."""
    paths: list[str] = []
    for name in _COMPONENT_DICTS:
        for key, value in settings.getwithbase(name).items():
            if value is None:
                continue
            paths += [v for v in (key, value) if isinstance(v, str) and "." in v]
    paths += [value for name in _COMPONENTS if isinstance(value := settings.get(name), str) and "." in value]
    return list(dict.fromkeys(paths))


def load_modules(settings: Settings) -> None:
    """Import the commands, spiders and components a crawl with ``settings`` uses."""
    for package in ("scrapy.commands", settings.get("COMMANDS_MODULE"), *settings.getlist("SPIDER_MODULES")):
        if package:
            with contextlib.suppress(Exception):
                list(walk_modules_iter(package))
    for path in components(settings):
        with contextlib.suppress(Exception):
            load_object(path)


def warm_up(settings: Settings) -> None:
    """One small page through extraction, normalization, classification, fingerprinting and validation."""
    from crawler.classify import Classifier, apply  # noqa: PLC0415
    from crawler.dedup import fingerprint  # noqa: PLC0415
    from crawler.extract import extract_article  # noqa: PLC0415
    from crawler.normalize import normalize_article  # noqa: PLC0415
    from crawler.schema import record_errors  # noqa: PLC0415
    from pipelines.dedup import dedup_config  # noqa: PLC0415
    from pipelines.validate import output_record  # noqa: PLC0415

    article = normalize_article(extract_article(WARM_UP_PAGE, "https://warm-up.example/news/regulator-blocks.html"))
    apply(article, Classifier().classify(article))
    fingerprint(article.body, article.language, dedup_config(settings))
    record_errors(output_record(article))


def preload() -> None:
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    load_modules(settings)
    with contextlib.suppress(Exception):
        warm_up(settings)
    gc.collect()
    gc.freeze()


if "multiprocessing.forkserver" in sys.modules and sys.argv[:1] == ["-c"]:  # imported by the forkserver
    with contextlib.suppress(ImportError):
        from setproctitle import setproctitle

        setproctitle("blockradar forkserver")
    preload()
