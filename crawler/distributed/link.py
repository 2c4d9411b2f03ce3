"""A worker's link to Redis: its identity, the key names, start messages, in-flight requests and acknowledgements."""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
import weakref
from typing import TYPE_CHECKING, Any, cast

from redis import Redis

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

INFLIGHT_META = "blockradar_inflight"
"""Request meta key holding the request's in-flight token (set by the queue's pop; spiders/worker.py repeats it)."""

# Pops the best request of the queue and records it as in flight for this worker, atomically.
POP_SCRIPT = """
local items = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #items == 0 then return false end
redis.call('ZREM', KEYS[1], items[1])
redis.call('HSET', KEYS[2], ARGV[1], items[2] .. '\\n' .. items[1])
return items[1]
"""
# Returns a dead worker's in-flight requests to the queue; only one reaper wins the RENAME.
REQUEUE_SCRIPT = """
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local value = entries[i + 1]
  local cut = string.find(value, '\\n', 1, true)
  redis.call('ZADD', KEYS[2], tonumber(string.sub(value, 1, cut - 1)), string.sub(value, cut + 1))
end
redis.call('DEL', KEYS[1])
return #entries / 2
"""


def redis_from_settings(settings: BaseSettings) -> Redis:
    url = settings.get("REDIS_URL")
    if not url:
        raise ValueError("REDIS_URL is not set (blockradar worker --redis URL sets it)")
    return Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10, health_check_interval=30)


class WorkerLink:
    """Identity and Redis keys of one worker process."""

    def __init__(self, redis: Redis, prefix: str, worker_id: str | None = None) -> None:
        self.redis = redis
        self.prefix = prefix
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._counter = 0
        self._pop = redis.register_script(POP_SCRIPT)
        self._requeue = redis.register_script(REQUEUE_SCRIPT)

    def key(self, name: str) -> str:
        return self.prefix + name

    @property
    def start_key(self) -> str:
        return self.key("start_urls")

    @property
    def queue_key(self) -> str:
        return self.key("requests")

    @property
    def inflight_key(self) -> str:
        return self.key(f"inflight:{self.worker_id}")

    @property
    def heartbeat_key(self) -> str:
        return self.key(f"worker:{self.worker_id}")

    # --- start messages (what the daemon enqueues) ---------------------------------------------------------
    def push_start(self, message: dict[str, Any]) -> None:
        self.redis.rpush(self.start_key, json.dumps(message, ensure_ascii=False))

    def pop_start(self, count: int) -> list[dict[str, Any]]:
        raw = cast("list[bytes]", self.redis.lpop(self.start_key, count) or [])
        messages = []
        for item in raw:
            try:
                messages.append(json.loads(item))
            except ValueError:
                logger.error("Dropping a malformed start message from %(key)s: %(item)r", {"key": self.start_key, "item": item[:200]})
        return messages

    # --- the request queue with in-flight bookkeeping ---------------------------------------------------------
    def pop_request(self, queue_key: str) -> tuple[bytes, str] | None:
        """Take the best request of the queue; returns (encoded request, in-flight token)."""
        self._counter += 1
        token = str(self._counter)
        data = self._pop(keys=[queue_key, self.inflight_key], args=[token])
        return (data, token) if data else None

    def ack(self, token: str) -> None:
        """The request with this token is done (its output written): forget it."""
        self.redis.hdel(self.inflight_key, token)

    def inflight(self) -> int:
        return int(self.redis.hlen(self.inflight_key))

    def requeue(self, inflight_key: str, queue_key: str) -> int:
        """Put every request of an in-flight hash back in the queue (atomic)."""
        return int(self._requeue(keys=[inflight_key, queue_key]))


_links: weakref.WeakKeyDictionary[Crawler, WorkerLink] = weakref.WeakKeyDictionary()


def worker_link(crawler: Crawler) -> WorkerLink:
    """The crawl's WorkerLink (one per crawler, created on first use)."""
    link = _links.get(crawler)
    if link is None:
        settings = crawler.settings
        link = WorkerLink(redis_from_settings(settings), settings.get("REDIS_KEY_PREFIX"),
                          settings.get("WORKER_ID") or None)
        _links[crawler] = link
    return link
