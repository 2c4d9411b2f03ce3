"""RunIdMiddleware: requests found while crawling a source inherit its run id and source description, so any
worker that takes them can count their items for the daemon's run and knows the source."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from scrapy import Request

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from scrapy.crawler import Crawler
    from scrapy.http import Response

_CARRIED = ("run_id", "source_spec")


class RunIdMiddleware:
    """Spider middleware; no settings."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls()

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for output in result:
            if isinstance(output, Request):
                for key in _CARRIED:
                    if key in response.meta and key not in output.meta:
                        output.meta[key] = response.meta[key]
            yield output

    def process_spider_output(self, response: Response, result: Any) -> Any:
        for output in result:
            if isinstance(output, Request):
                for key in _CARRIED:
                    if key in response.meta and key not in output.meta:
                        output.meta[key] = response.meta[key]
            yield output
