"""The taxonomy: platforms, authorities, countries and the blocking vocabulary, loaded from the TOML files beside this
module and compiled into fast matchers.

Pattern syntax (lowercase; see each file's header): words match whole words; a trailing ``*`` makes a word a stem;
words are split as the text is (so hyphens and spaces are alike, and a Turkish apostrophe suffix such as
``Instagram'a`` is a word of its own); Chinese and Japanese patterns match as substrings.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

LANGUAGES = ("en", "ru", "uk", "es", "pt", "tr", "fa", "fr", "de", "zh")
ACTION_CODES = (
    "block",
    "throttle",
    "feature_restriction",
    "app_store_removal",
    "registry_removal",
    "legal_action",
    "threat",
    "shutdown",
    "unblock",
)
_TOKEN_RE = re.compile(r"\w+", re.UNICODE)
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True)
class Token:
    """A word of a text: its matching form and where it is."""

    text: str
    start: int
    end: int


_FOLD = str.maketrans({"İ": "I", "ё": "е", "Ё": "Е", "ي": "ی", "ك": "ک", "’": "'"})


def fold(text: str) -> str:
    """The form both texts and patterns are matched in: lowercase, Turkish 'İ' as 'i', Russian 'ё' as 'е', Arabic
    'ي'/'ك' as the Persian letters, typographic apostrophes plain. Offsets are kept (one character for one)."""
    return text.translate(_FOLD).lower()


def tokenize(text: str, *, lower: bool = True) -> list[Token]:
    """Words of ``text`` (letters, digits, underscore), folded (``fold``) unless ``lower`` is False."""
    if lower:
        text = fold(text)
    return [Token(m.group(0), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]


@dataclass(frozen=True)
class Hit:
    """One match of a label in a text."""

    label: str
    start: int
    end: int


_Word = tuple[str, bool]  # (word, is_stem)


def _compile(pattern: str) -> tuple[_Word, ...]:
    """'ограничи* доступ*' -> (('ограничи', True), ('доступ', True)); words split as the text is tokenized."""
    words: list[_Word] = []
    for part in pattern.strip().split():
        stem = part.endswith("*")
        pieces = _TOKEN_RE.findall(part.rstrip("*"))
        words.extend((piece, stem and i == len(pieces) - 1) for i, piece in enumerate(pieces))
    return tuple(words)


class Matcher:
    """Finds every label whose patterns occur in a tokenized text: a dictionary lookup per word (and per prefix of
    it, for stems), then a check of the following words for multi-word patterns. Linear in the text."""

    def __init__(self, patterns: dict[str, list[str]], *, case_sensitive: bool = False) -> None:
        self.case_sensitive = case_sensitive
        self._exact: dict[str, list[tuple[str, tuple[_Word, ...]]]] = {}
        self._stems: dict[str, list[tuple[str, tuple[_Word, ...]]]] = {}
        self._substrings: list[tuple[str, str]] = []
        for label, values in patterns.items():
            for value in values:
                if not value.strip():
                    continue
                text = value if case_sensitive else fold(value)
                if _CJK_RE.search(text):  # written without spaces: matched as a substring
                    self._substrings.append((text.rstrip("*"), label))
                    continue
                words = _compile(text)
                if not words:
                    continue
                (first, stem), rest = words[0], words[1:]
                (self._stems if stem else self._exact).setdefault(first, []).append((label, rest))
        self._stem_lengths = sorted({len(k) for k in self._stems})

    def __bool__(self) -> bool:
        return bool(self._exact or self._stems or self._substrings)

    @staticmethod
    def _word_ok(token: str, word: _Word) -> bool:
        return token.startswith(word[0]) if word[1] else token == word[0]

    def hits(self, tokens: list[Token], text: str = "") -> list[Hit]:
        """Matches in ``tokens`` (from ``tokenize``, lowered unless case-sensitive); ``text`` for CJK substrings."""
        found: list[Hit] = []
        count = len(tokens)
        for i, token in enumerate(tokens):
            word = token.text
            candidates = list(self._exact.get(word, ()))
            size = len(word)
            for length in self._stem_lengths:
                if length > size:
                    break
                found_stems = self._stems.get(word[:length])
                if found_stems:
                    candidates.extend(found_stems)
            for label, rest in candidates:
                if i + len(rest) < count and all(
                    self._word_ok(tokens[i + 1 + j].text, w) for j, w in enumerate(rest)
                ):
                    found.append(Hit(label, token.start, tokens[i + len(rest)].end))
        if self._substrings and text and _CJK_RE.search(text):
            for needle, label in self._substrings:
                at = text.find(needle)
                if at >= 0:
                    found.append(Hit(label, at, at + len(needle)))
        return found

    def labels_in(self, tokens: list[Token], text: str = "") -> set[str]:
        return {hit.label for hit in self.hits(tokens, text)}


_GROUP_RE = re.compile(r"\((?:[^()\\]|\\.)*\)")
_CLASS_RE = re.compile(r"\[(?:[^\]\\]|\\.)*\]")
_LITERAL_RE = re.compile(r"[^\W\d_]{4,}")


@dataclass(frozen=True)
class Boilerplate:
    """A boilerplate regex and the literal words any match must contain (checked first: most texts skip it)."""

    pattern: re.Pattern[str]
    anchors: tuple[str, ...]

    @classmethod
    def compile(cls, source: str) -> Boilerplate:
        # Words outside groups, classes and quantified atoms are in every match of the pattern.
        plain = re.sub(r"\\.", " ", source)  # escapes (\b, \s, \.) are no letters
        while True:
            reduced = _GROUP_RE.sub(" ", plain)
            if reduced == plain:
                break
            plain = reduced
        plain = _CLASS_RE.sub(" ", plain)
        anchors = tuple(w for w in _LITERAL_RE.findall(plain)
                        if not re.search(re.escape(w) + r"[?*{]", plain))
        return cls(re.compile(source, re.IGNORECASE | re.UNICODE), anchors)

    def spans(self, lowered: str) -> list[tuple[int, int]]:
        if any(a not in lowered for a in self.anchors):
            return []
        return [m.span() for m in self.pattern.finditer(lowered)]


@dataclass(frozen=True)
class Authority:
    name: str
    country: str
    kind: str


@dataclass
class Taxonomy:
    """Compiled taxonomy; build it with ``load_taxonomy()`` (cached)."""

    combined: Matcher
    """Every case-insensitive vocabulary in one matcher, labels 'category|label' (one pass over a sentence):
    actions, restrict, features, internet, state, context, objects, negation, generic, non_state, non_platform, lift,
    hypothetical, negatives,
    platforms, contextual (platform aliases that count only near a platform word), authorities, countries."""
    platforms_cased: Matcher
    """Platform aliases matched case-sensitively ('X', 'LINE') on the original text."""
    contextual_cased: Matcher
    """Case-sensitive aliases that count only near a platform word."""
    authority_info: dict[str, Authority]
    boilerplate: list[Boilerplate] = field(default_factory=list)


def _read(name: str) -> dict[str, Any]:
    text = (resources.files("crawler.taxonomy") / name).read_text(encoding="utf-8")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"crawler/taxonomy/{name}: not valid TOML: {exc}") from exc


def _per_language(table: dict[str, Any]) -> list[str]:
    """All patterns of a {language: [patterns]} table (every language is always searched: articles mix them)."""
    return [p for values in table.values() if isinstance(values, list) for p in values]


def _country_patterns(countries: dict[str, Any]) -> dict[str, list[str]]:
    import pycountry  # noqa: PLC0415 - only needed while compiling

    patterns: dict[str, list[str]] = {code: list(entry.get("names", [])) for code, entry in countries.items()}
    for country in pycountry.countries:
        names = [getattr(country, attr, "") for attr in ("name", "common_name", "official_name")]
        patterns.setdefault(country.alpha_2, []).extend(n.lower() for n in names if n and len(n) > 3)
    return patterns


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    """Load and compile the four data files (about a quarter of a second, once per process)."""
    platforms = _read("platforms.toml")["platform"]
    authorities = _read("authorities.toml")["authority"]
    countries = _read("countries.toml")
    vocabulary = _read("vocabulary.toml")

    plain: dict[str, list[str]] = {}
    cased: dict[str, list[str]] = {}
    contextual: dict[str, list[str]] = {}
    for entry in platforms:
        name = entry["name"]
        sensitive = set(entry.get("case_sensitive", []))
        needs_context = set(entry.get("needs_context", []))
        for alias in entry.get("aliases", []) + entry.get("case_sensitive", []):
            if alias in needs_context:
                contextual.setdefault(name, []).append(alias)
            elif alias in sensitive:
                cased.setdefault(name, []).append(alias)
            else:
                plain.setdefault(name, []).append(alias)
        plain.setdefault(name, []).extend(entry.get("domains", []))

    actions = {code: _per_language(vocabulary["actions"].get(code, {})) for code in ACTION_CODES}
    negatives = {f"negative:{kind}": _per_language(table) for kind, table in vocabulary.get("negative", {}).items()}
    boilerplate = [Boilerplate.compile(p) for p in _per_language(vocabulary.get("boilerplate", {})) if p]
    lower_contextual = {n: [a for a in v if a == a.lower()] for n, v in contextual.items()}
    tables: dict[str, dict[str, list[str]]] = {
        "actions": actions,
        "restrict": {"restrict": _per_language(vocabulary.get("restrict", {}))},
        "features": {"feature": _per_language(vocabulary.get("features", {}))},
        "internet": {"internet": _per_language(vocabulary.get("internet", {}))},
        "state": {"state": _per_language(vocabulary.get("state_actors", {}))},
        "context": {"context": _per_language(vocabulary.get("context", {}))},
        "objects": {"object": _per_language(vocabulary.get("moderation_objects", {}))},
        "negation": {"not": _per_language(vocabulary.get("negation", {}))},
        "generic": {"generic": _per_language(vocabulary.get("generic_targets", {}))},
        "non_state": {"non_state": _per_language(vocabulary.get("non_state_actors", {}))},
        "non_platform": {"object": _per_language(vocabulary.get("non_platform_objects", {}))},
        "lift": {"lift": _per_language(vocabulary.get("lift", {}))},
        "hypothetical": {"if": _per_language(vocabulary.get("hypothetical", {}))},
        "negatives": negatives,
        "platforms": plain,
        "contextual": lower_contextual,
        # A canonical name is an alias too, unless it is one ordinary word ('Garante'): acronyms and names of
        # several words only.
        "authorities": {a["name"]: a.get("aliases", []) + ([a["name"]] if " " in a["name"] or a["name"].isupper()
                                                          else []) for a in authorities},
        "countries": _country_patterns(countries),
    }
    combined = Matcher({f"{cat}|{label}": values for cat, table in tables.items() for label, values in table.items()})
    upper_contextual = {n: [a for a in v if a != a.lower()] for n, v in contextual.items()}
    return Taxonomy(
        combined=combined,
        platforms_cased=Matcher(cased, case_sensitive=True),
        contextual_cased=Matcher(upper_contextual, case_sensitive=True),
        authority_info={a["name"]: Authority(a["name"], a["country"], a.get("kind", "")) for a in authorities},
        boilerplate=boilerplate,
    )
