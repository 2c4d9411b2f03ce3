"""Redis event store (``STATE_URL=redis://...``): events shared by distributed workers.

Keys (prefix ``blockradar:``, as the state store's): ``events:data`` (hash event id -> JSON record),
``events:version`` (hash event id -> version: a process decodes only the records it has not seen at that version),
``events:platforms`` (hash event id -> its platforms, each between unit separators: a placement reads only the events
that share a platform with the article),
``events:country:<CC>`` (sorted set of event ids by the time of their last article), ``events:seq:<CC>`` (a counter
every change of the country's events increments), ``events:article:<id>`` (set of the events an article is in),
``alerts:data`` (hash key -> JSON alert), ``alerts:pending`` (sorted set by creation time) and ``alerts:lock:<key>``
(the lease of the process delivering it).

A placement WATCHes the country's counter and the article's set, reads, decides and writes in MULTI/EXEC; when
another worker changed the country's events in between, it reads again and decides again.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, TypeVar

import redis
from redis.exceptions import WatchError

from crawler.events.model import Event
from crawler.events.store import PENDING, Alert, EventCache, EventStore, platform_key
from crawler.state.redis import retrying, text_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from crawler.events.cluster import Change

logger = logging.getLogger(__name__)
T = TypeVar("T")


class RedisEventStore(EventStore):
    """Events in Redis, shared by any number of processes."""

    def __init__(self, url: str, prefix: str = "blockradar:", retry_seconds: float = 60.0) -> None:
        self.url = url
        self.prefix = prefix
        self.retry_seconds = retry_seconds
        self.redis = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5, health_check_interval=30)
        self._cache = EventCache()

    def _key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def _retry(self, operation: Callable[[], T]) -> T:
        return retrying(operation, self.url, self.retry_seconds)

    def _place(self, country: str, article_id: str, since: float,
               decide: Callable[[list[Event]], list[Change]], alert_time: float | None,
               targets: frozenset[str] = frozenset()) -> list[Change]:
        changes = self._retry(lambda: self._place_once(country, article_id, since, decide, alert_time, targets))
        for change in changes:
            self._cache.put(change.event)
        return changes

    def _place_once(self, country: str, article_id: str, since: float,
                    decide: Callable[[list[Event]], list[Change]], alert_time: float | None,
                    targets: frozenset[str]) -> list[Change]:
        data, seq = self._key("events", "data"), self._key("events", "seq", country)
        versions, platforms = self._key("events", "version"), self._key("events", "platforms")
        index, member_of = self._key("events", "country", country), self._key("events", "article", article_id)
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(seq, member_of)  # type: ignore[no-untyped-call]
                    members = {text_of(i) for i in pipe.smembers(member_of)}
                    in_reach = sorted({text_of(i) for i in pipe.zrangebyscore(index, since, "+inf")} - members
                                      if targets else ())
                    # those sharing a platform with the article (an event written before the index: all of them)
                    wanted = [platform_key(t) for t in targets]
                    shared = [i for i, known in zip(in_reach, pipe.hmget(platforms, in_reach) if in_reach else [],
                                                    strict=True)
                              if not known or any(w in text_of(known) for w in wanted)]
                    changes = decide(self._candidates(pipe, sorted({*members, *shared}), country))
                    pipe.multi()
                    for change in changes:
                        event = change.event
                        pipe.hset(data, event.event_id, json.dumps(event.to_record(), ensure_ascii=False))
                        pipe.hset(versions, event.event_id, event.version)
                        pipe.hset(platforms, event.event_id, "".join(map(platform_key, event.platforms)))
                        pipe.zadd(index, {event.event_id: event.last.timestamp()})
                        if article_id in event.article_ids:
                            pipe.sadd(member_of, event.event_id)
                        if alert_time is not None and change.alert_kind:
                            alert = Alert.of(change, alert_time)
                            pipe.hsetnx(self._key("alerts", "data"), alert.key, alert.to_json())
                            pipe.zadd(self._key("alerts", "pending"), {alert.key: alert_time}, nx=True)
                    pipe.incr(seq)
                    pipe.execute()
                    return changes
                except WatchError:
                    logger.debug("Events of %(country)s changed meanwhile: placing again", {"country": country})
                    continue

    def _candidates(self, pipe: redis.client.Pipeline, ids: list[str], country: str) -> list[Event]:
        """The events ``ids`` of ``country`` (in that order), decoded only when the cache lacks their version (events
        written before versions were kept are read in full)."""
        if not ids:
            return []
        known = pipe.hmget(self._key("events", "version"), ids)
        cached = {i: e for i, v in zip(ids, known, strict=True) if v and (e := self._cache.get(i, int(v)))}
        missing = [i for i in ids if i not in cached]
        raw = pipe.hmget(self._key("events", "data"), missing) if missing else []
        cached |= {i: self._cache.decode(r) for i, r in zip(missing, raw, strict=True) if r}
        return [e for i in ids if (e := cached.get(i)) is not None and e.country == country]

    def events(self) -> list[Event]:
        def read() -> list[Event]:
            events = [Event.from_record(json.loads(v)) for _, v in self.redis.hscan_iter(self._key("events", "data"))]
            return sorted(events, key=lambda e: (-e.last.timestamp(), e.event_id))

        return self._retry(read)

    def event(self, event_id: str) -> Event | None:
        raw = self._retry(lambda: self.redis.hget(self._key("events", "data"), event_id))
        return Event.from_record(json.loads(raw)) if raw else None

    def claim_alerts(self, owner: str, now: float, lease: float, limit: int = 100) -> list[Alert]:
        def claim() -> list[Alert]:
            pending = self._key("alerts", "pending")
            claimed = []
            for raw_key in self.redis.zrange(pending, 0, limit - 1):
                key = text_of(raw_key)
                lock = self._key("alerts", "lock", key)
                if not self.redis.set(lock, owner, nx=True, px=max(1, int(lease * 1000))):
                    continue  # another process is delivering it
                raw = self.redis.hget(self._key("alerts", "data"), key)
                alert = Alert.from_json(raw) if raw else None
                if alert is None or alert.state != PENDING:
                    self.redis.zrem(pending, key)
                    self.redis.delete(lock)
                    continue
                claimed.append(alert)
            return claimed

        return self._retry(claim)

    def finish_alert(self, alert: Alert, hold: float = 0.0) -> None:
        def finish() -> None:
            lock = self._key("alerts", "lock", alert.key)
            with self.redis.pipeline() as pipe:
                pipe.hset(self._key("alerts", "data"), alert.key, alert.to_json())
                if alert.state != PENDING:
                    pipe.zrem(self._key("alerts", "pending"), alert.key)
                if alert.state == PENDING and hold > 0:
                    pipe.set(lock, "hold", px=max(1, int(hold * 1000)))
                else:
                    pipe.delete(lock)
                pipe.execute()

        self._retry(finish)

    def alerts(self) -> list[Alert]:
        raw = self._retry(lambda: self.redis.hgetall(self._key("alerts", "data")))
        return sorted((Alert.from_json(v) for v in raw.values()), key=lambda a: (a.created, a.key))

    def close(self) -> None:
        self.redis.close()
