"""Small pure cleaning functions, used as itemloaders processors and by the extractors."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

_WS_RE = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANKS_RE = re.compile(r"\n\s*\n+")
_AUTHOR_PREFIX_RE = re.compile(
    r"^(?:(?:written\s+)?by|from|von|por|par|di|door|автор(?:ы)?:?|текст:?|yazan:?|nota de)\s+",
    re.IGNORECASE,
)
_AUTHOR_SPLIT_RE = re.compile(r"\s*(?:,|;|/|\band\b|\bund\b|\by\b|\be\b|\bet\b|\bи\b|\bve\b|&|\|)\s*", re.IGNORECASE)
_EMAIL_RE = re.compile(r"\S+@\S+\.\S+")
_AUTHOR_ROLE_RE = re.compile(
    r"\s*[,(–—-]\s*(?:staff\s+writer|reporter|correspondent|editor|senior\s+\w+|contributor|"
    r"корреспондент|редактор|muhabir|redactor|correspondant)\b.*$",
    re.IGNORECASE,
)
_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ", " • ", " / ")


def clean_text(value: str) -> str:
    """Unicode NFC, HTML entities left in text decoded, runs of spaces collapsed, lines trimmed."""
    if not value:
        return ""
    text = unicodedata.normalize("NFC", html.unescape(value)) if "&" in value else unicodedata.normalize("NFC", value)
    text = text.replace("\u00ad", "").replace("\ufeff", "")
    lines = (_WS_RE.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n"))
    return "\n".join(lines).strip()


def clean_line(value: str) -> str:
    """clean_text, then all on one line."""
    return " ".join(clean_text(value).split())


def clean_body(value: str) -> str:
    """Plain text body: paragraphs (lines) separated by exactly one blank line."""
    paragraphs = [p for p in (" ".join(part.split()) for part in clean_text(value).split("\n")) if p]
    return "\n\n".join(paragraphs)


def split_authors(value: str) -> list[str]:
    """'By Jane Roe and John Doe, Staff Writer' -> ['Jane Roe', 'John Doe']."""
    text = clean_line(value)
    text = _EMAIL_RE.sub("", text)
    text = _AUTHOR_PREFIX_RE.sub("", text).strip()
    names: list[str] = []
    for part in _AUTHOR_SPLIT_RE.split(text):
        name = _AUTHOR_ROLE_RE.sub("", part).strip(" .,:;-–—()")
        name = _AUTHOR_PREFIX_RE.sub("", name).strip()
        # A name has letters, at most six words, and is not a URL.
        if name and any(c.isalpha() for c in name) and len(name.split()) <= 6 and "://" not in name:
            names.append(name)
    return names


def unique(values: Iterable[str]) -> list[str]:
    """Keep the first of each value (case-insensitive), in order, dropping empties."""
    seen: set[str] = set()
    result: list[str] = []
    for value in values:
        key = value.casefold()
        if value and key not in seen:
            seen.add(key)
            result.append(value)
    return result


def strip_title_suffix(title: str, site_names: Iterable[str] = (), headline: str = "") -> str:
    """'Headline | Site Name' -> 'Headline' when the tail is the site's name or the head is the page's h1."""
    title = clean_line(title)
    names = {clean_line(n).casefold() for n in site_names if n}
    for sep in _TITLE_SEPARATORS:
        if sep not in title:
            continue
        head, _, tail = title.rpartition(sep)
        tail_key = tail.strip().casefold()
        if head and (tail_key in names or any(n and (n in tail_key or tail_key in n) for n in names)):
            return head.strip()
        # 'Site Name | Headline' (prefix form)
        first, _, rest = title.partition(sep)
        if rest and first.strip().casefold() in names:
            return rest.strip()
        if headline and clean_line(headline).casefold() == head.strip().casefold():
            return head.strip()
    return title
