"""Structured metadata of a page: JSON-LD and microdata via extruct, OpenGraph and other meta tags via XPath.

Everything works on one parsed lxml tree; nothing here re-parses the page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from extruct.jsonld import JsonLdExtractor
from extruct.w3cmicrodata import MicrodataExtractor

from crawler.extract.processors import clean_line, split_authors, unique

if TYPE_CHECKING:
    from lxml.html import HtmlElement

logger = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "blogposting",
        "liveblogposting",
        "socialmediaposting",
        "report",
        "techarticle",
        "scholarlyarticle",
    }
)
# Meta tags (name, property or itemprop; lowercased) in the order they are trusted.
PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publication_date",
    "sailthru.date",
    "parsely-pub-date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.created",
    "date",
    "article.published",
    "cxenseparse:recs:publishtime",
)
MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified", "last-modified")
AUTHOR_META = ("author", "article:author", "dc.creator", "parsely-author", "sailthru.author", "byl")
_TIME_XPATH = (
    "//article//time[@datetime] | //header//time[@datetime] | //time[@pubdate][@datetime] "
    "| //time[contains(@class,'publish') or contains(@itemprop,'datePublished')][@datetime]"
)

# Visible bylines, for pages without structured authors ('Por Ernesto Valdés', 'Автор: Ольга Крылова').
_BYLINE_XPATH = (
    "//*[@rel='author' or @itemprop='author' or contains(@class,'byline') or contains(@class,'author') "
    "or contains(@class,'firma') or contains(@class,'autor') or contains(@class,'writer')]"
    "[not(self::meta or self::link or self::script or self::style or self::body or self::article)]"
)
_MAX_BYLINE_CHARS = 120

_jsonld = JsonLdExtractor()
_microdata = MicrodataExtractor()


@dataclass
class PageMetadata:
    """What a page says about itself, each value raw (cleaned of whitespace only)."""

    title: str = ""
    description: str = ""
    authors: list[str] = field(default_factory=list)
    published: str = ""
    modified: str = ""
    body: str = ""
    canonical: str = ""
    site_names: list[str] = field(default_factory=list)
    language: str = ""
    is_article: bool = False
    """The page declares itself an article (schema.org type or og:type=article)."""


def _types(node: dict[str, Any]) -> set[str]:
    raw = node.get("@type") or node.get("type") or []
    values = raw if isinstance(raw, list) else [raw]
    return {str(v).rsplit("/", 1)[-1].casefold() for v in values}


def _walk(node: object) -> list[dict[str, Any]]:
    """Every dict in a JSON-LD document, depth first (handles @graph, lists and nesting)."""
    found: list[dict[str, Any]] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            found.append(current)
            stack.extend(reversed(list(current.values())))
        elif isinstance(current, list):
            stack.extend(reversed(current))
    return found


def _text(value: object) -> str:
    if isinstance(value, str):
        return clean_line(value)
    if isinstance(value, list):
        return next((t for t in map(_text, value) if t), "")
    if isinstance(value, dict):
        return _text(value.get("@value") or value.get("name") or value.get("value") or "")
    return ""


def _names(value: object) -> list[str]:
    """Author names from a JSON-LD/microdata author value (string, Person, list of either)."""
    if isinstance(value, str):
        return split_authors(value)
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    if isinstance(value, dict):
        if "properties" in value:  # a microdata item
            return _names(value["properties"].get("name") or "")
        if _types(value) & {"organization", "newsmediaorganization"}:
            return []
        return _names(value.get("name") or "")
    return []


def _article_nodes(tree: HtmlElement, url: str) -> list[dict[str, Any]]:
    """JSON-LD and microdata article objects, JSON-LD first; each flattened to schema.org property names."""
    nodes: list[dict[str, Any]] = []
    try:
        documents = _jsonld.extract_items(tree, base_url=url)
    except (ValueError, TypeError) as exc:  # extruct raises these on hopeless JSON
        logger.debug("Ignoring broken JSON-LD on %(url)s: %(exc)s", {"url": url, "exc": exc})
        documents = []
    nodes.extend(n for n in _walk(documents) if _types(n) & ARTICLE_TYPES)
    if tree.xpath("boolean(//*[@itemscope])"):
        try:
            items = _microdata.extract_items(tree, base_url=url)
        except (ValueError, TypeError) as exc:
            logger.debug("Ignoring broken microdata on %(url)s: %(exc)s", {"url": url, "exc": exc})
            items = []
        nodes.extend(
            {"@type": item.get("type"), **item.get("properties", {})}
            for item in _walk(items)
            if "properties" in item and _types(item) & ARTICLE_TYPES
        )
    return nodes


def _meta_tags(tree: HtmlElement) -> dict[str, str]:
    """First content of each <meta> by name/property/itemprop, lowercased keys."""
    metas: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop") or ""
        content = meta.get("content")
        if key and content and content.strip():
            metas.setdefault(key.strip().casefold(), content.strip())
    return metas


def _first(*values: str) -> str:
    return next((v for v in values if v), "")


def page_metadata(tree: HtmlElement, url: str) -> PageMetadata:
    """Read JSON-LD, microdata, OpenGraph and meta tags of a parsed page."""
    nodes = _article_nodes(tree, url)
    metas = _meta_tags(tree)
    node: dict[str, Any] = nodes[0] if nodes else {}

    def prop(name: str) -> str:
        return next((t for t in (_text(n.get(name)) for n in nodes) if t), "")

    authors = [name for n in nodes for name in _names(n.get("author") or n.get("creator"))]
    if not authors:
        authors = [name for key in AUTHOR_META if key in metas and "://" not in metas[key] for name in split_authors(metas[key])]
    if not authors:
        authors = byline_authors(tree)
    publisher = _names(node.get("publisher")) if node else []
    publisher_name = _text((node.get("publisher") or {}).get("name")) if isinstance(node.get("publisher"), dict) else ""
    canonical = _first(
        *(str(h) for h in tree.xpath("//link[@rel='canonical']/@href")[:1]),
        metas.get("og:url", ""),
    )
    time_values = [str(v) for v in tree.xpath(_TIME_XPATH + "/@datetime")[:1]]
    body_value = node.get("articleBody") if node else None
    return PageMetadata(
        title=_first(prop("headline"), clean_line(metas.get("og:title", "")), clean_line(metas.get("twitter:title", "")), prop("name")),
        description=_first(
            clean_line(metas.get("og:description", "")), clean_line(metas.get("description", "")), prop("description")
        ),
        authors=unique(authors),
        published=_first(prop("datePublished"), *(metas.get(k, "") for k in PUBLISHED_META), *time_values, prop("dateCreated")),
        modified=_first(prop("dateModified"), *(metas.get(k, "") for k in MODIFIED_META)),
        body=body_value if isinstance(body_value, str) else "",
        canonical=canonical.strip(),
        site_names=unique([clean_line(metas.get("og:site_name", "")), publisher_name, *publisher]),
        language=_first(str(tree.get("lang") or ""), metas.get("og:locale", ""), metas.get("content-language", "")),
        is_article=bool(nodes) or metas.get("og:type", "").casefold() == "article",
    )


def byline_authors(tree: HtmlElement) -> list[str]:
    """Names in the page's first visible byline, without 'By'/'Por'/'Автор:' and roles."""
    for element in tree.xpath(_BYLINE_XPATH)[:5]:
        text = clean_line(" ".join(element.xpath(".//text()")))
        if text and len(text) <= _MAX_BYLINE_CHARS:
            names = split_authors(text)
            if names:
                return names
    return []
