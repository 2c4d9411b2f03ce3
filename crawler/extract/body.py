"""The article body: trafilatura in precision mode, checked against what else the page says, boilerplate removed.

trafilatura's precision mode drops most link boxes and teasers its default mode keeps. The first pass skips
trafilatura's fallback extractors (readability, jusText), which cost a third of its time and change nothing on most
pages, and reads the page without the chrome trafilatura deletes first (asides, footers, menus, navs: most of a
news page's elements, and the <head>; taken out for that pass), so that its own copies and pruning walk a smaller
tree; on a page with one element holding the story (an <article> or <main>: ``story_element``), that pass reads
it alone. When that pass comes back short, the pass is made again on the whole page, with them. Precision mode
sometimes stops after the first paragraphs; two checks catch that, and only then is a default-mode pass paid for:

- the page's JSON-LD ``articleBody``, when it is complete, is the reference: a body that covers little of it is
  replaced by the default-mode pass when that covers more, or by the ``articleBody`` itself when neither does;
- without one, a body much shorter than the page's paragraph text is replaced by a default-mode pass at least twice
  as long.
"""

from __future__ import annotations

import copy
import html
import re
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import trafilatura
from trafilatura import bare_extraction
from trafilatura.settings import Document, Extractor

from crawler.dedup import shingles, tokens
from crawler.extract.boilerplate import link_texts, strip_boilerplate
from crawler.extract.processors import clean_text

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lxml.html import HtmlElement

    from crawler.extract.elements import PageElements


def _release(version: str) -> tuple[int, ...]:
    """'2.3.1' -> (2, 3, 1); '2.4.0rc1' -> (2, 4, 0)."""
    return tuple(int((re.findall(r"\d+", part) or ["0"])[0]) for part in version.split(".")[:3])


# A fast first pass shorter than this, or than this share of the page's paragraph text, is made again in full.
MIN_FAST_CHARS = 500
MIN_FAST_SHARE = 0.5
# A JSON-LD articleBody shorter than this is a teaser, not a reference.
MIN_REFERENCE_CHARS = 200
# A body covering less than this share of the reference's word 4-grams is taken for cut short ...
MIN_COVERAGE = 0.85
# ... and the second pass wins when it covers this much more of it;
COVERAGE_GAIN = 0.1
# when neither body covers this much, the reference itself is the body.
MIN_BEST_COVERAGE = 0.6
# Without a reference: a body shorter than this share of the page's paragraph text is taken for cut short ...
MIN_PARAGRAPH_SHARE = 0.3
# ... and the second pass wins when it is this many times longer.
SECOND_PASS_GAIN = 2.0
# <p> texts shorter than this (captions, bylines, buttons) do not count as paragraph text.
MIN_PARAGRAPH_CHARS = 60

_TRAFILATURA_COPIES = _release(trafilatura.__version__) >= (2, 3, 1)
# The page chrome that trafilatura deletes when it cleans a page (all are in its MANUALLY_CLEANED list): on a news
# page asides, footers, menus and navs hold most of the elements (menus, link boxes), which its copies and pruning
# XPaths would walk for nothing; the <head> (meta and link tags, a quarter of what is left) is not read by a pass
# without metadata either: 4% less a pass on 820 pages, the same text. (Taking out the other elements it deletes,
# inline SVG, pictures, iframes, buttons and the like, cost as much as it saved.)
_CHROME_TAGS = ("aside", "footer", "head", "menu", "nav")
_TAG_RE = re.compile(r"<[^>]*>")
_BLOCK_END_RE = re.compile(r"<(?:br|/p|/div|/li|/h[1-6]|/blockquote)\b[^>]*>", re.IGNORECASE)
_TRUNCATION_MARKS = ("...", "…", "[…]", "&hellip;")


@contextmanager
def chrome_detached(tree: HtmlElement) -> Iterator[HtmlElement]:
    """The tree without its <aside>, <footer>, <head>, <menu> and <nav> elements for the time of the block (their
    tails kept in place, as trafilatura deletes them), then as it was: each is put back where it was, and every
    text its tail was joined to is restored.

    trafilatura's cleaning would delete them anyway, but while iterating over them, an iteration that stops at an
    element nested in one it deleted: the later ones stay (a 'related articles' box after a sidebar holding
    another), and their links may reach the text. Here all go. Taking them out and back costs a few operations
    each, linear in their number (a hostile page may hold a hundred thousand): 0.09 ms a page, where a pruned copy
    of the tree cost 0.32 ms."""
    # (element, parent, the sibling before it)
    taken: list[tuple[HtmlElement, HtmlElement, HtmlElement | None]] = []
    # The text each taken element's tail joins: the tail of the sibling before it that stays, else its parent's
    # text. Keyed by (element, is the parent's text); the joined tails are set once, at the end.
    joins: dict[tuple[HtmlElement, bool], tuple[str | None, list[str]]] = {}
    try:
        for element in list(tree.iter(_CHROME_TAGS)):
            parent = element.getparent()
            if parent is None or next(element.iterancestors(_CHROME_TAGS), None) is not None:
                continue  # the root, or inside one taken out already
            previous = element.getprevious()  # (a sibling taken out before is no longer there)
            if element.tail:
                key = (parent, True) if previous is None else (previous, False)
                if key not in joins:
                    joins[key] = (parent.text if previous is None else previous.tail, [])
                joins[key][1].append(element.tail)
            parent.remove(element)  # (lxml takes the element's tail along: it comes back with it)
            taken.append((element, parent, previous))
        for (anchor, is_text), (original, tails) in joins.items():
            joined = (original or "") + "".join(tails)
            if is_text:
                anchor.text = joined
            else:
                anchor.tail = joined
        yield tree
    finally:
        for (anchor, is_text), (original, _) in joins.items():
            if is_text:
                anchor.text = original
            else:
                anchor.tail = original
        # Last taken, first back: each goes right after the sibling it followed (after that sibling's tail), or
        # first in its parent (after the parent's text).
        for element, parent, previous in reversed(taken):
            if previous is None:
                parent.insert(0, element)
            else:
                previous.addnext(element)


@contextmanager
def story_alone(tree: HtmlElement, story: HtmlElement | None) -> Iterator[HtmlElement]:
    """The tree with nothing but ``story`` and its ancestors for the time of the block, then as it was: the siblings
    of the element and of each of its ancestors are taken out (with their tails) and put back in their places.
    Nothing is taken out when ``story`` is None or not in the tree (inside chrome taken out before).

    The element that holds a news page's story (``story_element``) is where trafilatura's first body expressions
    find the story anyway, but its copies of the tree and its cleaning and pruning XPaths walk all of the page. With
    the story's <article> alone, the extraction of a page of the benchmark site (benchmarks/crawl.py) took 3.6 ms
    instead of 4.0 (interleaved, best of 3), with the same article on 600 of its pages; on the 220 real pages of the
    extraction dev sets (141 with such an <article>, 31 more with one <main>), 15.6 ms instead of 18.1, the same on
    217 and the other three better. A pass on an element that is not the story (a teaser box) comes back short,
    and ``extract_body`` reads the whole page again."""
    saved: list[tuple[HtmlElement, list[HtmlElement]]] = []
    path = [] if story is None else [story, *story.iterancestors()]
    if not path or path[-1] is not tree:
        yield tree
        return
    try:
        for node in path[:-1]:
            parent = node.getparent()
            if len(parent) > 1:
                children = list(parent)
                saved.append((parent, children))
                for child in children:
                    if child is not node:
                        parent.remove(child)  # (lxml takes the element's tail along: it comes back with it)
        yield tree
    finally:
        for parent, children in reversed(saved):
            parent[:] = children


def story_element(tree: HtmlElement, elements: PageElements | None = None) -> HtmlElement | None:
    """The element that holds the page's story: its only <article>, else the only <article> holding its only <h1>
    (teasers and related stories are <article>s too on many pages), else its only <main>; None when none of these
    tells. ``elements``, when given, are the tree's, gathered already."""
    articles = elements.articles if elements is not None else list(tree.iter("article"))
    if len(articles) == 1:
        return articles[0]
    if articles:
        h1s = elements.h1s if elements is not None else list(tree.iter("h1"))
        holding = list(h1s[0].iterancestors("article")) if len(h1s) == 1 else []
        if len(holding) == 1:
            return holding[0]
    mains = elements.mains if elements is not None else list(tree.iter("main"))
    return mains[0] if len(mains) == 1 else None


@lru_cache(maxsize=4)
def _options(favor_precision: bool, fast: bool) -> Extractor:
    """trafilatura's options for a pass, made once: building them reads its configuration anew each time (40 µs,
    2% of a pass); a pass takes a copy with the page's URL."""
    return Extractor(output_format="python", fast=fast, precision=favor_precision, comments=False, tables=True)


def trafilatura_text(tree: HtmlElement, url: str, *, favor_precision: bool, fast: bool = False) -> str:
    """trafilatura's main text of a page (tables kept, comments left out).

    ``fast`` skips its fallback extractors."""
    options = copy.copy(_options(favor_precision, fast))
    options.url = options.source = url
    # trafilatura 2.3.1 copies a tree it is given before pruning it (checked: core.bare_extraction, 'if tree is
    # filecontent: tree = copy(tree)'); older releases prune the caller's tree, so only for those is a copy made
    # here (~2 ms a page, and twice the copying on newer ones).
    document = bare_extraction(tree if _TRAFILATURA_COPIES else copy.deepcopy(tree), url=url, options=options)
    return (document.text or "") if isinstance(document, Document) else ""


def jsonld_text(value: str) -> str:
    """Plain text of a JSON-LD articleBody, which some sites fill with HTML: paragraphs kept, tags and entities
    gone."""
    if "<" in value:
        value = _TAG_RE.sub(" ", _BLOCK_END_RE.sub("\n", value))
    return clean_text(html.unescape(value))


def is_complete(text: str) -> bool:
    """Whether a JSON-LD articleBody is the whole text, not a teaser ending in an ellipsis."""
    text = text.rstrip()
    return len(text) >= MIN_REFERENCE_CHARS and not text.endswith(_TRUNCATION_MARKS)


def _shingles(text: str) -> np.ndarray:
    """The distinct word 4-grams of ``text`` (casefolded), as the sorted hashes dedup compares texts with."""
    return shingles(tokens(text), 4)


def coverage(text: str, reference: str | np.ndarray) -> float:
    """Share of the reference's distinct word 4-grams that the text has too (0..1); the reference may be given as
    its shingles (``_shingles``), when several texts are compared with it. (Hashed and intersected in numpy: a
    tenth of the cost of counting tuples of words.)"""
    wanted = _shingles(reference) if isinstance(reference, str) else reference
    if not len(wanted) or not text:
        return 0.0
    return len(np.intersect1d(_shingles(text), wanted, assume_unique=True)) / len(wanted)


def paragraph_chars(tree: HtmlElement, elements: PageElements | None = None) -> int:
    """How much text the page holds in paragraph-long <p> elements, each counted once; ``elements``, when given,
    are the tree's, gathered already."""
    seen: set[str] = set()
    for paragraph in tree.iter("p") if elements is None else elements.paragraphs:
        text = paragraph.text_content() if len(paragraph) else paragraph.text
        if text and len(text) >= MIN_PARAGRAPH_CHARS:  # collapsing whitespace only shortens it
            text = " ".join(text.split())
            if len(text) >= MIN_PARAGRAPH_CHARS:
                seen.add(text)
    return sum(map(len, seen))


def extract_body(
    tree: HtmlElement, url: str, jsonld_body: str = "", elements: PageElements | None = None
) -> str:
    """The article text of a parsed page, boilerplate lines removed; '' when there is none. ``elements``, when
    given, are the tree's, gathered already."""
    links = link_texts(tree, elements)
    page_chars = paragraph_chars(tree, elements)
    with chrome_detached(tree), story_alone(tree, story_element(tree, elements)):
        first = trafilatura_text(tree, url, favor_precision=True, fast=True)
    body = strip_boilerplate(first, links)
    if len(body) < MIN_FAST_CHARS or len(body) < MIN_FAST_SHARE * page_chars:
        body = strip_boilerplate(trafilatura_text(tree, url, favor_precision=True), links)
    reference = jsonld_text(jsonld_body) if jsonld_body else ""
    if is_complete(reference):
        wanted = _shingles(reference)
        covered = coverage(body, wanted)
        if covered >= MIN_COVERAGE:
            return body
        second = strip_boilerplate(trafilatura_text(tree, url, favor_precision=False), links)
        second_covered = coverage(second, wanted)
        if second_covered > covered + COVERAGE_GAIN:
            body, covered = second, second_covered
        return body if covered >= MIN_BEST_COVERAGE else strip_boilerplate(reference, links)
    if len(body) < MIN_PARAGRAPH_SHARE * page_chars:
        second = strip_boilerplate(trafilatura_text(tree, url, favor_precision=False), links)
        if len(second) >= SECOND_PASS_GAIN * len(body):
            return second
    return body
