"""Article extraction, independent of the crawl: page -> Article fields."""

from crawler.extract.page import ExtractionFailed, NotAnArticle, PageHints, extract_article

__all__ = ["ExtractionFailed", "NotAnArticle", "PageHints", "extract_article"]
