"""Redis state store: the memory shared by distributed workers (``STATE_URL=redis://host:port/db``).

Keys (prefix ``STATE_REDIS_PREFIX``, default ``blockradar:``):
``validators`` (hash url -> json), ``story:<id>`` (hash), ``hash:<content hash>`` (story id), ``band:<key>`` (set of
story ids), ``run:seq`` (counter), ``run:<id>`` (hash), ``runs`` and ``runs:<source>`` (sorted sets by start time).

Dedup decisions are atomic across workers: ``remember`` WATCHes the story, content-hash and band keys it read and
writes in MULTI/EXEC; when another worker changed any of them in between, it reads again and decides again. Two
workers meeting two copies of one story at once therefore write it once. Lost connections are retried with
back-off (``STATE_REDIS_RETRY_SECONDS`` in total) before the error is raised.
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any, TypeVar

import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.exceptions import WatchError

from crawler.state.base import Decision, RunRecord, StateStore, StoryState, Validators

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

logger = logging.getLogger(__name__)
T = TypeVar("T")
# Validators written per HSET: a crawl saves thousands at its end, in commands of a bounded size.
_VALIDATOR_BATCH = 1000
_STORY_FIELDS = ("content_hash", "version", "signature", "language", "title", "url", "first_seen", "last_seen")


def retrying(operation: Callable[[], T], url: str, retry_seconds: float) -> T:
    """Run ``operation``, retrying with back-off (0.5 s doubling to 10 s) while Redis at ``url`` is unreachable,
    for ``retry_seconds`` in total; then the error is raised."""
    delay, waited = 0.5, 0.0
    while True:
        try:
            return operation()
        except (RedisConnectionError, RedisTimeoutError) as exc:
            if waited >= retry_seconds:
                raise
            logger.warning("Redis at %(url)s unreachable (%(exc)s): retrying in %(d).1f s",
                           {"url": url, "exc": exc, "d": delay})
            time.sleep(delay)
            waited += delay
            delay = min(delay * 2, 10.0)


def text_of(value: object) -> str:
    """A key or value as Redis returns it (bytes) as text."""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _story(story_id: str, raw: Mapping[Any, Any]) -> StoryState | None:
    if not raw:
        return None
    value = {text_of(k): v for k, v in raw.items()}
    return StoryState(
        id=story_id,
        content_hash=value["content_hash"].decode(),
        version=int(value["version"]),
        signature=value["signature"],
        language=value["language"].decode(),
        title=value["title"].decode("utf-8"),
        url=value["url"].decode("utf-8"),
        first_seen=float(value["first_seen"]),
        last_seen=float(value["last_seen"]),
        pending=value["pending"].decode() if value.get("pending") else "",
    )


class RedisStateStore(StateStore):
    """State in Redis, shared by any number of processes on any number of machines."""

    def __init__(self, url: str, prefix: str = "blockradar:", retry_seconds: float = 60.0) -> None:
        self.url = url
        self.prefix = prefix
        self.retry_seconds = retry_seconds
        self.redis = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5, health_check_interval=30)

    def _key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def _retry(self, operation: Callable[[], T]) -> T:
        return retrying(operation, self.url, self.retry_seconds)

    # --- validators -------------------------------------------------------------------------------------
    def validators(self, url: str) -> Validators | None:
        raw = self._retry(lambda: self.redis.hget(self._key("validators"), url))
        if not raw:
            return None
        data = json.loads(raw)
        return Validators(data.get("etag", ""), data.get("last_modified", ""))

    def save_validators(self, validators: Mapping[str, Validators]) -> None:
        values = {url: json.dumps({"etag": v.etag, "last_modified": v.last_modified}) for url, v in validators.items()}
        urls = list(values)
        key = self._key("validators")

        def save(batch: dict[Any, str]) -> None:  # (redis types its keys as a union, which a dict[str, ...] is not)
            self._retry(lambda: self.redis.hset(key, mapping=batch))

        for begin in range(0, len(urls), _VALIDATOR_BATCH):  # a command a batch, never one huge command
            save({url: values[url] for url in urls[begin : begin + _VALIDATOR_BATCH]})

    # --- stories ----------------------------------------------------------------------------------------
    def story(self, story_id: str) -> StoryState | None:
        return _story(story_id, self._retry(lambda: self.redis.hgetall(self._key("story", story_id))))

    def remember(
        self,
        story_id: str,
        content_hash: str,
        bands: list[int],
        decide: Callable[[StoryState | None, StoryState | None, list[StoryState]], Decision],
        owner: str = "",
    ) -> Decision:
        return self._retry(lambda: self._remember(story_id, content_hash, bands, decide, owner))

    def owner_alive(self, token: str) -> bool:
        if token.startswith("w:"):  # a distributed worker: alive while its heartbeat key exists
            return bool(self.redis.exists(self._key("worker", token[2:])))
        return super().owner_alive(token)

    def confirm(self, owner: str, story_ids: list[str]) -> None:
        def confirm() -> None:
            for story_id in story_ids:
                key = self._key("story", story_id)
                if self.redis.hget(key, "pending") == owner.encode():
                    self.redis.hdel(key, "pending")

        self._retry(confirm)

    def _remember(
        self,
        story_id: str,
        content_hash: str,
        bands: list[int],
        decide: Callable[[StoryState | None, StoryState | None, list[StoryState]], Decision],
        owner: str = "",
    ) -> Decision:
        story_key = self._key("story", story_id)
        hash_key = self._key("hash", content_hash)
        band_keys = [self._key("band", format(b, "016x")) for b in bands]
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(story_key, hash_key, *band_keys)  # type: ignore[no-untyped-call]
                    existing = self.usable(_story(story_id, pipe.hgetall(story_key)), owner)
                    owner_id = pipe.get(hash_key)
                    holder = None
                    if owner_id and text_of(owner_id) != story_id:
                        holder = self.written(
                            _story(text_of(owner_id), pipe.hgetall(self._key("story", text_of(owner_id)))), owner)
                    candidate_ids: set[str] = set()
                    for key in band_keys:
                        candidate_ids.update(text_of(m) for m in pipe.smembers(key))
                    candidate_ids.discard(story_id)
                    candidates = [
                        s for cid in sorted(candidate_ids)
                        if (s := self.written(_story(cid, pipe.hgetall(self._key("story", cid))), owner)) is not None
                    ]
                    decision = decide(existing, holder, candidates)
                    pipe.multi()
                    if decision.emit:
                        self._write(pipe, decision, band_keys if decision.bands else [])
                        if owner:
                            pipe.hset(self._key("story", decision.story.id), "pending", owner)
                    elif existing is not None and decision.action == "unchanged":
                        pipe.hset(story_key, "last_seen", time.time())
                    pipe.execute()
                    return decision
                except WatchError:
                    logger.debug("Story %(id)s: another worker wrote a related story; deciding again", {"id": story_id})
                    continue

    def _write(self, pipe: Any, decision: Decision, band_keys: list[str]) -> None:
        story = decision.story
        story_key = self._key("story", story.id)
        pipe.hset(story_key, mapping={
            "content_hash": story.content_hash, "version": story.version, "signature": story.signature,
            "language": story.language, "title": story.title, "url": story.url,
            "first_seen": story.first_seen, "last_seen": story.last_seen,
        })
        pipe.set(self._key("hash", story.content_hash), story.id, nx=True)
        for key in band_keys:
            pipe.sadd(key, story.id)
        if decision.action == "new":
            pipe.incr(self._key("stories"))

    def story_count(self) -> int:
        return int(self._retry(lambda: self.redis.get(self._key("stories"))) or 0)

    # --- runs -----------------------------------------------------------------------------------------------
    def start_run(self, source: str, started: float) -> int:
        def start() -> int:
            run_id = int(self.redis.incr(self._key("run", "seq")))
            with self.redis.pipeline() as pipe:
                pipe.hset(self._key("run", str(run_id)), mapping={
                    "source": source, "started": started, "status": "running", "items": 0, "duplicates": 0,
                    "errors": 0, "pages": 0, "stats": "{}",
                })
                pipe.zadd(self._key("runs"), {str(run_id): started})
                pipe.zadd(self._key("runs", source), {str(run_id): started})
                pipe.execute()
            return run_id

        return self._retry(start)

    def finish_run(self, run: RunRecord) -> None:
        mapping: dict[Any, Any] = {  # redis-py types hash keys invariantly
            "finished": run.finished or 0, "status": run.status, "items": run.items, "duplicates": run.duplicates,
            "errors": run.errors, "pages": run.pages, "stats": json.dumps(run.stats, ensure_ascii=False, sort_keys=True),
        }
        self._retry(lambda: self.redis.hset(self._key("run", str(run.id)), mapping=mapping))

    def add_to_run(self, run_id: int, **counts: int) -> None:
        """Add to a run's counters (distributed workers report the items of a run enqueued by the daemon)."""
        def add() -> None:
            with self.redis.pipeline() as pipe:
                for name, value in counts.items():
                    pipe.hincrby(self._key("run", str(run_id)), name, value)
                pipe.execute()

        self._retry(add)

    def runs(self, source: str | None = None, limit: int = 100) -> list[RunRecord]:
        index = self._key("runs", source) if source is not None else self._key("runs")

        def read() -> list[RunRecord]:
            ids = [text_of(i) for i in self.redis.zrevrange(index, 0, limit - 1)]
            with self.redis.pipeline() as pipe:
                for run_id in ids:
                    pipe.hgetall(self._key("run", run_id))
                rows = pipe.execute()
            records = []
            for run_id, raw in zip(ids, rows, strict=True):
                if not raw:
                    continue
                value = {k.decode(): v.decode("utf-8") for k, v in raw.items()}
                finished = float(value.get("finished") or 0) or None
                records.append(RunRecord(
                    id=int(run_id), source=value["source"], started=float(value["started"]), finished=finished,
                    status=value["status"], items=int(value.get("items", 0)), duplicates=int(value.get("duplicates", 0)),
                    errors=int(value.get("errors", 0)), pages=int(value.get("pages", 0)),
                    stats=json.loads(value.get("stats") or "{}"),
                ))
            return records

        return self._retry(read)

    def close(self) -> None:
        self.redis.close()
