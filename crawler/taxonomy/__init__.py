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
from functools import lru_cache, reduce
from importlib import resources
from itertools import accumulate, compress, repeat
from operator import is_not, or_
from typing import Any, NamedTuple

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
_SPLIT_RE = re.compile(r"(\w+)", re.UNICODE)
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


class Token(NamedTuple):
    """A word of a text: its matching form and where it is (a tuple: cheap to make by the thousand)."""

    text: str
    start: int
    end: int


_FOLD = (("İ", "I"), ("ё", "е"), ("Ё", "Е"), ("ي", "ی"), ("ك", "ک"), ("’", "'"))


def fold(text: str) -> str:
    """The form both texts and patterns are matched in: lowercase, Turkish 'İ' as 'i', Russian 'ё' as 'е', Arabic
    'ي'/'ك' as the Persian letters, typographic apostrophes plain. Offsets are kept (one character for one)."""
    for letter, plain in _FOLD:  # str.replace of the few letters present: much faster than str.translate
        if letter in text:
            text = text.replace(letter, plain)
    return text.lower()


_new = tuple.__new__


def tokenize(text: str, *, lower: bool = True) -> list[Token]:
    """Words of ``text`` (letters, digits, underscore), folded (``fold``) unless ``lower`` is False."""
    if lower:
        text = fold(text)
    return [_new(Token, (m[0], *m.span())) for m in _TOKEN_RE.finditer(text)]


def has_cjk(text: str) -> bool:
    """Whether ``text`` has Chinese, Japanese or Korean letters (matched as substrings, not as words)."""
    return _CJK_RE.search(text) is not None


def split_words(text: str) -> tuple[list[str], list[int], list[int]]:
    """The words of ``text`` as ``tokenize(text, lower=False)`` finds them, as three lists: the words, where they start
    and where they end (no tuple per word: a long text is split at C speed)."""
    parts = _SPLIT_RE.split(text)  # separator, word, separator, word, ..., separator
    offsets = list(accumulate(map(len, parts)))
    return parts[1::2], offsets[:-1:2], offsets[1::2]


def original_tokens(tokens: list[Token], text: str) -> list[Token]:
    """The words of ``tokens`` as written in ``text`` (the unfolded text they were read from, same offsets)."""
    return [_new(Token, (text[t.start : t.end], t.start, t.end)) for t in tokens]


class Hit(NamedTuple):
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


_Candidate = tuple[str, tuple[_Word, ...]]  # (label, the words after the first one)
# Distinct words (and word pairs) remembered per matcher; the memo starts afresh beyond it, so that it does not grow
# with a long crawl's vocabulary (~10 MB a matcher at most). The most frequent words come back at once.
_MEMO_LIMIT = 50_000
_NO_CANDIDATES: tuple[tuple[str, ...], tuple[_Candidate, ...]] = ((), ())
_Entry = tuple[tuple[str, ...], tuple[_Candidate, ...]]


class _Memo(dict[str, Any]):
    """A dictionary that computes a missing entry on look-up (``compute(key)``) and starts afresh beyond
    ``_MEMO_LIMIT`` entries: ``map(memo.__getitem__, words)`` looks a whole text's words up at C speed."""

    __slots__ = ("compute",)

    def __init__(self, compute: Any) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, key: str) -> Any:
        if len(self) >= _MEMO_LIMIT:
            self.clear()
        value = self[key] = self.compute(key)
        return value


class Matcher:
    """Finds every label whose patterns occur in a tokenized text: a dictionary lookup per word (and per prefix of
    it, for stems), then a check of the following words for multi-word patterns. Linear in the text.

    The patterns a word can start are looked up once per distinct word and remembered: news text repeats its words,
    and most words start no pattern at all."""

    def __init__(self, patterns: dict[str, list[str]], *, case_sensitive: bool = False) -> None:
        self.case_sensitive = case_sensitive
        self._exact: dict[str, list[_Candidate]] = {}
        self._stems: dict[str, list[_Candidate]] = {}
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
        self._memo = _Memo(self._lookup)
        self._pairs: dict[tuple[str, str], tuple[_Candidate, ...]] = {}

    def __bool__(self) -> bool:
        return bool(self._exact or self._stems or self._substrings)

    def candidates(self, word: str) -> tuple[tuple[str, ...], tuple[_Candidate, ...]]:
        """The labels of the one-word patterns ``word`` is, and the longer patterns it can start (remembered)."""
        found: _Entry = self._memo[word]
        return found

    def _lookup(self, word: str) -> _Entry:
        starts = list(self._exact.get(word, ()))
        size = len(word)
        for length in self._stem_lengths:
            if length > size:
                break
            stems = self._stems.get(word[:length])
            if stems:
                starts.extend(stems)
        return (
            (tuple(label for label, rest in starts if not rest), tuple(c for c in starts if c[1]))
            if starts else _NO_CANDIDATES  # most words: one shared entry
        )

    def _continuations(
        self, word: str, following: str, longer: tuple[_Candidate, ...]
    ) -> tuple[_Candidate, ...]:
        """The patterns of ``longer`` (started by ``word``) whose second word is ``following`` (remembered)."""
        kept = tuple(
            (label, rest)
            for label, rest in longer
            if (following.startswith(rest[0][0]) if rest[0][1] else following == rest[0][0])
        )
        if len(self._pairs) >= _MEMO_LIMIT:
            self._pairs.clear()
        self._pairs[word, following] = kept
        return kept

    def scan(self, words: list[str]) -> list[tuple[str, int, int]]:
        """Matches in ``words`` (lowered unless case-sensitive) as (label, index of the first word, index of the last
        word), in the order of their first word. No CJK substrings (see ``substring_hits``)."""
        entries: list[_Entry] = list(map(self._memo.__getitem__, words))
        found: list[tuple[str, int, int]] = []
        last_index = len(words) - 1
        pairs = self._pairs
        # Only the words that start a pattern are looked at (most words start none: skipped at C speed).
        for i in compress(range(len(entries)), map(is_not, entries, repeat(_NO_CANDIDATES))):
            singles, longer = entries[i]
            if singles:
                found += [(label, i, i) for label in singles]
            if not longer or i == last_index:
                continue
            word, following = words[i], words[i + 1]
            matches = pairs.get((word, following))
            if matches is None:
                matches = self._continuations(word, following, longer)
            for label, rest in matches:
                last = i + len(rest)
                if last <= last_index and all(
                    words[i + j].startswith(w[0]) if w[1] else words[i + j] == w[0]
                    for j, w in enumerate(rest[1:], start=2)
                ):
                    found.append((label, i, last))
        return found

    def substring_hits(self, text: str) -> list[Hit]:
        """Matches of the CJK patterns in ``text`` (the first occurrence of each)."""
        found: list[Hit] = []
        if self._substrings and text and _CJK_RE.search(text):
            for needle, label in self._substrings:
                at = text.find(needle)
                if at >= 0:
                    found.append(Hit(label, at, at + len(needle)))
        return found

    @property
    def has_substrings(self) -> bool:
        return bool(self._substrings)

    def hits(self, tokens: list[Token], text: str = "") -> list[Hit]:
        """Matches in ``tokens`` (from ``tokenize``, lowered unless case-sensitive); ``text`` for CJK substrings."""
        found = [
            _new(Hit, (label, tokens[i][1], tokens[last][2])) for label, i, last in self.scan([t[0] for t in tokens])
        ]
        if self._substrings and text:
            found += self.substring_hits(text)
        return found

    def labels_in(self, tokens: list[Token], text: str = "") -> set[str]:
        return {hit.label for hit in self.hits(tokens, text)}


_GROUP_RE = re.compile(r"\((?:[^()\\]|\\.)*\)")
_CLASS_RE = re.compile(r"\[(?:[^\]\\]|\\.)*\]")


def _literals(source: str, size: int = 4) -> list[str]:
    """Words outside groups, classes and quantified atoms of a regex: every match of it contains them."""
    plain = re.sub(r"\\.", " ", source)  # escapes (\b, \s, \.) are no letters
    while True:
        reduced = _GROUP_RE.sub(" ", plain)
        if reduced == plain:
            break
        plain = reduced
    plain = _CLASS_RE.sub(" ", plain)
    return [
        w for w in re.findall(rf"[^\W\d_]{{{size},}}", plain) if not re.search(re.escape(w) + r"[?*{]", plain)
    ]


def _top_groups(source: str) -> list[str]:
    """The bodies of the top-level groups of a regex that every match goes through (not followed by ?, * or {0)."""
    groups, depth, start, i = [], 0, 0, 0
    while i < len(source):
        char = source[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            match = _CLASS_RE.match(source, i)
            i = match.end() if match else i + 1
            continue
        if char == "(":
            if depth == 0:
                start = i
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            body = source[start + 1 : i]
            plain = body.startswith("?:") or not body.startswith("?")  # not a lookaround, flag or named group
            if depth == 0 and plain and not source.startswith(("?", "*", "{0"), i + 1):
                groups.append(body.removeprefix("?:"))
        i += 1
    return groups


def _alternatives(body: str) -> list[str]:
    """A group body split at its top-level '|'."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            match = _CLASS_RE.match(body, i)
            i = match.end() if match else i + 1
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(body[start:i])
            start = i + 1
        i += 1
    parts.append(body[start:])
    return parts


@dataclass(frozen=True)
class Boilerplate:
    """A boilerplate regex and the literal words any match must contain (checked first: most texts skip it):
    ``anchors`` all of them, and one word of each of ``choices`` (from alternatives such as ``(?:join|follow)``)."""

    pattern: re.Pattern[str]
    anchors: tuple[str, ...]
    choices: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def compile(cls, source: str) -> Boilerplate:
        anchors = tuple(fold(w) for w in _literals(source))
        choices = []
        for body in _top_groups(source):
            options = []
            for alternative in _alternatives(body):
                words = _literals(alternative, 2)
                if not words:
                    break
                options.append(fold(max(words, key=len)))
            else:
                if options:
                    choices.append(tuple(options))
        return cls(re.compile(source, re.IGNORECASE | re.UNICODE), anchors, tuple(choices))

    @property
    def needles(self) -> tuple[str, ...]:
        """Every literal word the gate checks (letters only: in a text, each lies inside one of its words)."""
        return self.anchors + tuple(w for options in self.choices for w in options)

    def _may_match(self, text: str) -> bool:
        return all(a in text for a in self.anchors) and all(
            any(word in text for word in options) for options in self.choices
        )

    def spans(
        self, lowered: str, paragraphs: list[tuple[int, int]] | None = None, *, checked: bool = False
    ) -> list[tuple[int, int]]:
        """Where the pattern matches ``lowered``; with ``paragraphs`` (spans of its lines), only the lines that
        have its words are searched (a boilerplate match does not run over a line break). ``checked``: the caller
        knows that the whole text has the pattern's words (``Needles``)."""
        if not checked and not self._may_match(lowered):
            return []
        if paragraphs is None:
            return [m.span() for m in self.pattern.finditer(lowered)]
        found = []
        for begin, end in paragraphs:
            line = lowered[begin:end]
            if self._may_match(line):
                found += [(begin + m.start(), begin + m.end()) for m in self.pattern.finditer(line)]
        return found


class Needles:
    """Which boilerplate patterns a text may have (``Boilerplate._may_match``), read from its distinct words: a
    letter-only needle occurs in a text exactly when it occurs inside one of the text's words (runs of ``\\w``).
    The needles each word contains are remembered as bits, so a long text costs a set of its words, a lookup and an
    'or' per distinct word, not a scan of the text per needle."""

    def __init__(self, patterns: list[Boilerplate]) -> None:
        needles = sorted({n for p in patterns for n in p.needles})
        self._needles = tuple((n, 1 << bit) for bit, n in enumerate(needles))
        bits = {n: 1 << bit for bit, n in enumerate(needles)}
        # (pattern, the bits of all its anchors, the bits of each group of choices)
        self._gates = [
            (p, sum(bits[a] for a in set(p.anchors)), [sum(bits[w] for w in set(o)) for o in p.choices])
            for p in patterns
        ]
        # Each needle must lie inside a word of any text it occurs in.
        self.exact = all(_TOKEN_RE.fullmatch(n) for n in needles)
        self._memo = _Memo(self._inside)

    def _inside(self, word: str) -> int:
        return sum(bit for needle, bit in self._needles if needle in word)

    def candidates(self, words: list[str]) -> list[Boilerplate]:
        """The patterns whose needles the text of ``words`` has."""
        present = reduce(or_, map(self._memo.__getitem__, set(words)), 0)
        return [
            pattern
            for pattern, anchors, choices in self._gates
            if present & anchors == anchors and all(present & c for c in choices)
        ]


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
    actions, restrict, features, internet, not_internet, circumvention, background, state, context, objects, negation
    (labels 'not:<language>'), generic, non_state, non_platform, lift, hypothetical, judicial, legal_basis, store_removal,
    stores, followup, official_use, age, deadline, after, after_post, replacement, negatives,
    platforms, contextual (platform aliases that count only near a platform word), authorities, countries, local
    (authorities' local_aliases)."""
    platforms_cased: Matcher
    """Platform aliases matched case-sensitively ('X', 'LINE') on the original text."""
    contextual_cased: Matcher
    """Case-sensitive aliases that count only near a platform word."""
    cased: Matcher
    """Both case-sensitive matchers in one (one pass over a sentence), labels 'platforms|<name>' and
    'contextual|<name>'."""
    authority_info: dict[str, Authority]
    boilerplate: list[Boilerplate] = field(default_factory=list)
    boilerplate_needles: Needles = field(default_factory=lambda: Needles([]))
    """The literal words of the boilerplate patterns, to tell which patterns a text may have."""
    negation_languages: frozenset[str] = frozenset()
    """The languages the negation words are listed for (a negation hit of another language is ignored in them)."""


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

    skip = set(countries.get("pycountry", {}).get("skip", []))
    patterns: dict[str, list[str]] = {
        code: list(entry.get("names", [])) for code, entry in countries.items() if code != "pycountry"
    }
    for country in pycountry.countries:
        names = [getattr(country, attr, "") for attr in ("name", "common_name", "official_name")]
        patterns.setdefault(country.alpha_2, []).extend(
            n.lower() for n in names if n and len(n) > 3 and n.lower() not in skip
        )
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
    negatives = {
        f"negative:{kind}": _per_language(table) for kind, table in vocabulary.get("negative", {}).items()
    }
    boilerplate = [Boilerplate.compile(p) for p in _per_language(vocabulary.get("boilerplate", {})) if p]
    lower_contextual = {n: [a for a in v if a == a.lower()] for n, v in contextual.items()}
    tables: dict[str, dict[str, list[str]]] = {
        "actions": actions,
        "restrict": {"restrict": _per_language(vocabulary.get("restrict", {}))},
        "features": {"feature": _per_language(vocabulary.get("features", {}))},
        "internet": {"internet": _per_language(vocabulary.get("internet", {}))},
        "not_internet": {"not_internet": _per_language(vocabulary.get("not_internet", {}))},
        "circumvention": {"means": _per_language(vocabulary.get("circumvention", {}))},
        "background": {"background": _per_language(vocabulary.get("background", {}))},
        "state": {"state": _per_language(vocabulary.get("state_actors", {}))},
        "context": {"context": _per_language(vocabulary.get("context", {}))},
        "objects": {"object": _per_language(vocabulary.get("moderation_objects", {}))},
        # per language ('not:pt'): 'no' denies in Spanish and English but is 'in the' in Portuguese
        "negation": {f"not:{lang}": values for lang, values in vocabulary.get("negation", {}).items()},
        "generic": {"generic": _per_language(vocabulary.get("generic_targets", {}))},
        "non_state": {"non_state": _per_language(vocabulary.get("non_state_actors", {}))},
        "non_platform": {"object": _per_language(vocabulary.get("non_platform_objects", {}))},
        "lift": {"lift": _per_language(vocabulary.get("lift", {}))},
        "hypothetical": {"if": _per_language(vocabulary.get("hypothetical", {}))},
        "judicial": {"court": _per_language(vocabulary.get("judicial", {}))},
        "legal_basis": {"basis": _per_language(vocabulary.get("legal_basis", {}))},
        "store_removal": {"removal": _per_language(vocabulary.get("store_removal", {}))},
        "stores": {"store": _per_language(vocabulary.get("stores", {}))},
        "followup": {"later": _per_language(vocabulary.get("followup", {}))},
        "official_use": {"official": _per_language(vocabulary.get("official_use", {}))},
        "age": {"age": _per_language(vocabulary.get("age_groups", {}))},
        "deadline": {"deadline": _per_language(vocabulary.get("deadline", {}))},
        "after": {"after": _per_language(vocabulary.get("after", {}))},
        "after_post": {"after": _per_language(vocabulary.get("after_postposition", {}))},
        "replacement": {"replacement": _per_language(vocabulary.get("replacement", {}))},
        "negatives": negatives,
        "platforms": plain,
        "contextual": lower_contextual,
        # A canonical name is an alias too, unless it is one ordinary word ('Garante'): acronyms and names of
        # several words only.
        "authorities": {
            a["name"]: a.get("aliases", []) + ([a["name"]] if " " in a["name"] or a["name"].isupper() else [])
            for a in authorities
        },
        "countries": _country_patterns(countries),
        "local": {a["name"]: a.get("local_aliases", []) for a in authorities},
    }
    combined = Matcher(
        {f"{cat}|{label}": values for cat, table in tables.items() for label, values in table.items()}
    )
    upper_contextual = {n: [a for a in v if a != a.lower()] for n, v in contextual.items()}
    return Taxonomy(
        combined=combined,
        platforms_cased=Matcher(cased, case_sensitive=True),
        contextual_cased=Matcher(upper_contextual, case_sensitive=True),
        cased=Matcher(
            {f"platforms|{n}": v for n, v in cased.items()}
            | {f"contextual|{n}": v for n, v in upper_contextual.items()},
            case_sensitive=True,
        ),
        authority_info={
            a["name"]: Authority(a["name"], a["country"], a.get("kind", "")) for a in authorities
        },
        boilerplate=boilerplate,
        boilerplate_needles=Needles(boilerplate),
        negation_languages=frozenset(vocabulary.get("negation", {})),
    )
