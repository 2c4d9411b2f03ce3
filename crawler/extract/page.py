"""Turn one HTML page into an Article: parse once, share the tree between extruct, trafilatura and date finding."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import lxml.html
from itemloaders import ItemLoader
from itemloaders.processors import Compose, Identity, MapCompose, TakeFirst
from lxml.etree import ElementDefaultClassLookup, LxmlError
from trafilatura.utils import DOCTYPE_TAG, FAULTY_HTML, load_html

from crawler.extract import dates
from crawler.extract.authors import choose_authors
from crawler.extract.body import extract_body
from crawler.extract.elements import PageElements, visible_text_start
from crawler.extract.language import identify
from crawler.extract.metadata import PageMetadata, page_metadata
from crawler.extract.processors import clean_body, clean_line, unique
from crawler.extract.titles import choose_title, visible_headings
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
# trafilatura's parser (trafilatura.utils.HTML_PARSER), but making every element a plain HtmlElement: lxml.html's
# own lookup, which gives <form>, <input>, <label>... their classes, is Python code run each time an element is
# first touched from Python (some 500 times a page, in trafilatura mostly), and no one here uses those classes.
_PARSER = lxml.html.HTMLParser(
    collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True
)
_PARSER.set_element_class_lookup(
    ElementDefaultClassLookup(
        element=lxml.html.HtmlElement,
        comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity,
    )
)
# The characters trafilatura.utils.load_html removes before parsing (INVALID_XML_CHARS).
_INVALID_XML_CHARS = tuple(map(chr, (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF)))
# What lxml, extruct, trafilatura, htmldate and dateparser may raise on a page they cannot make sense of.
_LIBRARY_ERRORS = (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError, LxmlError)


class NotAnArticle(Exception):
    """The page has no article to extract; the message says why (for stats and logs)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ExtractionFailed(NotAnArticle):
    """A library failed on the page (broken markup, JSON-LD or dates); a caller may count these apart."""


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
    """Parse a page once, bounded in size (a 6 MB page can cost minutes in some extractors).

    The tree is the one trafilatura's load_html makes, whose first step is a regex pass over the whole page that
    removes the characters XML forbids: a third of the parsing time, and there are none in nearly every page. They
    are looked for faster (one search per character), and only a page that has one, or that lxml does not parse
    at first try, goes through load_html; the others take its remaining steps here, with _PARSER."""
    html = html[:max_chars]
    if any(c in html for c in _INVALID_XML_CHARS):
        return load_html(html)
    beginning = html[:50].lower()
    repaired = html
    # trafilatura.utils.repair_faulty_html, less its first step
    if "doctype" in beginning:
        first_line, _, rest = repaired.partition("\n")
        repaired = DOCTYPE_TAG.sub("", first_line, count=1) + "\n" + rest
    for line in repaired[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            repaired = FAULTY_HTML.sub(r"\1>", repaired, count=1)
            break
    try:
        tree = lxml.html.fromstring(repaired, parser=_PARSER)
    except Exception:  # noqa: BLE001 - load_html's own path handles (and logs) what lxml raises
        return load_html(html)
    if tree is None or len(tree) < 1:
        return load_html(html)
    # load_html's test whether this is HTML at all
    return None if "html" not in beginning and len(tree) < 2 else tree


def _without_headline(body: str, headlines: list[str]) -> str:
    """Drop the first line of the body when it only repeats the headline (trafilatura keeps an <h1> in <article>)."""
    first, _, rest = body.partition("\n")
    key = " ".join(first.split()).casefold()
    if rest and key and any(key == " ".join(h.split()).casefold() for h in headlines if h):
        return rest.lstrip("\n")
    return body


def _choose_published(
    tree: HtmlElement, url: str, meta: PageMetadata, hints: PageHints, language: str
) -> tuple[str, datetime | None]:
    """The dates the page declares (JSON-LD, meta tags, <time>), then the feed's, then htmldate, then a date written
    in the page's visible text, the header first ('11 февраля 2026, 14:30')."""
    tz = hints.timezone
    declared = dates.choose_published(
        [*meta.published_candidates, hints.published], tz, dates.date_languages(language)
    )
    if declared:
        return declared
    # ' '.join(tree.xpath('//body//text()[not(ancestor::script) and not(ancestor::style)]')), as far as it is read
    text = visible_text_start(tree, dates.TEXT_DATE_CHARS)
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
    """Extract an Article from a page's decoded HTML. Raises NotAnArticle when there is no article in it, and
    nothing else: whatever a broken page makes a library raise is reported as ExtractionFailed, a NotAnArticle."""
    try:
        return _extract(html, url, hints or PageHints(), max_chars, min_body_chars, fetched_at)
    except _LIBRARY_ERRORS as exc:
        # a broken page costs the crawl one item, never the callback: one line, the traceback for debugging only
        reason = f"extraction failed: {type(exc).__name__}: {exc}"
        logger.warning("Extraction failed on %(url)s: %(reason)s", {"url": url, "reason": reason})
        logger.debug("Extraction failure on %(url)s", {"url": url}, exc_info=True)
        raise ExtractionFailed(reason) from exc


def _extract(
    html: str, url: str, hints: PageHints, max_chars: int, min_body_chars: int, fetched_at: datetime | None
) -> Article:
    """The extraction itself; extract_article wraps it in the NotAnArticle-only contract."""
    has_zwnj = _ZWNJ in html
    if has_zwnj:
        html = html.replace(_ZWNJ, _ZWNJ_STANDIN)
    tree = parse_html(html, max_chars)
    if tree is None:
        raise NotAnArticle("not parsable as HTML")
    elements = PageElements.of(tree)  # one walk for what metadata, body and title read
    meta = page_metadata(tree, url, elements)
    elements.drop_code()  # read by the metadata only: trafilatura's copies and walks are cheaper without them
    body = extract_body(tree, url, meta.body, elements)
    if len(body) < min_body_chars:
        raise NotAnArticle(f"no article text ({len(body)} characters of body)")

    headings = visible_headings(tree, elements)
    title = choose_title(
        headline=meta.headline,
        headline_name=meta.headline_name,
        og_title=meta.og_title,
        twitter_title=meta.twitter_title,
        headings=headings,
        meta_title=meta.meta_title,
        title_tag=elements.head_title(tree),
        feed_title=hints.title,
        site_names=meta.site_names,
        url=url,
    )
    authors = choose_authors(
        tree,
        jsonld_people=meta.authors,
        jsonld_organisations=meta.author_organisations,
        meta_values=meta.meta_authors,
        site_names=meta.site_names,
        url=url,
    )

    body = _without_headline(
        body, [title, meta.title, *(t for h in headings[:1] for t in (h.text, h.part)), hints.title]
    )
    # Checked again without the repeated headline: a headline and a few words are no article.
    if len(body) < min_body_chars:
        raise NotAnArticle(f"no article text ({len(body)} characters of body besides the headline)")
    loader = ArticleLoader()
    loader.add_value("url", url)
    loader.add_value("source", hints.source)
    loader.add_value("title", title)
    loader.add_value("description", meta.description)
    loader.add_value("body", body)
    loader.add_value("authors", authors)
    article: Article = loader.load_item()
    if has_zwnj:
        article.title, article.description, article.body = (
            v.replace(_ZWNJ_STANDIN, _ZWNJ) for v in (article.title, article.description, article.body)
        )
        article.authors = [a.replace(_ZWNJ_STANDIN, _ZWNJ) for a in article.authors]

    text = f"{article.title}\n{article.description}\n{article.body}"
    article.language = identify(text, declared=meta.language, hint=hints.language)
    raw, published = _choose_published(tree, url, meta, hints, article.language)
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
