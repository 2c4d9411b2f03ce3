"""Turn one HTML page into an Article: parse once, share the tree between extruct, trafilatura and date finding."""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from itemloaders import ItemLoader
from itemloaders.processors import Compose, Identity, MapCompose, TakeFirst
from trafilatura import bare_extraction
from trafilatura.metadata import extract_metadata
from trafilatura.utils import load_html

from crawler.extract import dates
from crawler.extract.language import identify
from crawler.extract.metadata import page_metadata
from crawler.extract.processors import clean_body, clean_line, split_authors, strip_title_suffix, unique
from crawler.items import Article

if TYPE_CHECKING:
    from lxml.html import HtmlElement

logger = logging.getLogger(__name__)

DEFAULT_MAX_CHARS = 2_000_000
DEFAULT_MIN_BODY_CHARS = 200
# trafilatura drops non-printable characters, among them the zero-width non-joiner that Persian (and Kurdish,
# Urdu...) spelling needs ('سه‌شنبه'). It travels through extraction as a printable stand-in that never occurs in
# news text, and is put back at the end.
_ZWNJ, _ZWNJ_STANDIN = "\u200c", "\ufffc"


class NotAnArticle(Exception):
    """The page has no article to extract; the message says why (for stats and logs)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PageHints:
    """What is known about a page before it is read: from the source and the link that led to it."""

    source: str = ""
    language: str = ""
    timezone: str | None = None
    title: str = ""
    """Title given by the feed or news sitemap entry."""
    published: str = ""
    """Date given by the feed or news sitemap entry (raw)."""


class ArticleLoader(ItemLoader):
    """Collects candidate values per field, first good one wins; cleaning is done by the processors."""

    default_item_class = Article
    default_input_processor = Identity()
    default_output_processor = TakeFirst()
    title_in = MapCompose(clean_line)
    description_in = MapCompose(clean_line)
    body_in = MapCompose(clean_body)
    authors_in = MapCompose(clean_line)
    authors_out = Compose(unique)


def parse_html(html: str, max_chars: int = DEFAULT_MAX_CHARS) -> HtmlElement | None:
    """Parse a page once, bounded in size (a 6 MB page can cost minutes in some extractors)."""
    return load_html(html[:max_chars])


def _trafilatura_text(tree: HtmlElement, url: str) -> str:
    # trafilatura prunes the tree it is given: hand it a copy so metadata and dates see the whole page.
    document = bare_extraction(
        copy.deepcopy(tree), url=url, with_metadata=False, include_comments=False, include_tables=False, deduplicate=False
    )
    return (document.text or "") if document is not None else ""


def _choose_body(trafilatura_text: str, jsonld_body: str) -> str:
    """trafilatura's text, unless it failed and the page's own JSON-LD articleBody is complete."""
    text = trafilatura_text.strip()
    body = jsonld_body.strip()
    if body and len(body) > 1.5 * len(text) and not body.endswith(("...", "…")):
        return body
    return text


def _without_headline(body: str, headlines: list[str]) -> str:
    """Drop the first line of the body when it only repeats the headline (trafilatura keeps an <h1> in <article>)."""
    first, _, rest = body.partition("\n")
    key = " ".join(first.split()).casefold()
    if rest and key and any(key == " ".join(h.split()).casefold() for h in headlines if h):
        return rest.lstrip("\n")
    return body


def _choose_published(
    tree: HtmlElement, url: str, meta_value: str, hints: PageHints, language: str, text: str
) -> tuple[str, datetime | None]:
    """Metadata first, then the feed's date, then htmldate, then a date written in the text."""
    tz = hints.timezone
    for raw in (meta_value, hints.published):
        parsed = dates.plausible(dates.parse_date(raw, tz)) if raw else None
        if parsed:
            return raw, parsed
    found = dates.date_in_text(text, language, tz)
    day = dates.htmldate_date(tree, url)
    if day and not (found and found[1].date().isoformat() == day):
        parsed = dates.plausible(dates.parse_date(day, tz))
        if parsed:
            return day, parsed
    if found:
        return found
    return "", None


def extract_article(
    html: str,
    url: str,
    hints: PageHints | None = None,
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    min_body_chars: int = DEFAULT_MIN_BODY_CHARS,
    fetched_at: datetime | None = None,
) -> Article:
    """Extract an Article from a page's decoded HTML. Raises NotAnArticle when there is no article in it."""
    hints = hints or PageHints()
    has_zwnj = _ZWNJ in html
    if has_zwnj:
        html = html.replace(_ZWNJ, _ZWNJ_STANDIN)
    tree = parse_html(html, max_chars)
    if tree is None:
        raise NotAnArticle("not parsable as HTML")
    meta = page_metadata(tree, url)
    body = _choose_body(_trafilatura_text(tree, url), meta.body)
    if len(body) < min_body_chars:
        raise NotAnArticle(f"no article text ({len(body)} characters of body)")

    title_tag = clean_line(" ".join(tree.xpath("//head/title//text()")))
    h1 = clean_line(" ".join(tree.xpath("(//h1)[1]//text()")))
    fallback = None
    if not (meta.title or h1 or title_tag) or not meta.authors:
        fallback = extract_metadata(tree, default_url=url, extensive=False)

    loader = ArticleLoader()
    loader.add_value("url", url)
    loader.add_value("source", hints.source)
    for candidate in (meta.title, h1, strip_title_suffix(title_tag, meta.site_names, h1), hints.title, fallback and fallback.title):
        if candidate:
            loader.add_value("title", strip_title_suffix(candidate, meta.site_names))
    loader.add_value("description", meta.description)
    loader.add_value("body", _without_headline(body, [meta.title, h1, hints.title]))
    authors = meta.authors or (split_authors(fallback.author.replace(";", ",")) if fallback and fallback.author else [])
    loader.add_value("authors", authors)
    article: Article = loader.load_item()
    if has_zwnj:
        article.title, article.description, article.body = (
            v.replace(_ZWNJ_STANDIN, _ZWNJ) for v in (article.title, article.description, article.body)
        )
        article.authors = [a.replace(_ZWNJ_STANDIN, _ZWNJ) for a in article.authors]

    text = f"{article.title}\n{article.description}\n{article.body}"
    article.language = identify(text, declared=meta.language, hint=hints.language)
    # The date is looked for in the page's visible text too, the header first: '11 февраля 2026, 14:30'.
    page_text = " ".join(tree.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]"))
    raw, published = _choose_published(tree, url, meta.published, hints, article.language, page_text)
    article.published_raw = raw
    article.published = published.isoformat() if published else None
    modified = dates.plausible(dates.parse_date(meta.modified, hints.timezone)) if meta.modified else None
    if modified and published and modified < published:
        modified = None
    article.modified_raw = meta.modified
    article.modified = modified.isoformat() if modified else None
    article.canonical_hint = meta.canonical
    article.timezone_hint = hints.timezone or ""
    article.fetched_at = (fetched_at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    return article
