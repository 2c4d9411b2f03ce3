"""The taxonomy: platforms, authorities, countries and the blocking vocabulary, loaded from the TOML files beside this
module and compiled into fast matchers.

Pattern syntax (lowercase; see each file's header): words match whole words; a trailing ``*`` makes a word a stem;
spaces match any run of spaces or hyphens; a Turkish apostrophe suffix (``Instagram'a``) is always allowed.
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
_APOSTROPHE_SUFFIX = r"(?:['’]\w+)?"


def pattern_regex(pattern: str) -> str:
    """Regex source of one pattern: 'ограничи* доступ*' -> ограничи\\w*[\\s\\-]+доступ\\w* (whole words)."""
    words = []
    for word in pattern.strip().split():
        stem = word.endswith("*")
        core = re.escape(word.rstrip("*"))
        words.append(core + (r"\w*" if stem else ""))
    return r"(?<!\w)" + r"[\s\-‐–]+".join(words) + _APOSTROPHE_SUFFIX + r"(?!\w)"


@dataclass(frozen=True)
class Hit:
    """One match of a label in a text."""

    label: str
    start: int
    end: int
    text: str


class Matcher:
    """Finds every label whose patterns occur in a text, in one regex pass (a named group per label)."""

    def __init__(self, patterns: dict[str, list[str]], *, case_sensitive: bool = False) -> None:
        self.labels: list[str] = []
        parts = []
        for label, values in patterns.items():
            alternatives = sorted({pattern_regex(v) for v in values if v.strip()}, key=len, reverse=True)
            if not alternatives:
                continue
            parts.append(f"(?P<g{len(self.labels)}>{'|'.join(alternatives)})")
            self.labels.append(label)
        flags = re.UNICODE | (0 if case_sensitive else re.IGNORECASE)
        self._regex = re.compile("|".join(parts), flags) if parts else None

    def __bool__(self) -> bool:
        return self._regex is not None

    def hits(self, text: str) -> list[Hit]:
        if self._regex is None:
            return []
        return [
            Hit(self.labels[int(m.lastgroup[1:])], m.start(), m.end(), m.group(0))  # type: ignore[index]
            for m in self._regex.finditer(text)
        ]

    def labels_in(self, text: str) -> set[str]:
        return {hit.label for hit in self.hits(text)}


@dataclass(frozen=True)
class Authority:
    name: str
    country: str
    kind: str


@dataclass
class Taxonomy:
    """Compiled taxonomy; build it with ``load_taxonomy()`` (cached)."""

    platforms: list[Matcher]
    """Aliases counted wherever they occur (case-insensitive, then case-sensitive ones)."""
    platforms_contextual: list[Matcher]
    """Aliases that are common words, counted only in a sentence with a platform word (app, messenger ...)."""
    authorities: Matcher
    authority_info: dict[str, Authority]
    countries: Matcher
    actions: Matcher
    restrict: Matcher
    features: Matcher
    internet: Matcher
    state_actors: Matcher
    context: Matcher
    negatives: Matcher
    boilerplate: list[re.Pattern[str]] = field(default_factory=list)


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

    def split_case(table: dict[str, list[str]]) -> list[Matcher]:
        lower = {n: [a for a in v if a == a.lower()] for n, v in table.items()}
        upper = {n: [a for a in v if a != a.lower()] for n, v in table.items()}
        return [Matcher(lower), Matcher(upper, case_sensitive=True)]

    actions = {code: _per_language(vocabulary["actions"].get(code, {})) for code in ACTION_CODES}
    negatives = {f"negative:{kind}": _per_language(table) for kind, table in vocabulary.get("negative", {}).items()}
    boilerplate = [
        re.compile(p, re.IGNORECASE | re.UNICODE) for p in _per_language(vocabulary.get("boilerplate", {})) if p
    ]
    return Taxonomy(
        platforms=[Matcher(plain), Matcher(cased, case_sensitive=True)],
        platforms_contextual=split_case(contextual),
        authorities=Matcher({a["name"]: a.get("aliases", []) + [a["name"].lower()] for a in authorities}),
        authority_info={a["name"]: Authority(a["name"], a["country"], a.get("kind", "")) for a in authorities},
        countries=Matcher(_country_patterns(countries)),
        actions=Matcher(actions),
        restrict=Matcher({"restrict": _per_language(vocabulary.get("restrict", {}))}),
        features=Matcher({"feature": _per_language(vocabulary.get("features", {}))}),
        internet=Matcher({"internet": _per_language(vocabulary.get("internet", {}))}),
        state_actors=Matcher({"state": _per_language(vocabulary.get("state_actors", {}))}),
        context=Matcher({"context": _per_language(vocabulary.get("context", {}))}),
        negatives=Matcher(negatives),
        boilerplate=boilerplate,
    )
