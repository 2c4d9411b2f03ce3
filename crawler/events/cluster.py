"""Which event an article reports: pure rules over the article's tags and the country's recent events.

An article (relevant, classified) reports, for each of its countries, one *phase* of a state action:

- ``announced``: only ``threat`` / ``legal_action`` (a warning, a fine, a court order not yet carried out);
- ``in_force``: ``block``, ``registry_removal``, ``app_store_removal``, ``throttle``, ``feature_restriction`` or
  ``shutdown``;
- ``lifted``: ``unblock`` (it wins over the others: a lifting story also names the block it ends).

Its *targets* are its platforms without ``internet`` (kept only when it is the sole target: a shutdown). The article
joins the best event of the same country whose platforms share a target and that is compatible:

- announced joins an announced event within the window (``EVENTS_WINDOW_DAYS``, 21 days, before the event's first
  or after its last article);
- in force joins an event of the same kind (block + registry removal; throttle + feature restriction; app store
  removal; shutdown) within the window that is in force, or lifted after the article's date (late coverage; also a
  lifting whose restriction had not been seen, which then takes the article's kind);
- lifted turns the most recent in-force event into a lifted one (its last article at most ``EVENTS_LINK_DAYS``,
  180 days, before), or joins a lifted event within the window.

Otherwise it opens a new event. A new in-force event is linked (``related_event_ids``, both ways) with the latest
announced event of its platforms within ``EVENTS_LINK_DAYS`` (a threat and its implementation) and with the latest
in-force event of another kind (an escalation); a new announced event with the first in-force event after it (the
same, when articles arrive out of order). A block months after an earlier one is a new event: the window has passed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from crawler.events.model import (
    ANNOUNCED,
    ANNOUNCED_ACTIONS,
    IN_FORCE,
    IN_FORCE_ACTIONS,
    INTERNET,
    LIFTED,
    MAX_ARTICLE_DETAILS,
    ArticleSummary,
    Event,
    article_phase,
    parse_time,
)

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from crawler.events.model import ArticleRef

FAMILY = {
    "block": "block", "registry_removal": "block", "app_store_removal": "app_store_removal",
    "throttle": "restrict", "feature_restriction": "restrict", "shutdown": "shutdown",
    "threat": ANNOUNCED, "legal_action": ANNOUNCED, "unblock": LIFTED,
}
"""Kinds of action: articles of one event may use any code of its kind (the classifier mixes them)."""
# The code that names a new in-force event about platforms, most specific first.
_IN_FORCE_ORDER = ("registry_removal", "block", "app_store_removal", "feature_restriction", "throttle")
# Against whole internet access, these are all a shutdown.
_SHUTDOWN_LIKE = frozenset({"block", "shutdown", "registry_removal", "app_store_removal"})
_AUTHORITY_BONUS = 0.25


@dataclass(frozen=True)
class ClusterConfig:
    """The two time limits of clustering (settings ``EVENTS_WINDOW_DAYS`` and ``EVENTS_LINK_DAYS``)."""

    window_days: float = 21.0
    link_days: float = 180.0

    def __post_init__(self) -> None:
        if self.window_days <= 0:
            raise ValueError(f"EVENTS_WINDOW_DAYS must be positive, not {self.window_days!r}")
        if self.link_days < self.window_days:
            raise ValueError(f"EVENTS_LINK_DAYS ({self.link_days!r}) must be at least EVENTS_WINDOW_DAYS "
                             f"({self.window_days!r})")

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.window_days)

    @property
    def link(self) -> timedelta:
        return timedelta(days=self.link_days)


@dataclass(frozen=True)
class Signal:
    """What one article says for clustering."""

    phase: str
    action: str
    """The code an event opened by this article gets."""
    families: frozenset[str]
    """The kinds of the article's actions: the events of these kinds it may join."""
    targets: frozenset[str]


@dataclass
class Change:
    """An event created or changed by one article (its new version)."""

    event: Event
    created: bool = False
    previous_status: str | None = None
    """The status before this change, when the change made it another."""

    @property
    def alert_kind(self) -> str | None:
        """``new_event`` or ``status_change`` when this change is worth an alert, else None."""
        if self.created:
            return "new_event"
        if self.previous_status is not None and self.previous_status != self.event.status:
            return "status_change"
        return None


def targets_of(platforms: Iterable[str]) -> frozenset[str]:
    """The platforms an article's events are about: its platforms without 'internet', unless that is all it names.
    Only events sharing one of them can take the article or be linked to its event (``_compatible``, ``_to_link``)."""
    named = set(platforms)
    return frozenset(named - {INTERNET} or named)


def read_signal(article: ArticleRef) -> Signal | None:
    """The article's phase, action kinds and targets; None when it names no platform or no action."""
    actions = set(article.actions)
    platforms = set(article.platforms)
    phase = article_phase(article.actions)
    if not platforms or not actions & (ANNOUNCED_ACTIONS | IN_FORCE_ACTIONS | {"unblock"}):
        return None
    targets = targets_of(platforms)
    if phase == LIFTED:
        return Signal(LIFTED, "unblock", frozenset({LIFTED}), targets)
    if phase == ANNOUNCED:
        return Signal(ANNOUNCED, "threat" if "threat" in actions else "legal_action", frozenset({ANNOUNCED}), targets)
    in_force = actions & IN_FORCE_ACTIONS
    if targets == {INTERNET}:
        codes = {"shutdown" if a in _SHUTDOWN_LIKE else a for a in in_force}
        action = "shutdown" if "shutdown" in codes else min(codes)
    else:
        codes = (in_force - {"shutdown"}) or {"block"}  # a platform 'shut down' by a state is blocked
        action = next(a for a in _IN_FORCE_ORDER if a in codes)
    return Signal(IN_FORCE, action, frozenset(FAMILY[a] for a in codes), targets)


def new_event_id(country: str, action: str, article_id: str) -> str:
    """16 hex digits of the SHA-256 of the event's country, kind and first article: stable across stores."""
    return hashlib.sha256(f"{country}|{FAMILY[action]}|{article_id}".encode()).hexdigest()[:16]


def place(article: ArticleRef, country: str, candidates: list[Event], config: ClusterConfig,
          now: str = "") -> list[Change]:
    """The events ``article`` creates or changes in ``country``, given the country's events it may concern
    (those with an article less than ``link_days + window_days`` before it, and those it already belongs to).
    ``candidates`` are not modified; the changes carry new versions stamped ``now``."""
    members = [e for e in candidates if article.id in e.article_ids]
    if members:
        return _refresh(article, members, now)
    signal = read_signal(article)
    if signal is None:
        return []
    same = [e for e in candidates if e.country == country]
    target = _best_match(article, signal, same, config)
    if target is not None:
        event = target.copy()
        previous = event.status
        _add(event, article, signal)
        if event.action == "unblock" and signal.phase == IN_FORCE:
            event.action = signal.action  # the restriction a lifting ended, read late: now the event's kind
        if signal.phase == LIFTED and previous == IN_FORCE:
            event.status = LIFTED
        _finish(event, now)
        return [Change(event, previous_status=previous if event.status != previous else None)]
    event = Event(
        event_id=new_event_id(country, signal.action, article.id), country=country, action=signal.action,
        status=signal.phase, first_seen=article.date, last_seen=article.date, status_since=article.date, version=0,
    )
    _add(event, article, signal)
    _finish(event, now)
    changes = [Change(event, created=True)]
    for other in _to_link(article, signal, same, config):
        linked = other.copy()
        event.related_event_ids = sorted({*event.related_event_ids, linked.event_id})
        linked.related_event_ids = sorted({*linked.related_event_ids, event.event_id})
        _finish(linked, now)
        changes.append(Change(linked))
    return changes


def cluster(articles: Iterable[ArticleRef], config: ClusterConfig | None = None, now: str = "") -> list[Event]:
    """Cluster articles in the order given, in memory (tests, benchmarks): the events, oldest first."""
    config = config or ClusterConfig()
    events: dict[str, Event] = {}
    for article in articles:
        for country in dict.fromkeys(article.countries):
            candidates = [e for e in events.values() if e.country == country]
            for change in place(article, country, candidates, config, now):
                events[change.event.event_id] = change.event
    return sorted(events.values(), key=lambda e: (e.first_seen, e.event_id))


def _near(event: Event, when: datetime, window: timedelta) -> bool:
    return event.first - window <= when <= event.last + window


def _compatible(event: Event, article: ArticleRef, signal: Signal, config: ClusterConfig) -> bool:
    if not signal.targets & set(event.platforms):
        return False
    when, window = article.when, config.window
    if signal.phase == ANNOUNCED:
        return event.status == ANNOUNCED and _near(event, when, window)
    if signal.phase == IN_FORCE:
        if FAMILY[event.action] not in (*signal.families, LIFTED):
            return False
        if event.status == IN_FORCE:
            return _near(event, when, window)
        # a lifted event still takes reports of the restriction dated before its lifting (also one whose block it
        # had not seen: the lifting was crawled first)
        reach = config.link if event.action == "unblock" else window  # as a lifting reaches back to its block
        return event.status == LIFTED and event.first - reach <= when <= parse_time(event.status_since)
    if event.status == LIFTED:
        return _near(event, when, window)
    return event.status == IN_FORCE and event.first - window <= when <= event.last + config.link


def _score(event: Event, article: ArticleRef, signal: Signal) -> float:
    platforms = set(event.platforms)
    shared = len(platforms & signal.targets) / len(platforms | signal.targets)
    return shared + (_AUTHORITY_BONUS if set(event.authorities) & set(article.authorities) else 0.0)


def _best_match(article: ArticleRef, signal: Signal, events: list[Event], config: ClusterConfig) -> Event | None:
    fitting = [e for e in events if _compatible(e, article, signal, config)]
    if not fitting:
        return None
    if signal.phase == LIFTED:  # the latest restriction is the one lifted
        return max(fitting, key=lambda e: (e.last, _score(e, article, signal), e.event_id))
    return max(fitting, key=lambda e: (_score(e, article, signal), e.last, e.event_id))


def _to_link(article: ArticleRef, signal: Signal, events: list[Event], config: ClusterConfig) -> list[Event]:
    """The events a new event opened by ``article`` is related to (see the module docstring)."""
    when = article.when
    near = [e for e in events if signal.targets & set(e.platforms)]
    found: list[Event] = []
    if signal.phase == IN_FORCE:
        before = [e for e in near if when - config.link <= e.last and e.first <= when + config.window]
        threats = [e for e in before if e.status == ANNOUNCED]
        other_kinds = [e for e in before if e.status == IN_FORCE and FAMILY[e.action] not in signal.families]
        found += [max(group, key=lambda e: (e.last, e.event_id)) for group in (threats, other_kinds) if group]
    elif signal.phase == ANNOUNCED:
        after = [e for e in near if e.status != ANNOUNCED and FAMILY[e.action] != LIFTED
                 and when - config.window <= e.first <= when + config.link]
        if after:
            found.append(min(after, key=lambda e: (e.first, e.event_id)))
    return found


def _add(event: Event, article: ArticleRef, signal: Signal) -> None:
    event.article_ids.append(article.id)
    if len(event.articles) < MAX_ARTICLE_DETAILS:
        event.articles.append(ArticleSummary.of(article))
    event.platforms = sorted({*event.platforms, *signal.targets})
    event.actions = sorted({*event.actions, *article.actions})
    event.authorities = sorted({*event.authorities, *article.authorities})
    event.sources = sorted({*event.sources, article.source} - {""})
    event.first_seen = min(event.first_seen, article.date, key=parse_time)
    event.last_seen = max(event.last_seen, article.date, key=parse_time)


def _refresh(article: ArticleRef, members: list[Event], now: str) -> list[Change]:
    """A changed version of an article already in events: refresh its details there (it is not moved)."""
    changes = []
    for member in members:
        event = member.copy()
        before = event.content()
        event.articles = [ArticleSummary.of(article) if a.id == article.id else a for a in event.articles]
        _finish(event, now, bump=False)
        if event.content() != before:
            event.version += 1
            changes.append(Change(event))
    return changes


def _finish(event: Event, now: str, *, bump: bool = True) -> None:
    """Recompute the title and status date; new version stamped ``now``."""
    pool = [a for a in event.articles if a.phase == event.status] or event.articles
    if pool:
        best = max(pool, key=lambda a: (a.language == "en", a.relevance, -parse_time(a.date).timestamp(), a.id))
        event.title = best.title
        event.status_since = min((a.date for a in pool), key=parse_time)
    if bump:
        event.version += 1
    event.updated_at = now or event.updated_at
