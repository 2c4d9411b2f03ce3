"""Every default of blockradar, grouped: Scrapy's own settings first, then ours by prefix.

Change any of them per run with ``scrapy crawl news -s NAME=VALUE`` or ``blockradar daemon -s NAME=VALUE``.
"""

from __future__ import annotations

from scrapy.settings import default_settings as _scrapy_defaults

from crawler.items import OUTPUT_FIELDS

BOT_NAME = "blockradar"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
COMMANDS_MODULE = "crawler.commands"

# --- Politeness: who we are, robots.txt, per-domain limits ---------------------------------------------
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.0
ROBOTSTXT_OBEY = True
# Say who you are: add a contact URL or address when you run blockradar at scale.
USER_AGENT = "blockradar/0.1 (news monitor of government platform blocks)"

# Scrapy's downloader, with CONCURRENT_REQUESTS_PER_DOMAIN kept under the asyncio reactor (crawler/downloader.py).
DOWNLOADER = "crawler.downloader.Downloader"

# --- Downloads: bounded in time and size, because a crawler lives on hostile input ------------------------
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
REDIRECT_MAX_TIMES = 10
RETRY_ENABLED = True
RETRY_TIMES = 2

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.ConditionalGetMiddleware": 560,
    # Runs just before HttpCompressionMiddleware (590) on responses: see the module for why.
    "crawler.middlewares.GzipCharsetMiddleware": 595,
}

# Re-validate pages seen in earlier runs with If-None-Match / If-Modified-Since (needs the state store).
CONDITIONAL_GET_ENABLED = True

# --- Engine: asyncio reactor, no remote consoles --------------------------------------------------------
LOG_LEVEL = "INFO"
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# Scrapy starts this many asyncio tasks for the output of every response (default 100), and every one of them is
# scheduled, wakes and ends even when the response yields a single item. Our pipelines are synchronous, so a second
# task never has anything to do while the first works: 1 task instead of 100 saves about 1 ms of CPU per article
# (benchmarks/crawl.py, py-spy), and instead of 4 another 0.03 ms a response.
CONCURRENT_ITEMS = 1

EXTENSIONS = {
    "crawler.extensions.GarbageCollection": -1,  # before StatsDump: its stats are set when the spider closes
    "crawler.extensions.LogLevelFloor": 0,
    "crawler.extensions.StatsDump": 0,
}
# Python's garbage collector (crawler/extensions.py, GarbageCollection): the objects alive when the engine starts are
# frozen out of its sight, and its youngest generation is collected every GC_THRESHOLD allocations (0: Python's 700).
# With Python's defaults it took 7% of a crawl's CPU.
GC_FREEZE = True
GC_THRESHOLD = 10_000
# The remote control and the telnet console are off (above), and left out of Scrapy's base list so that they are not
# even imported: Scrapy loads every listed extension before asking it whether it is enabled, and the remote control
# brings in aiohttp, 0.2 s of CPU at every crawl's start.
EXTENSIONS_BASE = {
    name: order
    for name, order in _scrapy_defaults.EXTENSIONS_BASE.items()
    if name not in ("scrapy.extensions.remote_control.RemoteControl", "scrapy.extensions.telnet.TelnetConsole")
}
# Write the crawl's stats as JSON to this file when it ends (empty: off).
STATS_DUMP_FILE = ""

# --- Output: JSON Lines through Scrapy's feed exports, exactly the record of the output contract -------
FEED_EXPORT_ENCODING = "utf-8"
FEED_STORAGES = {
    "": "crawler.feeds.UnbufferedFileFeedStorage",
    "file": "crawler.feeds.UnbufferedFileFeedStorage",
}
FEED_EXPORT_FIELDS = list(OUTPUT_FIELDS)

ITEM_PIPELINES = {
    "pipelines.normalize.NormalizePipeline": 100,
    "pipelines.classify.ClassifyPipeline": 300,
    "pipelines.dedup.DedupPipeline": 500,
    "pipelines.validate.ValidatePipeline": 400,
    "pipelines.events.EventsPipeline": 700,
}

# --- Classification (pipelines/classify.py, crawler/classify.py, crawler/taxonomy/) ------------------------
CLASSIFY_ENABLED = True
# Relevance (0..1) from which an article is about a platform restriction and written.
CLASSIFY_THRESHOLD = 0.5
# Write irrelevant articles too (their relevance marks them), for review and labelling.
KEEP_IRRELEVANT = False

# --- Daemon (crawler/daemon.py, crawler/runner.py) and status (crawler/status.py) ---------------------------
# Hard limit of one crawl, seconds (Scrapy is asked to close gracefully shortly before).
DAEMON_CRAWL_TIMEOUT = 1800
# Random delay added to each scheduled run, seconds (a source's own `jitter` wins).
DAEMON_JITTER = 30
# Seconds between asking a crawl to stop (SIGTERM) and killing it (SIGKILL).
DAEMON_KILL_GRACE = 15
# Crawls running at once.
DAEMON_MAX_CRAWLS = 2
# Fork each crawl from a process that has the crawl's code and data loaded (crawler/launcher.py): about 0.15 s of
# CPU to start a crawl instead of 0.8-1 s. False: each crawl is a new `python -m scrapy crawl news` process.
DAEMON_PRELOAD = True
# A run that could not start within this many seconds of its time is skipped (runs are coalesced anyway).
DAEMON_MISFIRE_GRACE = 300
# On SIGTERM/SIGINT, seconds running crawls get to finish before they are stopped.
DAEMON_SHUTDOWN_GRACE = 30
# After a restart, overdue sources are spread over this many seconds instead of all starting at once.
DAEMON_STARTUP_SPREAD = 60
# `blockradar status`: failing after this many failed runs in a row; silent after this many successful runs
# without a single article from a source that used to give some.
STATUS_FAILING_AFTER = 2
STATUS_SILENT_AFTER = 3

# --- Distributed workers (crawler/distributed/, spiders/worker.py; pip install 'blockradar[distributed]') ---------
# Fingerprints of the shared dupefilter are forgotten after this many seconds (a page may be fetched again later).
DUPEFILTER_TTL = 86400
# Prefix of every Redis key blockradar uses for the queue, dupefilter, workers and start messages.
REDIS_KEY_PREFIX = "blockradar:"
# redis://host:port/db of the shared queue (blockradar worker --redis / daemon --redis set it).
REDIS_URL = ""
# Where a worker appends its records (blockradar worker --output sets it).
OUTPUT_DIR = ""
# Seconds between a worker's heartbeats; a worker silent for WORKER_HEARTBEAT_TTL seconds is dead and the requests
# it had taken go back to the queue.
WORKER_HEARTBEAT = 5
WORKER_HEARTBEAT_TTL = 30
WORKER_ID = ""
# The longest pause between two polls of the start queue when it is empty (back-off from 0.2 s).
WORKER_POLL_MAX = 5
WORKER_START_BATCH = 16

# --- Dedup (pipelines/dedup.py, crawler/dedup.py) -------------------------------------------------------
# Tuned on tests/dedup/pairs (benchmarks/dedup.py, README "Dedup quality and cost"): LSH keys of 32 bands x 4 of the
# 256 MinHash values of word-prefix bigrams; a candidate is the same story from 0.68 max(Jaccard, containment).
DEDUP_BANDS = 32
DEDUP_BAND_ROWS = 4
DEDUP_CHANGE_THRESHOLD = 0.95
DEDUP_ENABLED = True
DEDUP_NUM_PERM = 256
DEDUP_SHINGLE_SIZE = 2
DEDUP_THRESHOLD = 0.68

# --- Discovery (spiders/news.py) ------------------------------------------------------------------------
# Links taken from one feed, sitemap or section page at most; the newest come first where dates are known.
DISCOVERY_MAX_LINKS = 500
# Entries older than this many days (by feed/sitemap date) are skipped; 0 keeps every entry.
DISCOVERY_MAX_AGE_DAYS = 0
# Article requests scheduled or in flight at once; further links found wait as a URL and hints (a fifth of a queued
# request's memory) until these are done, so a sitemap of 50,000 links does not fill memory. 0: no limit.
DISCOVERY_PENDING_MAX = 1000
# Section pages followed through pagination, per source.
LISTING_MAX_PAGES = 5
# The sources file read when neither -a sources= nor -a url= is given; empty means crawler/data/sources.toml.
SOURCES_FILE = ""

# --- Events: block events from articles, events.jsonl, alerts (pipelines/events.py, crawler/events/) ------------
# Webhook alerts: a new event or a status change is POSTed as JSON to each URL (-s ALERT_WEBHOOKS=URL,URL), signed
# with X-Blockradar-Signature: sha256=HMAC-SHA256(ALERT_WEBHOOK_SECRET, body) when the secret is set (else the
# BLOCKRADAR_ALERT_WEBHOOK_SECRET environment variable is read).
ALERT_WEBHOOKS: list[str] = []
ALERT_WEBHOOK_SECRET = ""
# E-mail alerts: smtp://[user:password@]host[:port] (smtps:// for TLS, smtp+starttls:// to upgrade); empty: off.
ALERT_EMAIL_FROM = ""
ALERT_EMAIL_TO: list[str] = []
ALERT_SMTP_URL = ""
# An alert not delivered after this many seconds is given up (marked failed).
ALERT_MAX_AGE = 86400
# Seconds between two passes over alerts left pending (a pass also follows each new alert and the crawl's end).
ALERT_POLL = 60.0
# Tries of one delivery after the first (waiting ALERT_RETRY_BACKOFF seconds, doubled each time); seconds per try.
ALERT_RETRIES = 3
ALERT_RETRY_BACKOFF = 1.0
ALERT_TIMEOUT = 10.0
EVENTS_ENABLED = True
# Append every new version of an event to this JSON Lines file (empty: events are kept in the state store only;
# `blockradar daemon`, `worker` and `demo` set it to DIR/events.jsonl).
EVENTS_FILE = ""
# A restriction and a threat are linked, and an in-force event can be lifted, within this many days.
EVENTS_LINK_DAYS = 180
# An article joins an event at most this many days after its last article (or before its first): a block months
# after an earlier one is a new event.
EVENTS_WINDOW_DAYS = 21

# --- Extraction (crawler/extract/) ------------------------------------------------------------------------
# Pages larger than this (decoded characters) are cut before parsing: every extraction step is bounded.
EXTRACT_MAX_CHARS = 2_000_000
# An article body shorter than this (characters) is not an article: the page is dropped.
EXTRACT_MIN_BODY_CHARS = 200

# --- State (crawler/state/) -------------------------------------------------------------------------------
# sqlite:///path/state.db or redis://host:port/db; empty means an SQLite file under ./data/.
STATE_URL = ""

# --- Validation (pipelines/validate.py) ---------------------------------------------------------------------
# Check every record against the published JSON Schema before it is written.
VALIDATE_ENABLED = True

# --- Hostile input and safety (crawler/security.py, retry.py, content.py, redirects.py) ---------------------
# Refuse requests that links or redirects aim at loopback, private, link-local or cloud-metadata addresses (SSRF).
# A source may always reach its own host; see README, "Hostile input and safety".
ADDRESS_GUARD_ENABLED = True
# Non-public hosts any source may reach: host names, IP addresses or CIDR networks, e.g. ["10.0.0.0/8",
# "intranet.example"] (on the command line: -s ALLOW_PRIVATE_HOSTS=10.0.0.0/8,intranet.example).
ALLOW_PRIVATE_HOSTS: list[str] = []
# Only http(s) is ever fetched: Scrapy's data:, file:, ftp: and s3: download handlers are off.
DOWNLOAD_HANDLERS = {"data": None, "file": None, "ftp": None, "s3": None}
# The components of this group, added to the downloader middlewares above; ours replaces Scrapy's RetryMiddleware.
DOWNLOADER_MIDDLEWARES = {
    **DOWNLOADER_MIDDLEWARES,
    "crawler.security.AddressGuardMiddleware": 50,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,  # type: ignore[dict-item]
    "crawler.middlewares.RobotsTxtMiddleware": 100,  # Scrapy's, with every waiting request checked
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,  # type: ignore[dict-item]  # None: switched off
    "crawler.retry.BackoffRetryMiddleware": 550,
    "crawler.content.ContentMiddleware": 585,
    "crawler.redirects.RedirectGuardMiddleware": 650,
}
# A 429/503 response's Retry-After is honoured up to this many seconds; a server asking for longer is not retried
# in this run (the next run fetches the page again).
RETRY_AFTER_MAX = 120.0
# Seconds before the first retry of a failed download; doubled for each further retry (with jitter), at most
# RETRY_BACKOFF_MAX.
RETRY_BACKOFF_BASE = 1.0
RETRY_BACKOFF_MAX = 30.0
