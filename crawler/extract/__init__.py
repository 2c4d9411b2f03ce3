"""Article extraction, independent of the crawl: page -> Article fields."""

from crawler.extract.page import NotAnArticle, PageHints, extract_article

__all__ = ["NotAnArticle", "PageHints", "extract_article"]
