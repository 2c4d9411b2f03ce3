"""Authors: people first, from the page's JSON-LD, its meta tags or its visible byline; an organisation (the
newsroom, a news agency) only when the page names no person.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from crawler.extract.processors import clean_line, split_authors, unique
from crawler.extract.titles import is_site_name

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from lxml.html import HtmlElement

# Words that make a byline name an organisation, not a person (newsrooms, agencies, media), in our languages.
ORGANISATION_WORDS = frozenset(
    """
    agency agencies agentur agencia agência agence ajansı ajansi associated press presse prensa imprensa redaktion
    redaction rédaction redacción redação redazione редакция редакція newsroom staff desk team editorial editors
    news nachrichten noticias notícias nouvelles новости новини haber haberleri media medien medios mídia online
    digital tv radio zeitung times post herald tribune journal gazette group network magazine magazin wire service
    services reuters afp dpa apa efe ansa xinhua tass риа интерфакс interfax kyodo yonhap bloomberg web
    """.split()
)
# A single all-capitals word this short is an acronym ('LTO', 'AFP'), not a person's name.
MAX_ACRONYM_CHARS = 5
# Visible bylines, for pages without structured authors ('Por Ernesto Valdés', 'Автор: Ольга Крылова'): elements
# whose class says so ('byline', 'metaInfoAuthorList', 'firma', 'autor', 'writer'), and links to an author page.
_BYLINE_CLASS_RE = re.compile(r"byline|author|firma|autor|writer", re.IGNORECASE)
_AUTHOR_HREF_RE = re.compile(
    r"/(?:author|authors|autor|autoren|autores|auteur|journalist|reporter)/", re.IGNORECASE
)
_NOT_BYLINE_TAGS = frozenset(
    {"meta", "link", "script", "style", "body", "article", "html", "head", "noscript"}
)
MAX_BYLINE_CHARS = 120
# A person's name has at most this many words ('María del Carmen López García').
MAX_NAME_WORDS = 5
# A byline 'name' longer than this may be several names in separate elements.
SUSPICIOUS_NAME_WORDS = 4
# Text of an element, without what it hides from readers ('<span class="u-visually-hidden">capital</span>').
_VISIBLE_TEXT_XPATH = (
    ".//text()[not(ancestor::*[contains(@class,'hidden') or @hidden or @aria-hidden='true'])]"
)
# 'Quelle: sid', 'Source: AFP': the origin of a story, not its author.
_SOURCE_RE = re.compile(r"^(?:quelle|source|fuente|fonte|источник|kaynak)\s*:", re.IGNORECASE)
# How many byline elements are read at most: the first ones are in the article header.
MAX_BYLINE_ELEMENTS = 12

_DOMAIN_RE = re.compile(r"\w\.[a-z]{2,}\b", re.IGNORECASE)
_WORD_RE = re.compile(r"[\w'’]+")


def is_organisation(name: str, site_names: Iterable[str] = (), url: str = "") -> bool:
    """Whether a name in an author field is an organisation: a newsroom, an agency, a medium, the site itself."""
    words = [w.casefold() for w in _WORD_RE.findall(name)]
    if not words or _DOMAIN_RE.search(name) or "@" in name:
        return True
    if any(w in ORGANISATION_WORDS for w in words):
        return True
    if len(words) == 1 and name.isupper() and len(name) <= MAX_ACRONYM_CHARS:
        return True
    return is_site_name(name, site_names, url)


def _byline_text_names(pieces: list[str]) -> list[str]:
    """Names in a byline's text pieces. The pieces are read as one line ('By <a>Jane Roe</a>'), unless that gives
    no name or one too long to be one: then each piece is read alone ('<span>Birgit Baumann</span><span>Anna
    Fink</span>')."""
    text = clean_line(" ".join(pieces))
    if not text or len(text) > MAX_BYLINE_CHARS or _SOURCE_RE.match(text):
        return []
    names = split_authors(text)
    if not names or any(len(n.split()) > SUSPICIOUS_NAME_WORDS for n in names):
        by_piece = [n for piece in pieces for n in split_authors(piece)]
        if len(by_piece) > len(names):
            names = by_piece
    return [n for n in names if len(n.split()) <= MAX_NAME_WORDS and not any(c.isdigit() for c in n)]


def _hidden(element: HtmlElement) -> bool:
    return any(
        "hidden" in (e.get("class") or "") or e.get("hidden") is not None or e.get("aria-hidden") == "true"
        for e in (element, *element.iterancestors())
    )


def _byline_elements(tree: HtmlElement) -> Iterator[HtmlElement]:
    """Byline elements in document order (a generator: the first good one ends the search), then author links."""
    for element in tree.iter():
        tag = element.tag
        if not isinstance(tag, str) or tag in _NOT_BYLINE_TAGS:
            continue
        if (
            element.get("rel") == "author"
            or element.get("itemprop") == "author"
            or _BYLINE_CLASS_RE.search(element.get("class") or "")
        ):
            yield element
    for link in tree.iter("a"):
        if _AUTHOR_HREF_RE.search(link.get("href") or ""):
            yield link


def byline_names(tree: HtmlElement) -> list[str]:
    """Names in the page's first visible byline (or author link), without 'By'/'Por'/'Автор:' and roles."""
    for tried, element in enumerate(_byline_elements(tree)):
        if tried >= MAX_BYLINE_ELEMENTS:
            break
        if _hidden(element):
            continue
        pieces = [t for t in element.xpath(_VISIBLE_TEXT_XPATH) if t.strip()]
        names = _byline_text_names(pieces)
        if names:
            return names
    return []


def choose_authors(
    tree: HtmlElement,
    *,
    jsonld_people: Sequence[str] = (),
    jsonld_organisations: Sequence[str] = (),
    meta_values: Sequence[str] = (),
    site_names: Sequence[str] = (),
    url: str = "",
) -> list[str]:
    """The article's authors: the people the JSON-LD names, else those of the author meta tags, else those of the
    visible byline; the organisations named as authors only when no person is named anywhere."""

    def org(name: str) -> bool:
        return is_organisation(name, site_names, url)

    organisations = [*jsonld_organisations, *(n for n in jsonld_people if org(n))]
    meta_people: list[str] = []
    for value in meta_values:
        names = split_authors(value)
        # 'hessenschau.de, Frankfurt, Germany': a value that names an organisation names no people
        if any(org(n) for n in names):
            organisations.extend(n for n in names if org(n))
        else:
            meta_people.extend(names)
    for people in ([n for n in jsonld_people if not org(n)], meta_people):
        if people:
            return unique(people)
    byline = byline_names(tree)
    people = [n for n in byline if not org(n)]
    if people:
        return unique(people)
    return unique(organisations or byline)
