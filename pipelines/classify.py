"""ClassifyPipeline: tag platforms, countries, actions, authorities and evidence; drop what is not relevant.

Settings: ``CLASSIFY_ENABLED`` (True), ``CLASSIFY_THRESHOLD`` (0.5: relevance from which an article is kept),
``KEEP_IRRELEVANT`` (False: True keeps every article, its ``relevance`` below the threshold marking it, for review
and labelling).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Self

from scrapy.exceptions import DropItem, NotConfigured

from crawler.classify import Classifier, apply
from crawler.stats import stat_key

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from crawler.items import Article

logger = logging.getLogger(__name__)


class ClassifyPipeline:
    """Classify every article; relevant ones go on, the others are counted and dropped (or kept, marked)."""

    def __init__(
        self, classifier: Classifier, keep_irrelevant: bool = False, stats: StatsCollector | None = None
    ) -> None:
        self.classifier = classifier
        self.keep_irrelevant = keep_irrelevant
        self.stats = stats
        # (made once: ``stat_key`` cleans each part with a regex)
        self._relevant_key = stat_key("classify", "relevant")
        self._irrelevant_key = stat_key("classify", "irrelevant")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("CLASSIFY_ENABLED"):
            raise NotConfigured("CLASSIFY_ENABLED is off")
        threshold = settings.getfloat("CLASSIFY_THRESHOLD")
        if not 0 < threshold <= 1:
            raise ValueError(f"CLASSIFY_THRESHOLD must be in (0, 1], not {threshold!r}")
        return cls(Classifier(threshold=threshold), settings.getbool("KEEP_IRRELEVANT"), crawler.stats)

    def process_item(self, item: Article) -> Article:
        verdict = self.classifier.classify(item)
        apply(item, verdict)
        relevant = verdict.relevance >= self.classifier.threshold
        if self.stats is not None:
            self.stats.inc_value(self._relevant_key if relevant else self._irrelevant_key)
        if relevant or self.keep_irrelevant:
            return item
        raise DropItem(
            f"Not about a platform restriction (relevance {verdict.relevance:.2f}): {item.url}",
            log_level="DEBUG",
        )
