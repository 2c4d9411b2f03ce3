"""Line rules that take out the boilerplate trafilatura keeps: share and follow prompts, newsletter boxes, 'related
articles' lists, comment prompts, contact lines.

Every rule is general (no site is named) and conservative: a rule only drops short lines, because an article's own
paragraphs are long, while promotions and link lists are short. Rules are checked against both benchmark halves.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml.html import HtmlElement

    from crawler.extract.elements import PageElements

# Lines longer than this are prose: no promotion rule applies to them.
MAX_PROMO_CHARS = 250
# A link text shorter than this ('Home', 'More') says too little to mark a body line as a link list entry.
MIN_LINK_CHARS = 15
# A link line of at least this many words reads like a headline (a teaser for another article).
MIN_TEASER_WORDS = 5
# A heading longer than this is not the title of a 'related' box.
MAX_HEADING_CHARS = 60

_SOCIAL = (
    r"(?:twitter|x|facebook|instagram|telegram|youtube|tiktok|linkedin|threads|bluesky|whatsapp|"
    r"google news|flipboard)"
)
# Promotions, prompts and contact lines in the languages we cover, each needing the line to be short. Every rule
# names words its pattern cannot match without: the pattern is only run on lines that have one (a tenth of the cost).
_PROMO_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    # newsletters and subscriptions
    (("sign", "subscri", "register"),
     r"\b(?:sign(?:ing)?[ -]up|subscrib\w*|register)\b.{0,60}\b(?:newsletters?|briefing|alerts|inbox|updates)\b"),
    (("newsletter",), r"\bnewsletters?\b.{0,80}\b(?:sign(?:ing)?[ -]up|subscrib\w*|inbox|free|daily|weekly)\b"),
    (("inbox",), r"\b(?:your|our) inbox\b"),
    (("thank",), r"\bthanks? (?:you )?for (?:signing up|subscribing)\b"),
    (("subscription",), r"\berror processing your subscription\b"),
    (("abonnieren",), r"\bjetzt\b.{0,40}\babonnieren\b"),
    (("newsletter",), r"\bnewsletter\b.{0,40}\b(?:abonnieren|bestellen|anmelden|inscri\w*|assine|suscr[ií]b\w*)\b"),
    (("suscr", "abonnez", "inscrivez", "assine"),
     r"\b(?:suscr[ií]bete|abonnez-vous|inscrivez-vous|assine (?:já|agora))\b"),
    # follow us, get the app, reading time, tags
    (("follow",), r"^follow (?:\S+ ){0,4}(?:coverage|updates|live)\b"),
    (("follow", "like", "join", "find"), rf"\b(?:follow|like|join|find)\b(?: \S+){{0,4}} on {_SOCIAL}\b"),
    (("folgen", "síguenos", "siga-nos", "suivez", "подпис", "читайте нас", "підпис", "bizi takip"),
     (r"^(?:folgen sie|síguenos|siga-nos|suivez-nous|подписывайтесь|подпишитесь|читайте нас|підписуйтеся|"
      r"підписуйтесь|bizi takip)\b")),
    (("takip edin",), rf"\b{_SOCIAL}'?(?:da|de|ta|te)? takip edin\b"),
    (("دنبال کنید",), r"\b(?:در تلگرام|در اینستاگرام) دنبال کنید"),
    (("download", "get the", "get our"), r"\b(?:download|get) (?:the|our) (?:\S+ ){0,3}app\b"),
    (("preferred source",), r"\badd us as a preferred source\b"),
    (("reading time", "lesezeit", "leitura", "lectura", "lecture", "время чтения", " read"),
     (r"\b(?:reading time|lesezeit|tempo de leitura|tiempo de lectura|temps de lecture|время чтения|"
      r"\d+ min(?:ute)?s? read)\b")),
    (("filed", "tag", "topic", "categor", "schlagw", "themen", "etiqueta", "теги", "темы"),
     r"^(?:filed under|tags?|tagged|topics?|categories|category|schlagwörter|themen|etiquetas|теги|темы)\s*:"),
    # comment prompts
    (("comment", "conversation"),
     (r"\b(?:join|read|view|leave|post|add|write) (?:the|our|a|your) (?:\S+ )?"
      r"(?:comments?|conversation|commenting)\b")),
    (("comment",), r"\b(?:log ?in|sign in|logged in|display name)\b.{0,60}\bcomment"),
    (("kommentar",), r"\bkommentar (?:abgeben|schreiben)\b|\bum einen kommentar\b"),
    (("logout",), r"\bplease logout and then login again\b"),
    # contact lines under the text
    (("@",), r"\S+@\S+\.[a-z]{2,}\b"),
    (("tip", "got a story"), r"\bhave a (?:news )?tip\b|\bgot a story\b"),
)  # fmt: skip
_PROMO_PATTERNS = tuple((words, re.compile(pattern, re.IGNORECASE)) for words, pattern in _PROMO_RULES)
# Appeals that run longer than other promotions.
_APPEAL_RE = re.compile(
    r"\bif you (?:enjoyed|liked|value) (?:this|our) (?:article|story|journalism|reporting)\b|"
    r"\bsupport (?:our|independent|quality) journalism\b",
    re.IGNORECASE,
)
MAX_APPEAL_CHARS = 500
# Words an appeal cannot be matched without, looked for before the pattern is run (the pattern costs a third of
# the line rules). Keys are casefolded; the only other letter the pattern's (ignore-case) letters match is the
# dotless 'ı' for 'i', and these words have no 'i'.
_APPEAL_WORDS = ("f you ", "support ")
# Calls to action that may close a real sentence too: only a line this short is taken for one.
MAX_CALL_CHARS = 100
_CALL_RE = re.compile(
    r"\bclick(?:ing)? here\b|\bklicken sie hier\b|\bhaga clic aquí\b|\bclique aqui\b|"
    r"^(?:source|sources|quelle|quellen|fuente|fonte|источник)\s*:|"
    r"^(?:additional )?reporting by\b|^(?:writing|editing) by\b",
    re.IGNORECASE,
)
# 'Related: <headline>', 'READ MORE: <headline>', 'Lesen Sie auch: ...' — a teaser for another article.
_LEAD_IN = (
    r"related|read more|read also|also read|see also|see more|more|watch|listen|recommended|don'?t miss|"
    r"lesen sie auch|lesen sie mehr|mehr zum thema|auch interessant|lee también|lea también|leia também|leia mais|"
    r"veja também|lire aussi|à lire aussi|à voir aussi|читайте также|читайте також|смотрите также|дивіться також|"
    r"ayrıca (?:bakınız|okuyun)|bunu da okuyun|ilgili haber|leggi anche|lees ook|czytaj (?:też|także)|"
    r"بیشتر بخوانید|بخوانید"
)
_LEAD_IN_RE = re.compile(rf"^(?:{_LEAD_IN})\s*[:：»|–—-]+\s*\S", re.IGNORECASE)
# Headings of a box of links to other articles (or of the comments); the short lines after them go too.
_SECTION_RE = re.compile(
    rf"^(?:{_LEAD_IN}|related (?:articles|stories|news|content|coverage|topics)|"
    r"more (?:from|on|about|stories|news)\b.*|"
    r"you (?:may|might) (?:also )?(?:like|be interested in)|most (?:read|popular|viewed)\b.*|trending(?: now)?|"
    r"top stories|explore further|something to consider|comments?|"
    r"mehr aus (?:dieser|der) rubrik|weitere artikel|ähnliche artikel|das könnte sie auch interessieren|"
    r"meistgelesen|kommentare|te puede interesar|también te puede interesar|noticias relacionadas|más noticias|"
    r"notícias relacionadas|mais lidas|sur le même sujet|articles similaires|les plus lus|похожие новости|"
    r"новости по теме|популярное|новини за темою|ilgili haberler|benzer haberler|bunlar da ilginizi çekebilir|"
    r"çok okunanlar|مطالب مرتبط|اخبار مرتبط|articoli correlati)\s*[:.…!]*$",
    re.IGNORECASE,
)
_BULLET_RE = re.compile(r"^[-–—•·*▪►>]\s*")
_URL_RE = re.compile(r"^(?:https?://|www\.)\S+$")
_TIMESTAMP_RE = re.compile(
    r"^(?:(?:updated|last updated|published|posted|stand|aktualisiert|actualizado|atualizado|mis à jour|"
    r"обновлено|опубликовано)\b\s*:?\s*.{0,40}\d.{0,20}|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?\S*)?)$",
    re.IGNORECASE,
)


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def link_texts(tree: HtmlElement, elements: PageElements | None = None) -> frozenset[str]:
    """The texts of the page's links (casefolded, whitespace collapsed), for spotting link lists in the body;
    ``elements``, when given, are the tree's, gathered already."""
    texts = set()
    for anchor in tree.iter("a") if elements is None else elements.anchors:
        # most links hold their text alone: .text is then their text content, at a tenth of the cost
        text = anchor.text_content() if len(anchor) else anchor.text
        if text and len(text) >= MIN_LINK_CHARS:  # collapsing whitespace only shortens it
            key = _key(text)
            if len(key) >= MIN_LINK_CHARS:
                texts.add(key)
    return frozenset(texts)


def _is_link_line(key: str, links: frozenset[str]) -> bool:
    """A line that is only a link to another page, perhaps behind a bullet."""
    bare = _BULLET_RE.sub("", key)
    return bool(links) and (bare in links or bare.rstrip(" |»›→") in links)


def _is_teaser(key: str, links: frozenset[str]) -> bool:
    """A link line that reads like another article's headline, or a bulleted one. A short linked name among the
    text (a product in a table, a person) is content."""
    return _is_link_line(key, links) and (len(key.split()) >= MIN_TEASER_WORDS or bool(_BULLET_RE.match(key)))


def _is_promotion(key: str) -> bool:
    for words, pattern in _PROMO_PATTERNS:
        for word in words:
            if word in key:
                if pattern.search(key):
                    return True
                break
    return False


def _is_appeal(key: str) -> bool:
    return any(w in key for w in _APPEAL_WORDS) and bool(_APPEAL_RE.search(key))


def is_boilerplate(line: str, links: frozenset[str] = frozenset()) -> bool:
    """Whether one body line is a promotion, a prompt, a teaser for another article or a bare URL/timestamp."""
    return _is_boilerplate_key(_key(line), links)


def _is_boilerplate_key(key: str, links: frozenset[str]) -> bool:
    if not key:
        return True
    if len(key) > MAX_PROMO_CHARS:
        return len(key) <= MAX_APPEAL_CHARS and _is_appeal(key)
    return bool(
        _is_promotion(key)
        or _is_appeal(key)
        or (len(key) <= MAX_CALL_CHARS and _CALL_RE.search(key))
        or _LEAD_IN_RE.match(key)
        or _URL_RE.match(key)
        or _TIMESTAMP_RE.match(key)
        or _is_teaser(key, links)
    )


def strip_boilerplate(text: str, links: frozenset[str] = frozenset()) -> str:
    """The text without boilerplate lines and without 'related' boxes."""
    kept: list[str] = []
    in_section = False
    for line in text.split("\n"):
        key = _key(line)
        if not key:
            continue
        if in_section:
            # a 'Related' box runs on while its lines are links to other pages
            if _is_link_line(key, links):
                continue
            in_section = False
        if len(key) <= MAX_HEADING_CHARS and _SECTION_RE.match(key):
            in_section = True
            continue
        if _is_boilerplate_key(key, links):
            continue
        kept.append(line)
    return "\n".join(kept)
