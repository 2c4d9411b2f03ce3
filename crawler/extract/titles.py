"""The headline: chosen among what the page declares (JSON-LD headline, OpenGraph, Twitter card, <meta name=title>,
<title>) and the feed's title, without the ' | Site name' tail that <title> and og:title often carry, and checked
against the headline the page shows its reader (its <h1>, or the heading at the top of its <article>).

Sites declare up to three headlines for one article: one for search engines (JSON-LD, <title>), one for social
media (og:title, twitter:title) and the one on the page. The one a reader sees is the article's title, so the
declared headline that the visible heading confirms wins, unless the fields that declare another one outweigh it
(the <title> weighs half: the CMS makes it from another field, or rewrites it for search); only when none does is the
declared order trusted. Where fields spell the chosen headline differently in typographic style only (curly or
straight quotes), the spelling most of them use is kept.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lxml.etree import XPath

from crawler.extract.processors import clean_line

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from lxml.html import HtmlElement

    from crawler.extract.elements import PageElements

# Separators between a headline and the site's name (or a section), widest first.
TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ", " • ", " / ", " * ", "｜", " ｜ ", "：")
# A headline is a line of text; longer candidates are whole paragraphs put in a title field.
MAX_TITLE_CHARS = 300
# A site name tail is short; longer tails are part of the headline.
MAX_TAIL_WORDS = 8
# A kicker ('Neue Leipziger Schule: ', 'Minderheit in Syrien - ') is a short label put before the headline.
MAX_KICKER_WORDS = 6
KICKER_SEPARATORS = (": ", " - ", " – ", " — ", " / ", " | ")
# What each declared field's vote weighs when the fields disagree, in choose_title's order: JSON-LD headline,
# og:title, twitter:title, <meta name="title">, <title>, the feed's title. The <title> (and <meta name="title">, its
# copy) is the search engines' headline: made by the CMS from another field, or rewritten for search, it confirms a
# headline half as much as a field declared for the article itself.
FIELD_WEIGHTS = (1.0, 1.0, 1.0, 0.5, 0.5, 1.0)
# The visible heading that shows a declared headline adds one vote to it.
HEADING_WEIGHT = 1.0

# Quotes unified, and the invisible format characters some titles carry (soft hyphen, zero-width space, word
# joiner, direction marks) removed.
_QUOTES = str.maketrans(
    dict.fromkeys("“”„‟«»‹›「」『』", '"')
    | dict.fromkeys("‘’‚‛`´", "'")
    | dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff\u200e\u200f")
)
_SPACE_BEFORE_PUNCT_RE = re.compile(r"\s+([:;,.!?])")
_DATE_TAIL_RE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
_WORD_RE = re.compile(r"\w+")
# The visible headline: <h1>s, but not those a breadcrumb or menu holds (sites put an SEO headline there, in small
# print), nor those of a page header outside the article (the site's logo).
MAX_HEADINGS = 5
_NOT_BREADCRUMB = (
    "not(ancestor-or-self::nav) and not(ancestor-or-self::*[contains(@class,'breadcrumb') "
    "or contains(@id,'breadcrumb') or @data-breadcrumb-headline])"
)
# (each <h1> is tested alone: walking the tree for its few <h1>s costs a third of the XPath '//h1[...]')
_IS_SHOWN_H1 = XPath(
    f"boolean(self::h1[(not(ancestor::header[not(ancestor::article)]) or ancestor::article) and {_NOT_BREADCRUMB}])"
)
_NOT_IN_BREADCRUMB = XPath(f"boolean(self::*[{_NOT_BREADCRUMB}])")
# The heading at the top of an <article> is looked for before its first paragraph of text, in the first articles.
MAX_ARTICLES = 3
MIN_PARAGRAPH_CHARS = 80
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe", "å": "aa"})
# Choosing a title compares a page's few candidate titles with each other some thirty times: the keys of a string
# are computed once (they are pure functions of short strings).
_CACHED = 4096


@lru_cache(maxsize=_CACHED)
def _clean(value: str) -> str:
    """clean_line, cached: for the short title candidates only."""
    return clean_line(value)


@lru_cache(maxsize=_CACHED)
def title_key(value: str) -> str:
    """A comparison key: casefolded, quotes unified, no space before punctuation, no trailing dots."""
    text = _clean(value).casefold().translate(_QUOTES)
    return _SPACE_BEFORE_PUNCT_RE.sub(r"\1", text).rstrip(" .…")


@lru_cache(maxsize=_CACHED)
def word_key(value: str) -> tuple[str, ...]:
    """The words only, casefolded: 'Nationale Demo / Der 9. Juli naht' and 'Nationale Demo Der 9. Juli naht' (a
    kicker set apart by markup, not punctuation) are the same."""
    return tuple(_WORD_RE.findall(title_key(value)))


@lru_cache(maxsize=_CACHED)
def _letters(value: str) -> str:
    """Only the letters and digits, accents dropped: 'Seznam Zprávy' -> 'seznamzpravy'."""
    text = unicodedata.normalize("NFKD", value.casefold())
    return "".join(c for c in text if c.isalnum() and c.isascii())


@lru_cache(maxsize=64)
def _host_labels(url: str) -> tuple[str, ...]:
    """'https://www.timesofindia.indiatimes.com/x' -> ['timesofindia', 'indiatimes'] (no www, no suffix)."""
    host = (urlsplit(url).hostname or "").casefold()
    labels = [label for label in host.split(".") if label not in ("www", "m", "amp", "www1", "www2")]
    return tuple(_letters(label) for label in labels[:-1] if len(label) >= 2)


def is_site_name(tail: str, site_names: Iterable[str], url: str = "") -> bool:
    """Whether the tail of a title names the site: one of its declared names, or its host name spelled out
    ('Golem.de', 'Times of India' for timesofindia.indiatimes.com, 'Börsen-Zeitung' for boersen-zeitung.de)."""
    key = title_key(tail)
    if not key or len(key.split()) > MAX_TAIL_WORDS:
        return False
    names = {title_key(name) for name in site_names if name}
    # 'BBC News' in 'BBC News - Home'; 'Mirror' for 'The Mirror' (but not 'Russia' for 'Russia Today')
    if key in names or any(
        len(n) >= 4 and (n in key or (key in n and 2 * len(key) >= len(n))) for n in names
    ):
        return True
    spelled = {_letters(key), _letters(key.translate(_FOLD))}
    for label in _host_labels(url):
        for letters in spelled:
            if letters and (
                letters == label
                or (len(label) >= 4 and label in letters)
                or (len(letters) >= 5 and letters in label)
            ):
                return True
    return False


def strip_site_name(
    title: str, site_names: Iterable[str] = (), url: str = "", others: Sequence[str] = ()
) -> str:
    """'Headline | Site Name' -> 'Headline' when the tail names the site or the head is what another field says;
    'Site Name | Headline' -> 'Headline' likewise. Tails that are dates ('– DW – 13.06.2023') go with the site."""
    title = _clean(title)
    other_keys = {title_key(o) for o in others if o}
    for _ in range(3):  # 'Headline - Section | Site', 'Headline – DW – 13.06.2023'
        stripped = _strip_once(title, site_names, url, other_keys)
        if stripped == title:
            break
        title = stripped
    return title


def _strip_once(title: str, site_names: Iterable[str], url: str, other_keys: set[str]) -> str:
    for sep in TITLE_SEPARATORS:
        if sep not in title:
            continue
        head, _, tail = title.rpartition(sep)
        head, tail = head.strip(), tail.strip()
        if head and (
            title_key(head) in other_keys or _DATE_TAIL_RE.match(tail) or is_site_name(tail, site_names, url)
        ):
            return head
        first, _, rest = title.partition(sep)
        if rest.strip() and (title_key(rest) in other_keys or is_site_name(first, site_names, url)):
            return rest.strip()
    return title


def _usable(candidate: str, site_names: Iterable[str], url: str) -> bool:
    key = title_key(candidate)
    return (
        bool(key)
        and len(candidate) <= MAX_TITLE_CHARS
        and not candidate.startswith(("…", "..."))
        and not (is_site_name(candidate, site_names, url) and len(key.split()) <= 3)
    )


def without_kicker(title: str, others: Iterable[str]) -> str:
    """The headline without the kicker another field leaves out: 'Neue Leipziger Schule: Judy Lybke, ganz und gar
    nicht eigenartig' -> 'Judy Lybke, ganz und gar nicht eigenartig' when og:title says only that."""
    other_keys = {title_key(o) for o in others if o}
    for sep in KICKER_SEPARATORS:
        kicker, found, rest = title.partition(sep)
        if found and rest and len(kicker.split()) <= MAX_KICKER_WORDS and title_key(rest) in other_keys:
            return rest.strip()
    return title


@dataclass(frozen=True)
class Heading:
    """A heading the page shows: its whole text and, when it sets a short kicker apart in its own element
    ('<span>Meinung</span><span>Warum ...</span>'), the part after it."""

    text: str
    part: str = ""


def _heading(element: HtmlElement) -> Heading:
    text = clean_line(" ".join(element.itertext()))
    children = [c for c in element if isinstance(c.tag, str)]
    if len(children) >= 2 and not (children[-1].tail or "").strip():
        part = clean_line(" ".join(children[-1].itertext()))
        words, part_words = word_key(text), word_key(part)
        kicker_words = len(words) - len(part_words)
        if part_words and 0 < kicker_words <= MAX_KICKER_WORDS and words[kicker_words:] == part_words:
            return Heading(text, part)
    return Heading(text)


def _article_heading(article: HtmlElement) -> HtmlElement | None:
    """The first <h1>/<h2> of an article before its first paragraph of text (later ones are subheadings), a
    breadcrumb's left out."""
    for element in article.iter("h1", "h2", "p"):
        if element.tag != "p":
            if _NOT_IN_BREADCRUMB(element):
                return element
        elif len(element.text_content()) >= MIN_PARAGRAPH_CHARS:
            return None
    return None


def visible_headings(tree: HtmlElement, page: PageElements | None = None) -> list[Heading]:
    """The headings a reader may take for the article's title: the top heading of each <article> (an <h2> on
    sites that keep their <h1> for a breadcrumb), then the <h1>s, in page order; none that a breadcrumb holds.
    ``page``, when given, holds the tree's elements, gathered already."""
    elements = []
    for article in tree.iter("article") if page is None else page.articles:
        element = _article_heading(article)
        if element is not None:
            elements.append(element)
        if len(elements) >= MAX_ARTICLES:
            break
    # '//h1[...]': the whole document
    h1s = [h for h in (tree.getroottree().iter("h1") if page is None else page.h1s) if _IS_SHOWN_H1(h)]
    elements += [h for h in h1s[:MAX_HEADINGS] if h not in elements]
    headings = [_heading(e) for e in elements]
    return [h for h in headings if h.text]


def _spelling(chosen: str, spellings: Sequence[tuple[str, float]]) -> str:
    """The spelling of ``chosen`` that most declared fields use, among those that differ from it in typographic
    style only ('unveils ‘family’ plan' and "unveils 'family' plan"); ``chosen`` on a tie."""
    form = _clean(chosen).translate(_QUOTES)
    weights: dict[str, float] = {}
    for text, weight in spellings:
        if _clean(text).translate(_QUOTES) == form:
            weights[text] = weights.get(text, 0.0) + weight
    best = weights.get(chosen, 0.0)
    for text, weight in weights.items():  # in declared order; ``chosen`` keeps a tie
        if weight > best:
            chosen, best = text, weight
    return chosen


def _confirmed(headings: Sequence[Heading], declared: Sequence[tuple[str, str, float]]) -> str:
    """The headline a visible heading shows and a declared field confirms, unless another headline is declared
    with more weight; '' when there is none.

    ``declared`` holds each field's value with and without what strip_site_name took off (a kicker that the page
    sets apart by markup may be set apart by ' / ' in og:title), and the weight of the field's vote (FIELD_WEIGHTS).
    The heading counts as one more vote (HEADING_WEIGHT). The part after a kicker that the page sets apart by markup
    is the headline when a field declares it so; the whole heading otherwise."""
    keys = [(word_key(stripped), word_key(raw)) for stripped, raw, _ in declared]
    groups: dict[tuple[str, ...], float] = {}
    for (stripped_key, _), (_, _, weight) in zip(keys, declared, strict=True):
        if stripped_key:
            groups[stripped_key] = groups.get(stripped_key, 0.0) + weight
    for heading in headings:
        # a one-word heading ('Politik', 'Live') confirms nothing
        shown = {key for key in (word_key(t) for t in (heading.part, heading.text) if t) if len(key) >= 2}
        supporters = [i for i, pair in enumerate(keys) if shown & set(pair)]
        if not supporters:
            continue
        best_other = max((n for k, n in groups.items() if k not in shown), default=0.0)
        votes = sum(declared[i][2] for i in supporters) + HEADING_WEIGHT
        if votes >= best_other:
            for wanted in (word_key(t) for t in (heading.part, heading.text) if t):
                spellings: list[tuple[str, float]] = []
                for i in supporters:
                    stripped, raw, weight = declared[i]
                    text = stripped if keys[i][0] == wanted else raw if keys[i][1] == wanted else ""
                    if text:
                        spellings.append((text, weight))
                if spellings:
                    return _spelling(spellings[0][0], spellings)
    return ""


def _named_otherwise(
    headline: str, name: str, others: Sequence[str], site_names: Sequence[str], url: str
) -> str:
    """The declared headline (among ``others``) that the JSON-LD giving ``headline`` uses as its name, when that is
    another headline ('headline': what the <h1> says, 'name': the og:title); '' otherwise, and for a name that only
    shortens or lengthens the headline ('Google's Search makeover…', 'Headline | Site') or is the site's name."""
    key, name_key = word_key(headline), word_key(strip_site_name(name, site_names, url, others))
    if (
        not name_key
        or name_key[: len(key)] == key
        or key[: len(name_key)] == name_key
        or is_site_name(name, site_names, url)
    ):
        return ""
    return next((other for other in others if other and word_key(other) == name_key), "")


def choose_title(
    *,
    headline: str = "",
    headline_name: str = "",
    og_title: str = "",
    twitter_title: str = "",
    h1s: Sequence[str] = (),
    headings: Sequence[Heading] = (),
    meta_title: str = "",
    title_tag: str = "",
    feed_title: str = "",
    site_names: Sequence[str] = (),
    url: str = "",
) -> str:
    """The article's headline.

    The declared headline that a visible heading (``headings``, or else ``h1s``) shows, word for word, comes first:
    that is what the reader sees and the publisher declares; unless the fields declaring another headline weigh more
    than those confirming it and the heading (FIELD_WEIGHTS, HEADING_WEIGHT). Otherwise the JSON-LD headline, what
    the publisher declares for the article, comes first, unless the same JSON-LD object names the article
    (``headline_name``) with another headline that another field declares: that one then. OpenGraph and Twitter
    titles next (they are sometimes rewritten for social media). The visible <h1> is used when nothing is declared,
    an <h1> some other field confirms first, because pages also have <h1>s for the site's logo or a login box. A
    kicker that another field leaves out is dropped. Of spellings that differ in quote style only, the one most
    declared fields use is returned.
    """
    if not headings:
        headings = [Heading(h) for h in h1s]
    h1s = [h.text for h in headings]
    declared_raw = [headline, og_title, twitter_title, meta_title, title_tag, feed_title]
    declared = [
        (strip_site_name(c, site_names, url, [o for o in (*declared_raw, *h1s) if o and o != c]), c, weight)
        for c, weight in zip(map(_clean, declared_raw), FIELD_WEIGHTS, strict=True)
        if c
    ]
    usable = [(s, r, w) for s, r, w in declared if _usable(s, site_names, url)]
    shown = _confirmed(headings, usable)
    if shown:
        return shown
    raw = [headline, og_title, twitter_title, title_tag, feed_title, *h1s]
    cleaned = [_clean(c) for c in raw]
    stripped = [
        strip_site_name(c, site_names, url, [o for o in cleaned if o and o != c]) if c else ""
        for c in cleaned
    ]
    headline, og_title, twitter_title, title_tag, feed_title = stripped[:5]
    h1_list = stripped[5:]
    keys = {title_key(c) for c in (headline, og_title, twitter_title, title_tag, feed_title) if c}
    confirmed_h1 = next((h for h in h1_list if h and title_key(h) in keys), "")
    first_h1 = next((h for h in h1_list if h), "")
    # a JSON-LD that names the article with another declared headline than its 'headline' does not settle it alone
    named = _named_otherwise(headline, headline_name, stripped[1:5], site_names, url) if headline else ""
    for candidate in (
        named,
        headline,
        og_title,
        twitter_title,
        confirmed_h1,
        first_h1,
        title_tag,
        feed_title,
    ):
        if candidate and _usable(candidate, site_names, url):
            chosen = without_kicker(candidate, [c for c in stripped[:5] if c and c != candidate])
            return _spelling(chosen, [(s, w) for s, _, w in usable])
    return ""
