"""What events are made of: the article reference (the part of an output record clustering reads) and the event.

An event is one state action against one or more platforms in one country: a threat, a block, a throttling, a
removal, a shutdown, or a lifting. Its record (``Event.to_record()``) is the line written to ``events.jsonl`` and
is described by ``crawler/events/event.schema.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from crawler.items import Article

EVENT_SCHEMA_VERSION = 1

ANNOUNCED, IN_FORCE, LIFTED = "announced", "in_force", "lifted"
STATUSES = (ANNOUNCED, IN_FORCE, LIFTED)
"""Event statuses: threatened or ordered but not yet done; in force; lifted."""

ANNOUNCED_ACTIONS = frozenset({"threat", "legal_action"})
IN_FORCE_ACTIONS = frozenset(
    {"block", "throttle", "feature_restriction", "app_store_removal", "registry_removal", "shutdown"}
)
LIFT_ACTIONS = frozenset({"unblock"})
INTERNET = "internet"

MAX_ARTICLE_DETAILS = 100
"""Articles listed with their details in an event record (``article_ids`` lists them all)."""


@lru_cache(maxsize=4096)
def parse_time(value: str) -> datetime:
    """An ISO 8601 time as an aware datetime (UTC assumed when it has no offset)."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso_utc(when: datetime) -> str:
    """ISO 8601 in UTC, to the second: ``2026-02-12T09:30:00+00:00``."""
    return when.astimezone(UTC).replace(microsecond=0).isoformat()


def article_phase(actions: list[str] | tuple[str, ...]) -> str:
    """The status an article's actions report: an unblock lifts, any restriction is in force, else announced."""
    codes = set(actions)
    if codes & LIFT_ACTIONS:
        return LIFTED
    if codes & IN_FORCE_ACTIONS:
        return IN_FORCE
    return ANNOUNCED


@dataclass(frozen=True)
class ArticleRef:
    """The fields of one classified article that clustering and the event record use."""

    id: str
    url: str
    title: str
    date: str
    """When the article was published (else fetched), ISO 8601 in UTC: the time the clustering window reads."""
    source: str = ""
    domain: str = ""
    language: str = ""
    published: str | None = None
    relevance: float = 0.0
    platforms: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    authorities: tuple[str, ...] = ()

    @property
    def when(self) -> datetime:
        return parse_time(self.date)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ArticleRef:
        """From an output record (or any mapping with its fields). Raises ValueError when it has no usable date."""
        raw = record.get("published") or record.get("fetched_at") or ""
        try:
            date = iso_utc(parse_time(str(raw)))
        except ValueError as exc:
            raise ValueError(f"article {record.get('id')!r}: no usable date (published/fetched_at {raw!r})") from exc
        return cls(
            id=str(record["id"]), url=str(record.get("canonical_url") or record.get("url") or ""),
            title=str(record.get("title") or ""), date=date, source=str(record.get("source") or ""),
            domain=str(record.get("domain") or ""), language=str(record.get("language") or ""),
            published=record.get("published"), relevance=float(record.get("relevance") or 0.0),
            platforms=tuple(record.get("platforms") or ()), countries=tuple(record.get("countries") or ()),
            actions=tuple(record.get("actions") or ()), authorities=tuple(record.get("authorities") or ()),
        )

    @classmethod
    def from_item(cls, item: Article) -> ArticleRef:
        """From an Article item of the crawl."""
        return cls.from_record({f.name: getattr(item, f.name) for f in fields(item)})


@dataclass
class ArticleSummary:
    """An article as an event lists it: enough to link to it and to choose the event's title."""

    id: str
    url: str
    title: str
    date: str
    source: str = ""
    domain: str = ""
    language: str = ""
    published: str | None = None
    relevance: float = 0.0
    actions: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, article: ArticleRef) -> ArticleSummary:
        return cls(id=article.id, url=article.url, title=article.title, date=article.date, source=article.source,
                   domain=article.domain, language=article.language, published=article.published,
                   relevance=round(article.relevance, 4), actions=sorted(set(article.actions)))

    @property
    def phase(self) -> str:
        return article_phase(self.actions)

    def to_record(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class Event:
    """One state action against platforms in one country, backed by the articles that report it."""

    event_id: str
    country: str
    action: str
    """The action code of the article that opened the event (its kind: threat, block, throttle ...)."""
    status: str
    first_seen: str
    last_seen: str
    status_since: str
    """Date of the first article reporting the current status (e.g. the lifting)."""
    title: str = ""
    version: int = 1
    platforms: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    authorities: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    article_ids: list[str] = field(default_factory=list)
    articles: list[ArticleSummary] = field(default_factory=list)
    related_event_ids: list[str] = field(default_factory=list)
    updated_at: str = ""
    schema_version: int = EVENT_SCHEMA_VERSION

    @property
    def first(self) -> datetime:
        return parse_time(self.first_seen)

    @property
    def last(self) -> datetime:
        return parse_time(self.last_seen)

    def copy(self) -> Event:
        """A copy whose lists may be changed without touching this event."""
        return replace(
            self, platforms=list(self.platforms), actions=list(self.actions), authorities=list(self.authorities),
            sources=list(self.sources), article_ids=list(self.article_ids),
            articles=[replace(a, actions=list(a.actions)) for a in self.articles],
            related_event_ids=list(self.related_event_ids),
        )

    def to_record(self) -> dict[str, Any]:
        """The JSON object of ``events.jsonl`` (``event.schema.json``)."""
        return {
            "schema_version": self.schema_version,
            "event_id": self.event_id,
            "version": self.version,
            "status": self.status,
            "country": self.country,
            "platforms": self.platforms,
            "action": self.action,
            "actions": self.actions,
            "authorities": self.authorities,
            "title": self.title,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "status_since": self.status_since,
            "updated_at": self.updated_at,
            "article_count": len(self.article_ids),
            "article_ids": self.article_ids,
            "sources": self.sources,
            "articles": [a.to_record() for a in self.articles],
            "related_event_ids": self.related_event_ids,
        }

    def content(self) -> dict[str, Any]:
        """The record without its version and write time: what decides whether a change is worth a new version."""
        record = self.to_record()
        del record["version"], record["updated_at"]
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Event:
        names = {f.name for f in fields(ArticleSummary)}
        return cls(
            event_id=record["event_id"], country=record["country"], action=record["action"],
            status=record["status"], first_seen=record["first_seen"], last_seen=record["last_seen"],
            status_since=record["status_since"], title=record.get("title", ""), version=int(record["version"]),
            platforms=list(record.get("platforms", [])), actions=list(record.get("actions", [])),
            authorities=list(record.get("authorities", [])), sources=list(record.get("sources", [])),
            article_ids=list(record.get("article_ids", [])),
            articles=[ArticleSummary(**{k: v for k, v in a.items() if k in names}) for a in record.get("articles", [])],
            related_event_ids=list(record.get("related_event_ids", [])), updated_at=record.get("updated_at", ""),
            schema_version=int(record.get("schema_version", EVENT_SCHEMA_VERSION)),
        )
