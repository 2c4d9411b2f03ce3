"""The downloader: Scrapy's, with the per-site concurrency limit kept under the asyncio reactor.

Scrapy's downloader counts a download against its site's limit (``CONCURRENT_REQUESTS_PER_DOMAIN``) in
``slot.transferring``, which the download adds itself to when it starts. Under the asyncio reactor (Scrapy 2.19),
starting the downloads queued for a site only schedules each as an asyncio task, and the loop that starts them runs to
its end before any task has: every request queued for the site goes at once. A crawl whose callbacks take a few
milliseconds (extraction) queues many between two turns of the event loop, so a site was sent up to 26 requests at
once against a limit of 4 (benchmarks/crawl.py), and the connection pool, which keeps as many connections as the
limit, closed the extra ones: three requests in four opened a new connection (a TLS handshake each on https).

Here a download counts against its site from the moment it is scheduled: its ``_wait_for_download`` coroutine is made
by a plain method that marks it transferring first (``_download`` marks it again, a set, and unmarks it when done).
tests/test_politeness.py checks the limit on a real crawl.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.core.downloader import Downloader as ScrapyDownloader

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from scrapy import Request
    from scrapy.core.downloader import Slot
    from scrapy.http import Response
    from twisted.internet.defer import Deferred


class Downloader(ScrapyDownloader):
    """Scrapy's downloader; a download counts against its site's concurrency from when it is scheduled."""

    def _wait_for_download(
        self, slot: Slot, request: Request, queue_dfd: Deferred[Response]
    ) -> Coroutine[Any, Any, None]:
        slot.transferring.add(request)  # before Scrapy's queue loop looks at the free places again
        return super()._wait_for_download(slot, request, queue_dfd)
