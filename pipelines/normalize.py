"""NormalizePipeline: canonical URL, domain, id, clean text and ISO dates (see crawler/normalize.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from crawler.normalize import normalize_article

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.items import Article


class NormalizePipeline:
    """Normalize every Article in place. No settings."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls()

    def process_item(self, item: Article) -> Article:
        return normalize_article(item)
