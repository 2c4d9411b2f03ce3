"""Load and validate the sources file (TOML): every problem is one line naming the file, the source and the fault."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

KINDS = ("feed", "sitemap", "listing")
NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_DURATION_PART_RE = re.compile(r"(\d+)\s*([smhd])")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_SOURCE_KEYS = {"name", "url", "kind", "interval", "cron", "language", "timezone", "jitter"}
_DEFAULT_KEYS = {"interval", "cron", "language", "timezone", "jitter"}
DEFAULT_INTERVAL = 1800


class SourcesError(ValueError):
    """The sources file or a source argument is invalid; the message is one line meant for a person."""


@dataclass(frozen=True)
class Source:
    """One news source: where to look for articles and how often."""

    name: str
    url: str
    kind: str | None = None
    """feed | sitemap | listing; None means detected from the response."""
    interval: int = DEFAULT_INTERVAL
    """Seconds between runs (ignored when ``cron`` is set)."""
    cron: str | None = None
    """A crontab expression (5 fields), instead of ``interval``."""
    language: str | None = None
    """ISO 639-1 hint for language identification."""
    timezone: str | None = None
    """IANA time zone for dates the source gives without an offset."""
    jitter: int | None = None
    """Seconds of random delay added to each scheduled run; None means the daemon's default."""


def default_sources_path() -> Path:
    """The sources file shipped with the package."""
    return Path(str(resources.files("crawler") / "data" / "sources.toml"))


def parse_duration(text: str) -> int:
    """'90s', '15m', '2h', '1d', '1h30m' -> seconds. Raises ValueError on anything else."""
    compact = text.strip().lower()
    parts = _DURATION_PART_RE.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact.replace(" ", ""):
        raise ValueError(f"bad duration {text!r} (use e.g. 30s, 15m, 2h, 1d)")
    seconds = sum(int(n) * _DURATION_UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"bad duration {text!r}: must be more than 0 seconds")
    return seconds


def check_url(url: str) -> str:
    """Return ``url`` stripped, or raise ValueError saying why it can't be crawled."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"bad url {url!r}: need an absolute http(s) URL")
    return url


def _check_cron(expr: str) -> str:
    from apscheduler.triggers.cron import CronTrigger  # noqa: PLC0415 - only needed when a cron is given

    try:
        CronTrigger.from_crontab(expr)
    except ValueError as exc:
        raise ValueError(f"bad cron {expr!r}: {exc}") from exc
    return expr


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {name!r}") from exc
    return name


def _build(raw: dict[str, object], defaults: dict[str, object], where: str) -> Source:
    unknown = set(raw) - _SOURCE_KEYS
    if unknown:
        raise SourcesError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    merged = {**defaults, **raw}
    for key, value in merged.items():
        if not isinstance(value, str):
            raise SourcesError(f"{where}: {key} must be a string, not {type(value).__name__}")
    values: dict[str, str] = {k: str(v) for k, v in merged.items()}
    name = values.get("name", "")
    if not NAME_RE.fullmatch(name):
        raise SourcesError(f"{where}: bad name {name!r} (lowercase letters, digits and '-', at most 64)")
    if "url" not in values:
        raise SourcesError(f"{where}: missing url")
    kind = values.get("kind")
    if kind is not None and kind not in KINDS:
        raise SourcesError(f"{where}: bad kind {kind!r} (one of {', '.join(KINDS)}, or leave it out)")
    language = values.get("language")
    if language is not None and not re.fullmatch(r"[a-z]{2}", language):
        raise SourcesError(f"{where}: bad language {language!r} (an ISO 639-1 code such as 'en')")
    try:
        url = check_url(values["url"])
        # A source's own cron/interval wins over the other form given in [defaults].
        cron = raw.get("cron") or (None if "interval" in raw else values.get("cron"))
        interval = parse_duration(values["interval"]) if "interval" in values else DEFAULT_INTERVAL
        jitter = parse_duration(values["jitter"]) if "jitter" in values else None
        timezone = _check_timezone(values["timezone"]) if "timezone" in values else None
        return Source(
            name=name,
            url=url,
            kind=kind,
            interval=interval,
            cron=_check_cron(str(cron)) if cron else None,
            language=language,
            timezone=timezone,
            jitter=jitter,
        )
    except ValueError as exc:
        raise SourcesError(f"{where}: {exc}") from exc


def load_sources(path: str | Path) -> list[Source]:
    """Read and validate a sources file. Raises SourcesError with one line naming the file and the problem."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourcesError(f"{path}: no such sources file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourcesError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SourcesError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(data) - {"defaults", "sources"}
    if unknown:
        raise SourcesError(f"{path}: unknown table(s) {', '.join(sorted(unknown))} (expected [defaults], [[sources]])")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict) or set(defaults) - _DEFAULT_KEYS:
        raise SourcesError(f"{path}: [defaults] may only set {', '.join(sorted(_DEFAULT_KEYS))}")
    entries = data.get("sources", [])
    if not isinstance(entries, list) or not entries:
        raise SourcesError(f"{path}: no [[sources]] entries")
    sources: list[Source] = []
    seen: set[str] = set()
    for index, raw in enumerate(entries, start=1):
        label = raw.get("name", "") if isinstance(raw, dict) else ""
        where = f"{path}: source #{index}" + (f" ({label!r})" if label else "")
        if not isinstance(raw, dict):
            raise SourcesError(f"{where}: must be a table")
        source = _build(raw, defaults, where)
        if source.name in seen:
            raise SourcesError(f"{where}: duplicate name {source.name!r}")
        seen.add(source.name)
        sources.append(source)
    return sources


def select_sources(sources: list[Source], names: str, path: str | Path) -> list[Source]:
    """Keep the sources named in the comma-separated ``names``; unknown names are an error."""
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    if not wanted:
        raise SourcesError(f"{path}: -a source= names no source")
    by_name = {s.name: s for s in sources}
    missing = [n for n in wanted if n not in by_name]
    if missing:
        raise SourcesError(f"{path}: no source named {', '.join(repr(n) for n in missing)}")
    return [by_name[n] for n in wanted]


def adhoc_sources(urls: str) -> list[Source]:
    """Sources for ``-a url=URL[,URL]``: named after the host, kind detected from the response."""
    result: list[Source] = []
    for raw in (u for u in urls.split(",") if u.strip()):
        try:
            url = check_url(raw)
        except ValueError as exc:
            raise SourcesError(f"-a url: {exc}") from None
        host = urlsplit(url).hostname or "adhoc"
        name = re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-")[:50] or "adhoc"
        base, n = name, 2
        while any(s.name == name for s in result):
            name, n = f"{base}-{n}", n + 1
        result.append(Source(name=name, url=url))
    if not result:
        raise SourcesError("-a url: no URL given")
    return result


def resolve_sources(sources_file: str | Path | None = None, names: str | None = None, urls: str | None = None) -> list[Source]:
    """The sources of a run: ``urls`` (ad hoc), else the file (default: the shipped one), narrowed to ``names``."""
    if urls is not None:
        if names:
            raise SourcesError("-a url and -a source cannot be combined")
        return adhoc_sources(urls)
    path = Path(sources_file) if sources_file else default_sources_path()
    sources = load_sources(path)
    return select_sources(sources, names, path) if names is not None else sources
