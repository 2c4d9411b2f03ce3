"""Hardening of XML from untrusted servers, before any parser sees it: no DOCTYPE (so no entity can be declared,
whatever the parser's settings), no character reference to an impossible character, no encoding name Python
does not know. Pure functions over bytes.
"""

from __future__ import annotations

import codecs
import re

# A DOCTYPE may declare entities (billion laughs, external entities): news feeds and sitemaps never need one.
_DOCTYPE_RE = re.compile(rb"<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>", re.IGNORECASE | re.DOTALL)
# One item of an XML prolog: a processing instruction, a comment or the DOCTYPE (group 1; quoted strings in it may
# hold '>' and ']'), after optional white space.
_QUOTED = rb"\"[^\"]*\"|'[^']*'"
_PROLOG_ITEM_RE = re.compile(
    rb"\s*(?:<\?.*?\?>|<!--.*?-->|(<!DOCTYPE(?:[^>\[\"']|" + _QUOTED + rb")*"
    rb"(?:\[(?:[^\]\"']|" + _QUOTED + rb")*\])?\s*>))",
    re.IGNORECASE | re.DOTALL,
)


def _doctype_span(body: bytes) -> tuple[int, int] | None:
    """Where the DOCTYPE of an XML document is: walks the prolog (declaration, comments, processing instructions)
    however long it is, so no padding can push a DOCTYPE out of sight."""
    position = 3 if body.startswith(b"\xef\xbb\xbf") else 0
    while True:
        match = _PROLOG_ITEM_RE.match(body, position)
        if match is None or match.end() == position:
            return None
        if match.group(1) is not None:
            return match.start(1), match.end(1)
        position = match.end()


def has_doctype(body: bytes) -> bool:
    """Whether an XML document declares a DOCTYPE (and so, perhaps, entities)."""
    return _doctype_span(body) is not None or b"<!DOCTYPE" in body[:65536].upper()


def defuse(body: bytes) -> bytes:
    """Drop any DOCTYPE (and the entities it may declare) from an XML document."""
    span = _doctype_span(body)
    if span is not None:
        return body[: span[0]] + body[span[1]:]
    if b"<!DOCTYPE" not in body[:65536].upper() and b"<!ENTITY" not in body[:65536].upper():
        return body
    # A DOCTYPE that is not well-formed: the parsers never expand entities anyway (resolve_entities=False,
    # feedparser's own DOCTYPE filter); drop what can be recognized of it.
    return _DOCTYPE_RE.sub(b"", body, count=1)


_CHARREF_RE = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,16})|([0-9]{1,20}));")


def _is_xml_char(code: int) -> bool:
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


def _fix_charref(match: re.Match[bytes]) -> bytes:
    code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
    return match.group(0) if _is_xml_char(code) else b"&#xFFFD;"


def valid_charrefs(body: bytes) -> bytes:
    """Replace character references to no valid character (``&#xD800;``, ``&#x110000;``, ``&#0;``) by U+FFFD:
    feedparser's lenient parser raises on them, losing the whole feed."""
    return _CHARREF_RE.sub(_fix_charref, body) if b"&#" in body else body


_XML_ENCODING_RE = re.compile(rb"""^(\xef\xbb\xbf)?(\s*<\?xml\b[^>]{0,200}?)\s+encoding\s*=\s*(["'])(.*?)\3""",
                              re.DOTALL)
_CODEC_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9._:-]{0,39}")


def sane_xml_declaration(body: bytes) -> bytes:
    """Drop an XML declaration's encoding when it names no codec Python knows (``encoding="\x80utf-8"``): the
    document's bytes are then read as UTF-8, instead of feedparser failing on the name."""
    match = _XML_ENCODING_RE.match(body[:300])
    if match is None:
        return body
    name = match.group(4).decode("latin-1")
    if _CODEC_NAME_RE.fullmatch(name):
        try:
            codecs.lookup(name)
            return body
        except LookupError:
            pass
    return (match.group(1) or b"") + match.group(2) + body[match.end():]
