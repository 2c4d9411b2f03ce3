"""scrapy-redis' priority queue, with each pop recorded as in flight for the worker that took the request."""

from __future__ import annotations

from typing import Any

from scrapy_redis.queue import PriorityQueue

from crawler.distributed.link import INFLIGHT_META, worker_link


class ReliablePriorityQueue(PriorityQueue):  # type: ignore[misc]
    """A request leaves the queue and enters this worker's in-flight hash in one Lua script; the worker
    acknowledges it when its output is written (crawler/distributed/recovery.py), and a dead worker's in-flight
    requests go back to the queue."""

    def pop(self, timeout: int = 0) -> Any:
        taken = worker_link(self.spider.crawler).pop_request(self.key)
        if taken is None:
            return None
        data, token = taken
        request = self._decode_request(data)
        request.meta[INFLIGHT_META] = token
        return request
