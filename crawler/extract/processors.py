"""Small pure cleaning functions, used by the extractors and on the Article's fields."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

_WS_RE = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANKS_RE = re.compile(r"\n\s*\n+")
_AUTHOR_PREFIX_RE = re.compile(
    r"^(?:(?:written\s+|reported\s+)?by|from|von|por|escrito por|par|di|door|av|af|przez|автор(?:ы)?:?|текст:?|"
    r"автор:|yazan:?|nota de|author:|autor:)\s+",
    re.IGNORECASE,
)
# Separators between names: punctuation and 'and' in our languages (og/och: Nordic, та/і: Ukrainian, و: Persian).
_AUTHOR_SPLIT_RE = re.compile(
    r"\s*(?:,|;|/|&|\||\b(?:and|und|y|e|et|и|ve|og|och|ja|та|і)\b|(?<!\S)و(?!\S))\s*", re.IGNORECASE
)
# Initials or a role in brackets after a name: 'Elena Oberholzer (obe)', 'Jane Roe (Reuters)'.
_AUTHOR_BRACKETS_RE = re.compile(r"\s*[(\[][^()\[\]]*(?:[)\]]|$)")
# E-mail addresses and URLs (profile links in author fields) are taken out before names are split on '/'.
_EMAIL_RE = re.compile(r"\S+@\S+\.\S+|\S+://\S*")
_AUTHOR_ROLE_RE = re.compile(
    r"(?:^|\s*[,(–—-]\s*)(?:staff\s+writer|reporter|correspondent|editor|senior\s+\w+|contributor|"
    r"корреспондент|редактор|muhabir|redactor|correspondant)\b.*$",
    re.IGNORECASE,
)


def clean_text(value: str) -> str:
    """Unicode NFC, HTML entities left in text decoded, runs of spaces collapsed, lines trimmed."""
    if not value:
        return ""
    text = (
        unicodedata.normalize("NFC", html.unescape(value))
        if "&" in value
        else unicodedata.normalize("NFC", value)
    )
    text = text.replace("\u00ad", "").replace("\ufeff", "")
    lines = (_WS_RE.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n"))
    return "\n".join(lines).strip()


def clean_line(value: str) -> str:
    """clean_text, then all on one line."""
    return " ".join(clean_text(value).split())


def clean_body(value: str) -> str:
    """Plain text body: paragraphs (lines) separated by exactly one blank line.

    clean_text, then each line's whitespace collapsed, done in one pass over the lines (bodies are long): str.split
    takes every character _WS_RE replaces for whitespace but the zero-width space, which is made a space first."""
    if not value:
        return ""
    text = unicodedata.normalize("NFC", html.unescape(value) if "&" in value else value)
    text = text.replace("\u00ad", "").replace("\ufeff", "").replace("\u200b", " ")
    return "\n\n".join(p for p in (" ".join(line.split()) for line in text.split("\n")) if p)


def split_authors(value: str) -> list[str]:
    """'By Jane Roe and John Doe, Staff Writer' -> ['Jane Roe', 'John Doe']."""
    text = clean_line(value)
    text = _EMAIL_RE.sub("", text)
    text = _AUTHOR_BRACKETS_RE.sub("", _AUTHOR_PREFIX_RE.sub("", text)).strip()
    names: list[str] = []
    for part in _AUTHOR_SPLIT_RE.split(text):
        name = _AUTHOR_ROLE_RE.sub("", part).strip(" .,:;-–—()")
        name = _AUTHOR_PREFIX_RE.sub("", name).strip()
        # A name has letters, at most six words, and is not a URL, nor a lone 'By'.
        if (
            name
            and any(c.isalpha() for c in name)
            and len(name.split()) <= 6
            and "://" not in name
            and not _AUTHOR_PREFIX_RE.match(name + " ")
        ):
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
