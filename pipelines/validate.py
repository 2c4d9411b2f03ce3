"""ValidatePipeline: every record written matches the published JSON Schema, or is dropped with the reason.

Settings: ``VALIDATE_ENABLED`` (True).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from scrapy.exceptions import DropItem, NotConfigured

from crawler.items import OUTPUT_FIELDS
from crawler.schema import record_errors, surely_valid
from crawler.stats import stat_key

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from crawler.items import Article


def output_record(item: Article) -> dict[str, object]:
    """The exported part of an Article, as the JSON object a consumer reads."""
    return {name: getattr(item, name) for name in OUTPUT_FIELDS}


class ValidatePipeline:
    """Drop (and count) any record that would break the output contract."""

    def __init__(self, stats: StatsCollector | None = None) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("VALIDATE_ENABLED"):
            raise NotConfigured("VALIDATE_ENABLED is off")
        return cls(crawler.stats)

    def process_item(self, item: Article) -> Article:
        record = output_record(item)
        if surely_valid(record):  # the common case, in a tenth of jsonschema's time
            return item
        errors = record_errors(record)
        if errors:
            if self.stats is not None:
                self.stats.inc_value(stat_key("dropped", "invalid"))
            raise DropItem(f"Invalid record for {item.url}: {'; '.join(errors[:3])}", log_level="ERROR")
        return item
