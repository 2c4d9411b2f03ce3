"""Where events live: next to the crawl's state (``STATE_URL``), in tables or keys of their own.

- ``sqlite:`` the tables ``events``, ``event_articles`` and ``event_alerts`` in the state file (``crawler/events/sqlite.py``);
- ``redis://`` keys ``<prefix>events:*`` and ``<prefix>alerts:*`` (``crawler/events/redis.py``).

Placing an article is atomic per country across processes: the country's recent events are read, the clustering
rules decide, and the changed events (and their alerts) are written in one transaction, so two crawls meeting two
reports of one block make one event. Alerts are an outbox: written with the change that causes them, keyed
``<event_id>:<status>`` so each new event and each status change has exactly one, then delivered and marked.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from crawler.events.cluster import Change, ClusterConfig, place, targets_of
from crawler.events.model import Event, iso_utc
from crawler.state import DEFAULT_STATE_PATH, state_path

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from crawler.events.model import ArticleRef

PENDING, SENT, FAILED = "pending", "sent", "failed"


@dataclass
class Alert:
    """One notification to deliver: a new event or a status change, with the event as it was then."""

    key: str
    """``<event_id>:<status>``: one alert per event and status, whatever re-runs happen."""
    kind: str
    """``new_event`` or ``status_change``."""
    event_id: str
    status: str
    previous_status: str | None
    created: float
    event: dict[str, Any]
    """The event record (``event.schema.json``) of the version that caused the alert."""
    state: str = PENDING
    delivered: list[str] = field(default_factory=list)
    """Ids of the channels that have it (a channel is never sent an alert twice)."""
    attempts: int = 0

    @classmethod
    def of(cls, change: Change, created: float) -> Alert:
        kind = change.alert_kind
        if kind is None:
            raise ValueError(f"change of event {change.event.event_id} is not worth an alert")
        event = change.event
        return cls(key=f"{event.event_id}:{event.status}", kind=kind, event_id=event.event_id, status=event.status,
                   previous_status=change.previous_status, created=created, event=event.to_record())

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> Alert:
        return cls(**json.loads(text))


def platform_key(platform: str) -> str:
    """A platform as the stores index it: between unit separators, so that looking for one in an event's list never
    matches part of another ('X' in 'X (Twitter)')."""
    return f"\x1f{platform}\x1f"


class EventCache:
    """The latest decoded events a process has seen, by id and version, so that placing an article decodes only the
    candidate events that changed since (an event record lists all its articles: decoding every candidate of a
    country for every article made a long crawl quadratic). A version identifies an event's content: every write
    of an event raises it.

    Bounded by weight, least recently used out first: an event weighs one, plus one for each article it details
    (they are most of its memory, up to ``MAX_ARTICLE_DETAILS``), plus one for every eight article ids. The default
    budget holds the ~5,000 events in reach of a 20,000-article crawl (~1.3 KB of memory a unit: ~20 MB at
    most); 512 events, the bound before, made a third of the placements decode most of their candidates again."""

    def __init__(self, budget: int = 16_384) -> None:
        self.budget = budget
        self._events: OrderedDict[str, tuple[Event, int]] = OrderedDict()
        self._weight = 0

    def get(self, event_id: str, version: int) -> Event | None:
        entry = self._events.get(event_id)
        if entry is None or entry[0].version != version:
            return None
        self._events.move_to_end(event_id)
        return entry[0]

    def put(self, event: Event) -> None:
        """Remember ``event`` (not to be changed afterwards: clustering copies the events it changes)."""
        weight = 1 + len(event.articles) + len(event.article_ids) // 8
        old = self._events.pop(event.event_id, None)
        if old is not None:
            self._weight -= old[1]
        self._events[event.event_id] = (event, weight)
        self._weight += weight
        while self._weight > self.budget and len(self._events) > 1:
            self._weight -= self._events.popitem(last=False)[1][1]

    def decode(self, record: str | bytes) -> Event:
        """The event of a stored JSON record, remembered."""
        event = Event.from_record(json.loads(record))
        self.put(event)
        return event

    def __len__(self) -> int:
        return len(self._events)


class EventStore(ABC):
    """Events, the index of their articles, and the alert outbox."""

    url: str

    def place(self, article: ArticleRef, config: ClusterConfig, now: datetime, *, alerts: bool = False) -> list[Change]:
        """Cluster ``article`` into the events of each of its countries; returns the changes written. With
        ``alerts``, a new event or a status change also queues its alert (in the same transaction)."""
        stamp = iso_utc(now)
        since = article.when - config.link - config.window
        targets = targets_of(article.platforms)
        changes: list[Change] = []
        for country in dict.fromkeys(article.countries):

            def decide(candidates: list[Event], country: str = country) -> list[Change]:
                return place(article, country, candidates, config, stamp)

            changes += self._place(country, article.id, since.timestamp(), decide,
                                   now.timestamp() if alerts else None, targets)
        return changes

    @abstractmethod
    def _place(self, country: str, article_id: str, since: float,
               decide: Callable[[list[Event]], list[Change]], alert_time: float | None,
               targets: frozenset[str] = frozenset()) -> list[Change]:
        """Atomically: read the events of ``country`` whose last article is after ``since`` and those holding
        ``article_id``; ``decide(candidates)``; write the changes (with an alert each when ``alert_time`` is set).
        A store may leave out the events of ``country`` that share none of ``targets`` (``targets_of`` the
        article's platforms): clustering never uses them."""

    @abstractmethod
    def events(self) -> list[Event]:
        """Every event, latest version, most recently active first."""

    @abstractmethod
    def event(self, event_id: str) -> Event | None:
        """One event, or None."""

    @abstractmethod
    def claim_alerts(self, owner: str, now: float, lease: float, limit: int = 100) -> list[Alert]:
        """Pending alerts nobody is delivering, oldest first, taken for ``lease`` seconds by ``owner``."""

    @abstractmethod
    def finish_alert(self, alert: Alert, hold: float = 0.0) -> None:
        """Save an alert's state, delivered channels and attempts, and release it (a pending one only after
        ``hold`` seconds: it waits for the next pass)."""

    @abstractmethod
    def alerts(self) -> list[Alert]:
        """Every alert, oldest first (tests, inspection)."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""


def open_event_store(url: str) -> EventStore:
    """The event store of a STATE_URL (empty: ./data/state.db, as the state store). Raises ValueError."""
    url = url.strip() or f"sqlite:{DEFAULT_STATE_PATH}"
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        from crawler.events.sqlite import SQLiteEventStore  # noqa: PLC0415

        return SQLiteEventStore(state_path(url))
    if scheme in ("redis", "rediss", "unix"):
        from crawler.events.redis import RedisEventStore  # noqa: PLC0415 - needs the [distributed] extra

        return RedisEventStore(url)
    raise ValueError(f"STATE_URL {url!r}: unknown scheme {scheme!r} (use sqlite:///path.db or redis://host:port/db)")
