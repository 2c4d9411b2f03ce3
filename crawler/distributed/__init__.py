"""Distributed crawling on Redis with scrapy-redis: one request queue, one dupefilter, one memory.

scrapy-redis 0.9 is used as it is, adapted by small subclasses for Scrapy 2.19:

- ``scheduler.Scheduler``: scrapy-redis' scheduler without its deprecated ``stats.inc_value(spider=...)`` calls, and
  with requests kept in the worker while Redis is away instead of crashing the crawl;
- ``queue.ReliablePriorityQueue``: scrapy-redis' priority queue whose pop also records the request as in flight
  for this worker (one Lua script, so a request is never in neither place);
- ``dupefilter.ExpiringDupeFilter``: scrapy-redis' dupefilter with fingerprints forgotten after ``DUPEFILTER_TTL``,
  so a recurring crawl may fetch a page again on a later day;
- ``recovery.WorkerRecovery``: heartbeat of the worker, acknowledgement of finished requests, and the return to the
  queue of the requests a dead worker had taken;
- ``spiders/worker.py``: the RedisSpider-style worker, whose ``async def start()`` polls the start queue forever
  with back-off (Scrapy 2.19 never calls ``start_requests()``, which scrapy-redis' mixin relies on).

Key names: ``REDIS_KEY_PREFIX`` (``blockradar:``) + ``start_urls``, ``requests``, ``dupefilter:<day>``,
``inflight:<worker>``, ``worker:<worker>``; the state store adds its own (crawler/state/redis.py).
"""
