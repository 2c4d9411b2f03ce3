"""Structured metadata of a page: JSON-LD and microdata via extruct, OpenGraph and other meta tags via XPath.

Everything works on one parsed lxml tree; nothing here re-parses the page.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from crawler.extract.processors import clean_line, split_authors, unique

if TYPE_CHECKING:
    from extruct.jsonld import JsonLdExtractor
    from extruct.w3cmicrodata import MicrodataExtractor
    from lxml.html import HtmlElement

    from crawler.extract.elements import PageElements

logger = logging.getLogger(__name__)


def _extruct_readers() -> tuple[type[JsonLdExtractor], type[MicrodataExtractor]]:
    """extruct's JSON-LD and microdata readers, imported without running ``extruct/__init__.py``, which imports every
    syntax extruct reads (microformats with mf2py, BeautifulSoup, html5lib and requests; RDFa with rdflib): a
    fifth of a crawl's start-up CPU, paid by every scheduled crawl, for readers never used here.

    While the two modules load, the package is stood in for by its bare module object; then the stand-in and the
    modules loaded under it leave ``sys.modules``, so that an ``import extruct`` elsewhere imports the package as
    usual. When extruct is imported already, or its layout has changed, the usual import is made."""
    spec = None if "extruct" in sys.modules else importlib.util.find_spec("extruct")
    if spec is not None and spec.submodule_search_locations is not None:
        sys.modules["extruct"] = importlib.util.module_from_spec(spec)
        try:
            jsonld = importlib.import_module("extruct.jsonld")
            microdata = importlib.import_module("extruct.w3cmicrodata")
            return jsonld.JsonLdExtractor, microdata.MicrodataExtractor
        except ImportError:
            pass
        finally:
            for name in [n for n in sys.modules if n == "extruct" or n.startswith("extruct.")]:
                del sys.modules[name]
    from extruct.jsonld import JsonLdExtractor  # noqa: PLC0415
    from extruct.w3cmicrodata import MicrodataExtractor  # noqa: PLC0415

    return JsonLdExtractor, MicrodataExtractor


JsonLdExtractor, MicrodataExtractor = _extruct_readers()

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
ORGANISATION_TYPES = frozenset({"organization", "newsmediaorganization", "corporation", "newsorganization"})
# Meta tags (name, property or itemprop; any spelling, see meta_key) in the order they are trusted.
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
MODIFIED_META = (
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "dcterms.modified",
    "last-modified",
)
AUTHOR_META = (
    "author",
    "article:author",
    "dc.creator",
    "dcterms.creator",
    "parsely-author",
    "sailthru.author",
    "byl",
    "twitter:misc:written by",
)
# Twitter card label/data pairs (WordPress SEO plugins): <meta name="twitter:label1" content="Written by">.
_WRITTEN_BY_RE = re.compile(
    r"^(?:written by|author|autor|verfasst von|geschrieben von|escrito por|écrit par|автор)$", re.IGNORECASE
)
# <time datetime> elements read at most (the first are the article's own).
MAX_TIME_ELEMENTS = 3
# ('/descendant::x' selects what '//x' does, at a third of the cost: libxml2 walks the document once for it, not
# once per node)
_TIME_XPATH = (
    "/descendant::time[@datetime][ancestor::article or ancestor::header or @pubdate "
    "or contains(@class,'publish') or contains(@itemprop,'datePublished')]"
)

_ARTICLE_ITEM_XPATH = (
    "boolean(/descendant::*[@itemscope][contains(@itemtype,'Article') or contains(@itemtype,'Posting') "
    "or contains(@itemtype,'Report') or contains(@itemtype,'article')])"
)
_META_KEY_RE = re.compile(r"[\s_.\-]+")

_jsonld = JsonLdExtractor()
_microdata = MicrodataExtractor()


@dataclass
class PageMetadata:
    """What a page says about itself, each value raw (cleaned of whitespace only)."""

    title: str = ""
    """The first of JSON-LD headline, og:title, twitter:title, JSON-LD name."""
    headline: str = ""
    headline_name: str = ""
    """The JSON-LD name of the article object that gives the headline (mostly the headline again)."""
    og_title: str = ""
    twitter_title: str = ""
    meta_title: str = ""
    """<meta name="title">, the headline some CMSs declare beside <title>."""
    description: str = ""
    authors: list[str] = field(default_factory=list)
    """Authors the JSON-LD names as people (or without a type)."""
    author_organisations: list[str] = field(default_factory=list)
    """Authors the JSON-LD types as organisations."""
    meta_authors: list[str] = field(default_factory=list)
    """Raw values of the author meta tags, best first (not split)."""
    published: str = ""
    published_candidates: list[str] = field(default_factory=list)
    """Every publication date the page declares, most trusted first (raw)."""
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


def _names(value: object) -> tuple[list[str], list[str]]:
    """(people, organisations) named by a JSON-LD/microdata author value (string, Person, Organization, lists)."""
    if isinstance(value, str):
        return split_authors(value), []
    if isinstance(value, list):
        people: list[str] = []
        organisations: list[str] = []
        for item in value:
            more_people, more_organisations = _names(item)
            people += more_people
            organisations += more_organisations
        return people, organisations
    if isinstance(value, dict):
        if "properties" in value:  # a microdata item
            return _names(value["properties"].get("name") or "")
        if _types(value) & ORGANISATION_TYPES:
            name = _text(value.get("name"))
            return [], [name] if name else []
        return _names(value.get("name") or "")
    return [], []


def _article_nodes(tree: HtmlElement, url: str) -> list[dict[str, Any]]:
    """JSON-LD and microdata article objects, JSON-LD first; each flattened to schema.org property names."""
    nodes: list[dict[str, Any]] = []
    try:
        documents = _jsonld.extract_items(tree, base_url=url)
    except (ValueError, TypeError) as exc:  # extruct raises these on hopeless JSON
        logger.debug("Ignoring broken JSON-LD on %(url)s: %(exc)s", {"url": url, "exc": exc})
        documents = []
    nodes.extend(n for n in _walk(documents) if _types(n) & ARTICLE_TYPES)
    # extruct's microdata reader costs ~10 ms a page: only for pages with an article item, not a breadcrumb's
    if tree.xpath(_ARTICLE_ITEM_XPATH):
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


@lru_cache(maxsize=4096)
def meta_key(name: str) -> str:
    """One spelling for the variants sites use: 'article:published_time', 'article:published:time' and
    'Article.Published-Time' are the same tag."""
    return _META_KEY_RE.sub(":", name.strip().casefold())


class MetaTags:
    """The page's <meta> tags: first content of each name/property/itemprop, looked up by any spelling."""

    def __init__(self, tree: HtmlElement, elements: PageElements | None = None) -> None:
        self._values: dict[str, str] = {}
        for meta in tree.iter("meta") if elements is None else elements.metas:
            key = meta.get("property") or meta.get("name") or meta.get("itemprop") or ""
            content = meta.get("content")
            if key and content and content.strip():
                self._values.setdefault(meta_key(key), content.strip())

    def get(self, name: str) -> str:
        """The content of the named tag, '' when the page has none."""
        return self._values.get(meta_key(name), "")


def _first(*values: str) -> str:
    return next((v for v in values if v), "")


def _canonical(tree: HtmlElement, elements: PageElements | None) -> list[str]:
    """The href of the first canonical link that has one (of the whole document), as a list of at most one."""
    if elements is None:
        return [str(h) for h in tree.xpath("/descendant::link[@rel='canonical']/@href")[:1]]
    hrefs = (link.get("href") for link in elements.links if link.get("rel") == "canonical")
    return [h for h in hrefs if h is not None][:1]


def _time_values(tree: HtmlElement, elements: PageElements | None) -> list[str]:
    """The datetime of the first MAX_TIME_ELEMENTS <time> elements that _TIME_XPATH selects."""
    if elements is None:
        return [str(v) for v in tree.xpath(f"({_TIME_XPATH})/@datetime")[:MAX_TIME_ELEMENTS]]
    values: list[str] = []
    for element in elements.times:  # _TIME_XPATH's test, in Python on the few <time>s gathered
        value = element.get("datetime")
        if value is not None and (
            element.get("pubdate") is not None
            or "publish" in (element.get("class") or "")
            or "datePublished" in (element.get("itemprop") or "")
            or next(element.iterancestors("article", "header"), None) is not None
        ):
            values.append(value)
            if len(values) >= MAX_TIME_ELEMENTS:
                break
    return values


def page_metadata(tree: HtmlElement, url: str, elements: PageElements | None = None) -> PageMetadata:
    """Read JSON-LD, microdata, OpenGraph and meta tags of a parsed page; ``elements``, when given, are the
    tree's, gathered already."""
    nodes = _article_nodes(tree, url)
    metas = MetaTags(tree, elements)
    node: dict[str, Any] = nodes[0] if nodes else {}

    def prop(name: str) -> str:
        return next((t for t in (_text(n.get(name)) for n in nodes) if t), "")

    people: list[str] = []
    organisations: list[str] = []
    for n in nodes:
        more_people, more_organisations = _names(n.get("author") or n.get("creator"))
        people += more_people
        organisations += more_organisations
    meta_authors = [metas.get(key) for key in AUTHOR_META if "://" not in metas.get(key)]
    meta_authors += [
        metas.get(f"twitter:data{i}")
        for i in range(1, 5)
        if _WRITTEN_BY_RE.match(metas.get(f"twitter:label{i}"))
    ]
    publisher_people, publisher_organisations = _names(node.get("publisher")) if node else ([], [])
    canonical = _first(*_canonical(tree, elements), metas.get("og:url"))
    time_values = _time_values(tree, elements)
    published = [
        *(_text(n.get("datePublished")) for n in nodes),
        *(metas.get(k) for k in PUBLISHED_META),
        *time_values,
        *(_text(n.get("dateCreated")) for n in nodes),
    ]
    published = [p for p in published if p]
    body_value = next(
        (n["articleBody"] for n in nodes if isinstance(n.get("articleBody"), str) and n["articleBody"]), ""
    )
    headline, og_title, twitter_title = (
        prop("headline"),
        clean_line(metas.get("og:title")),
        clean_line(metas.get("twitter:title")),
    )
    return PageMetadata(
        title=_first(headline, og_title, twitter_title, prop("name")),
        headline=headline,
        headline_name=next((_text(n.get("name")) for n in nodes if _text(n.get("headline"))), ""),
        og_title=og_title,
        twitter_title=twitter_title,
        meta_title=clean_line(metas.get("title")),
        description=_first(
            clean_line(metas.get("og:description")), clean_line(metas.get("description")), prop("description")
        ),
        authors=unique(people),
        author_organisations=unique(organisations),
        meta_authors=[m for m in meta_authors if m],
        published=_first(*published),
        published_candidates=unique(published),
        modified=_first(prop("dateModified"), *(metas.get(k) for k in MODIFIED_META)),
        body=body_value,
        canonical=canonical.strip(),
        site_names=unique(
            [clean_line(metas.get("og:site_name")), *publisher_organisations, *publisher_people]
        ),
        language=_first(str(tree.get("lang") or ""), metas.get("og:locale"), metas.get("content-language")),
        is_article=bool(nodes) or metas.get("og:type").casefold() == "article",
    )
