"""scrapy-redis' dupefilter with fingerprints that expire: a monitoring crawl must see a page again some day."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Self

from scrapy_redis.dupefilter import RFPDupeFilter

from crawler.distributed.link import redis_from_settings

if TYPE_CHECKING:
    from redis import Redis
    from scrapy import Request, Spider


class ExpiringDupeFilter(RFPDupeFilter):  # type: ignore[misc]
    """A request is a duplicate when its fingerprint was seen in the current or the previous period of
    ``DUPEFILTER_TTL`` seconds (default one day). Keys: ``<prefix>dupefilter:<period>``, expiring by themselves."""

    def __init__(self, server: Redis, key: str, debug: bool = False, ttl: int = 86400) -> None:
        super().__init__(server, key=key, debug=debug)
        self.ttl = max(1, ttl)

    @classmethod
    def from_spider(cls, spider: Spider) -> Self:
        settings = spider.settings
        return cls(redis_from_settings(settings), key=settings.get("REDIS_KEY_PREFIX") + "dupefilter",
                   debug=settings.getbool("DUPEFILTER_DEBUG"), ttl=settings.getint("DUPEFILTER_TTL"))

    def request_seen(self, request: Request) -> bool:
        fingerprint = self.request_fingerprint(request)
        period = int(time.time() // self.ttl)
        current, previous = f"{self.key}:{period}", f"{self.key}:{period - 1}"
        with self.server.pipeline() as pipe:
            pipe.sismember(previous, fingerprint)
            pipe.sadd(current, fingerprint)
            pipe.expire(current, 2 * self.ttl)
            in_previous, added, _ = pipe.execute()
        return bool(in_previous) or added == 0

    def clear(self) -> None:
        for key in self.server.scan_iter(f"{self.key}:*"):
            self.server.delete(key)

    def close(self, reason: Any = "") -> None:
        """Keep the fingerprints: other workers share them (scrapy-redis' close would delete them)."""
