"""Finding article links: feeds (RSS 2.0, RSS 1.0, Atom), sitemaps (index, urlset, Google News, gzip), section pages.

Pure functions over bytes and URLs, so they can be tested and fuzzed without a crawl.
"""

from __future__ import annotations

import re
import warnings
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from time import struct_time
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.etree
from scrapy.utils.gz import gunzip
from w3lib.url import safe_url_string

from spiders.xmlsafe import defuse, has_doctype, sane_xml_declaration, valid_charrefs

FEED, SITEMAP, LISTING, ARTICLE = "feed", "sitemap", "listing", "article"
__all__ = ["ARTICLE", "FEED", "LISTING", "SITEMAP", "Link", "SitemapDoc", "absolute_http_url", "defuse", "detect_kind",
           "has_doctype", "is_binary_link", "is_next_link", "looks_like_article", "maybe_gunzip", "parse_feed",
           "parse_sitemap", "same_site"]

_ROOT_RE = re.compile(rb"<(?!\?|!)([A-Za-z_][\w.:-]*)")
_FEED_ROOTS = {b"rss", b"rdf:rdf", b"rdf", b"feed", b"channel"}
_SITEMAP_ROOTS = {b"urlset", b"sitemapindex"}

_NON_ARTICLE_SEGMENTS = frozenset(
    "tag tags topic topics author authors category categories section sections about about-us contact contacts "
    "login signin sign-in signup register subscribe subscription account search privacy privacy-policy terms "
    "cookies cookie-policy feed feeds rss atom page archive archives video videos photo photos gallery galleries "
    "podcast podcasts newsletter newsletters advertise jobs careers impressum imprint help faq wp-login.php "
    "live-tv weather horoscope games shop".split()
)
_SKIP_EXTENSIONS = re.compile(
    r"\.(?:jpe?g|png|gif|webp|svg|ico|pdf|zip|gz|rar|7z|mp3|mp4|m4a|avi|mov|webm|css|js|json|xml|rss|txt|docx?|xlsx?)$",
    re.IGNORECASE,
)
# Links from feeds and sitemaps to files that are no article: never downloaded.
_BINARY_EXTENSIONS = re.compile(
    r"\.(?:jpe?g|png|gif|webp|avif|svg|ico|bmp|tiff?|pdf|zip|gz|tgz|rar|7z|mp3|mp4|m4a|ogg|wav|avi|mov|webm|mkv"
    r"|docx?|xlsx?|pptx?|odt|epub|exe|dmg|apk)$",
    re.IGNORECASE,
)
_DATE_PATH_RE = re.compile(r"/(?:19|20)\d{2}[/-](?:0?[1-9]|1[0-2])(?:[/-](?:0?[1-9]|[12]\d|3[01]))?(?:/|-|$)|/(?:19|20)\d{6}(?:/|$)")
_ID_RE = re.compile(r"(?:^|[-_/])\d{5,}(?:\.\w+)?$")
_PAGE_RE = re.compile(r"(?:/page/|[?&]page=|/p/)(\d+)/?$")
_NEXT_WORDS = frozenset(
    "next older more siguiente siguientes próxima proxima próximo seguinte следующая следующие далее дальше "
    "наступна далі sonraki suivant suivante weiter nächste nächster بعدی › » →".split()
)


@dataclass(frozen=True)
class Link:
    """A link to a probable article, with what the discovery document said about it."""

    url: str
    title: str = ""
    published: str = ""


@dataclass(frozen=True)
class SitemapDoc:
    """A parsed sitemap: child sitemaps of an index, or article links of a urlset."""

    sitemaps: list[str]
    links: list[Link]
    rejected: int = 0
    """``<loc>`` values that are no usable http(s) URL."""


def maybe_gunzip(body: bytes, max_size: int) -> bytes:
    """Decompress a gzip body (a .xml.gz sitemap), bounded by ``max_size``. Raises ValueError on a bomb (the message
    says 'size') and on a broken gzip stream."""
    if body[:2] != b"\x1f\x8b":
        return body
    try:
        return gunzip(body, max_size=max_size)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"not a valid gzip stream: {exc}") from exc


def detect_kind(body: bytes, content_type: str = "") -> str:
    """feed | sitemap | listing, from the first element of the document."""
    head = defuse(body[:8192].lstrip(b"\xef\xbb\xbf \t\r\n"))
    # Skip comments and processing instructions to find the root element.
    head = re.sub(rb"<!--.*?-->", b"", head, flags=re.DOTALL)
    match = _ROOT_RE.search(head)
    root = match.group(1).lower() if match else b""
    if root in _FEED_ROOTS:
        return FEED
    if root in _SITEMAP_ROOTS:
        return SITEMAP
    if not root and "xml" in content_type and b"<html" not in head.lower():
        return FEED
    return LISTING


def _iso(value: struct_time | None) -> str:
    if not value:
        return ""
    return datetime(*value[:6], tzinfo=UTC).isoformat()


def parse_feed(body: bytes, base_url: str, rejected: list[str] | None = None) -> list[Link]:
    """Article links of an RSS/Atom/RDF feed; a malformed entry does not lose the others (feedparser's loose mode).

    Entry links that are no usable http(s) URL (``javascript:``, ``mailto:``, garbage) are appended to ``rejected``.
    Raises ValueError on a document feedparser cannot read at all.
    """
    with warnings.catch_warnings():
        # feedparser warns on its own deprecated internals, when parsing and when entries are read
        warnings.simplefilter("ignore")
        try:
            parsed = feedparser.parse(valid_charrefs(sane_xml_declaration(defuse(body))),
                                      response_headers={"content-location": base_url}, sanitize_html=False)
        except (UnicodeError, ValueError, LookupError, TypeError) as exc:  # feedparser's own bugs on hostile bytes
            raise ValueError(f"not a readable feed: {type(exc).__name__}: {exc}") from exc
        return _feed_links(parsed.entries, base_url, rejected)


def _feed_links(entries: list[Any], base_url: str, rejected: list[str] | None) -> list[Link]:
    links: list[Link] = []
    for entry in entries:
        href = entry.get("link") or ""
        if not href:
            for candidate in entry.get("links", []):
                if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                    href = candidate["href"]
                    break
        if not href and entry.get("id", "").startswith("http"):
            href = entry["id"]
        url = absolute_http_url(href, base_url)
        if not url and href and rejected is not None:
            rejected.append(href)
        if url:
            # The raw date keeps the feed's UTC offset; feedparser's parsed form is in UTC.
            raw = entry.get("published") or entry.get("updated") or ""
            parsed = entry.get("published_parsed") or entry.get("updated_parsed")
            links.append(Link(url=url, title=(entry.get("title") or "").strip(), published=raw.strip() or _iso(parsed)))
    return links


_XML_PARSER_OPTIONS = {
    "recover": True,
    "resolve_entities": False,
    "no_network": True,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _child_text(element: lxml.etree._Element, *path: str) -> str:
    current: lxml.etree._Element | None = element
    for name in path:
        current = next((c for c in current if _local(c.tag) == name), None) if current is not None else None
    return (current.text or "").strip() if current is not None else ""


def parse_sitemap(body: bytes, base_url: str) -> SitemapDoc:
    """Child sitemaps of a sitemap index, or article links (with Google News title and date) of a urlset.
    Raises ValueError on a document no XML parser can recover anything from."""
    parser = lxml.etree.XMLParser(**_XML_PARSER_OPTIONS)
    try:
        root = lxml.etree.fromstring(defuse(body), parser=parser)
    except lxml.etree.XMLSyntaxError as exc:
        raise ValueError(f"not a sitemap: {exc}") from exc
    if root is None:
        return SitemapDoc([], [])
    sitemaps: list[str] = []
    links: list[Link] = []
    rejected = 0
    for element in root:
        name = _local(element.tag)
        url = absolute_http_url(_child_text(element, "loc"), base_url)
        if not url:
            rejected += name in ("sitemap", "url")
            continue
        if name == "sitemap":
            sitemaps.append(url)
        elif name == "url":
            published = _child_text(element, "news", "publication_date") or _child_text(element, "lastmod")
            links.append(Link(url=url, title=_child_text(element, "news", "title"), published=published))
    return SitemapDoc(sitemaps, links, rejected)


def absolute_http_url(href: str, base_url: str) -> str:
    """An absolute, safely encoded http(s) URL without fragment, or '' (javascript:, mailto:, garbage)."""
    href = (href or "").strip()
    if not href or href.startswith("#"):
        return ""
    try:
        url = safe_url_string(urljoin(base_url, href))
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return ""
        _ = parts.port  # raises ValueError on a bad port
    except ValueError:
        return ""
    return url.split("#", 1)[0]


def same_site(url: str, other: str) -> bool:
    """Same host, ignoring a leading 'www.' and the port's absence/presence of defaults."""
    a, b = urlsplit(url), urlsplit(other)
    host_a = (a.hostname or "").removeprefix("www.")
    host_b = (b.hostname or "").removeprefix("www.")
    return host_a == host_b and (a.port or 0) == (b.port or 0) if host_a in ("127.0.0.1", "localhost") else host_a == host_b


def is_binary_link(url: str) -> bool:
    """A link to an image, a PDF, an archive, a media or office file: not an article page."""
    return bool(_BINARY_EXTENSIONS.search(urlsplit(url).path))


def looks_like_article(url: str) -> bool:
    """Heuristic for a section page's links: a dated path, a long slug or a numeric id, not a tag/author/... page."""
    parts = urlsplit(url)
    path = parts.path
    if _SKIP_EXTENSIONS.search(path) or _PAGE_RE.search(path + ("?" + parts.query if parts.query else "")):
        return False
    segments = [s for s in path.split("/") if s]
    if not segments or any(s.lower() in _NON_ARTICLE_SEGMENTS for s in segments[:-1]):
        return False
    last = segments[-1].lower()
    if last in _NON_ARTICLE_SEGMENTS or last.rsplit(".", 1)[0] in {"index", "default"}:
        return False
    slug = re.sub(r"\.(?:s?html?|php|aspx?)$", "", last)
    words = [w for w in re.split(r"[-_]+", slug) if w]
    if _DATE_PATH_RE.search(path) and len(words) >= 2:
        return True
    return len(words) >= 4 or bool(_ID_RE.search(path))


def is_next_link(text: str, rel: str, href: str, current_url: str) -> bool:
    """Whether an <a> is the 'next page' link of a section page."""
    if "next" in rel.lower().split():
        return True
    label = " ".join(text.lower().split())
    if label and (label in _NEXT_WORDS or any(w in _NEXT_WORDS for w in label.replace("»", " » ").split()[:3])):
        return True
    match, current = _PAGE_RE.search(href), _PAGE_RE.search(current_url)
    return match is not None and int(match.group(1)) == (int(current.group(1)) + 1 if current else 2)
