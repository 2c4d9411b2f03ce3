"""The taxonomy: platforms, authorities, countries and the blocking vocabulary, loaded from the TOML files beside this
module and compiled into fast matchers.

Pattern syntax (lowercase; see each file's header): words match whole words; a trailing ``*`` makes a word a stem;
words are split as the text is (so hyphens and spaces are alike, and a Turkish apostrophe suffix such as
``Instagram'a`` is a word of its own); Chinese and Japanese patterns match as substrings.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
import stat
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache, reduce
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from itertools import accumulate, compress, repeat
from operator import add, itemgetter, or_
from pathlib import Path
from typing import IO, Any, NamedTuple

from crawler.cache import cached_file, discard

logger = logging.getLogger(__name__)

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


# The bytes that are not the first byte of a character from U+3000 to U+DFFF in UTF-8, where the CJK letters are.
_NOT_CJK_LEADS = bytes(code for code in range(256) if not 0xE3 <= code <= 0xED)


def has_cjk(text: str) -> bool:
    """Whether ``text`` has Chinese, Japanese or Korean letters (matched as substrings, not as words).

    Most texts have none, and most non-ASCII texts no letter near them: their UTF-8 form, encoded and stripped of
    every other byte at C speed, is empty (several times faster than the regex, which then checks the rest)."""
    if text.isascii() or not text.encode("utf-8", "surrogatepass").translate(None, _NOT_CJK_LEADS):
        return False
    return _CJK_RE.search(text) is not None


# A text is split at its non-word characters (not \w: letters, digits or '_') by replacing each of them by a space
# (one character for one: offsets are kept) and splitting at the spaces, which is faster than a regex (``_TOKEN_RE``)
# whose every match costs Python objects. An ASCII text has them replaced by one bytes.translate; in other texts, these
# frequent ones are replaced one by one with str.replace, and any other one is found by a regex.
_ASCII_SEPARATORS = bytes(
    code if chr(code).isalnum() or chr(code) == "_" else ord(" ") for code in range(128)
).ljust(256, b" ")
_FREQUENT_SEPARATORS = tuple("\n.,;:!?\"'()-%/“”’‘«»—–\u00a0\u200c،")
_RARE_SEPARATOR_RE = re.compile(r"[^\w ]")


def _spaced(text: str) -> str:
    """``text`` with every non-word character replaced by a space."""
    if not text.isascii():
        for char in _FREQUENT_SEPARATORS:
            if char in text:
                text = text.replace(char, " ")
        if not text.isascii():
            rest = text.replace(" ", "")
            if rest and not rest.isalnum():  # (the underscore, or a rarer non-word character)
                for char in set(_RARE_SEPARATOR_RE.findall(text)):
                    text = text.replace(char, " ")
            return text
    return text.encode("ascii").translate(_ASCII_SEPARATORS).decode("ascii")


def split_starts(text: str) -> tuple[list[str], list[int]]:
    """The words of ``text`` as ``tokenize(text, lower=False)`` finds them, and where they start (a word ends at its
    start plus its length)."""
    chunks = _spaced(text).split(" ")  # the words, and an empty string between two adjacent separators
    # A chunk starts one character (the space) after the one before it ends.
    starts = list(compress(accumulate(map(add, map(len, chunks), repeat(1)), initial=0), chunks))
    return list(filter(None, chunks)), starts


def split_words(text: str) -> tuple[list[str], list[int], list[int]]:
    """The words of ``text`` as ``tokenize(text, lower=False)`` finds them, as three lists: the words, where they start
    and where they end (no tuple per word: a long text is split at C speed)."""
    words, starts = split_starts(text)
    return words, starts, list(map(add, starts, map(len, words)))


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


class _Anchored(NamedTuple):
    """A multi-word pattern as its anchor word (the one it is looked up by) finds it."""

    label: str
    neighbour: _Word
    """The word right after the anchor (or right before it, when the anchor is the last word): checked through a
    memo of word pairs."""
    rest: tuple[tuple[int, str, bool], ...]
    """The other words: (offset from the anchor, word, is_stem)."""
    back: int
    """How many words the pattern has before its anchor."""
    after: int
    """How many words it has after its anchor."""
    order: tuple[int, int, int]
    """Where the pattern comes among those its first word starts: (0, 0, n) for an exact first word, (1, length, n)
    for a stem (``n``: the order it was added in). ``scan`` reports the matches that start at one word in this
    order, as a search by the first word finds them."""


# What the memo of a matcher holds for a word: the labels of the one-word patterns it is; the multi-word patterns
# anchored at it that go on after it, with the words and the stems their neighbour words are (a next word that is
# none of them rules them all out at C speed: most do); the same of those that it ends (neighbour: the previous word);
# or, for most words, _NO_CANDIDATES (false: ``scan`` skips the words that have it with ``compress``).
_Entry = tuple[
    tuple[str, ...],
    tuple[_Anchored, ...],
    frozenset[str],
    tuple[str, ...],
    tuple[_Anchored, ...],
    frozenset[str],
    tuple[str, ...],
]
_NO_CANDIDATES: tuple[()] = ()


_first_word = itemgetter(1)


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


def _anchor(words: tuple[_Word, ...], frequency: Counter[str]) -> int:
    """Which word of a multi-word pattern to look it up by: the rarest in texts, guessed as the longest exact word
    ('the internet' by 'internet', 'according to' by 'according'), but not a short word in many patterns ('the', 'of',
    'de', 'на'): function words are most of a text's words (``frequency``: in how many patterns each word is; of
    function words only, the one in the fewest)."""

    def rarity(i: int) -> tuple[bool, bool, int, int]:
        word, stem = words[i]
        common = len(word) <= 3 and frequency[word] >= 5
        return not common, not stem, -frequency[word] if common else len(word), -i

    return max(range(len(words)), key=rarity)


def _matches(word: str, pattern_word: _Word) -> bool:
    return word.startswith(pattern_word[0]) if pattern_word[1] else word == pattern_word[0]


class Matcher:
    """Finds every label whose patterns occur in a tokenized text: a dictionary lookup per word (and per prefix of
    it, for stems), then a check of the words around it for multi-word patterns. Linear in the text.

    A multi-word pattern is looked up by its rarest word (its anchor, see ``_anchor``), not its first: most words of a
    text are function words that start patterns ('the internet'), but rarely with the rest of them around. The
    patterns a word can be in are looked up once per distinct word and remembered, and those that a word and its
    neighbour can be in once per pair: news text repeats its words, and most words are in no pattern at all."""

    def __init__(self, patterns: dict[str, list[str]], *, case_sensitive: bool = False) -> None:
        self.case_sensitive = case_sensitive
        # By first word (``candidates``): one-word patterns and multi-word ones.
        self._exact: dict[str, list[_Candidate]] = {}
        self._stems: dict[str, list[_Candidate]] = {}
        # Multi-word patterns by anchor word (``scan``).
        self._anchored_exact: dict[str, list[_Anchored]] = {}
        self._anchored_stems: dict[str, list[_Anchored]] = {}
        self._substrings: list[tuple[str, str]] = []
        compiled: list[tuple[str, tuple[_Word, ...]]] = []
        for label, values in patterns.items():
            for value in values:
                if not value.strip():
                    continue
                text = value if case_sensitive else fold(value)
                if _CJK_RE.search(text):  # written without spaces: matched as a substring
                    self._substrings.append((text.rstrip("*"), label))
                    continue
                words = _compile(text)
                if words:
                    compiled.append((label, words))
        frequency = Counter(word for _, words in compiled for word in {w for w, _ in words})
        for added, (label, words) in enumerate(compiled):
            (first, stem), rest = words[0], words[1:]
            (self._stems if stem else self._exact).setdefault(first, []).append((label, rest))
            if not rest:
                continue
            at = _anchor(words, frequency)
            side = at + 1 if at + 1 < len(words) else at - 1  # the neighbour checked through the memo of pairs
            pattern = _Anchored(
                label,
                words[side],
                tuple((j - at, *words[j]) for j in range(len(words)) if j not in (at, side)),
                at,
                len(words) - 1 - at,
                (1, len(first), added) if stem else (0, 0, added),
            )
            anchor, anchor_stem = words[at]
            (self._anchored_stems if anchor_stem else self._anchored_exact).setdefault(anchor, []).append(pattern)
        self._stem_lengths = sorted({len(k) for k in self._stems})
        self._anchored_stem_lengths = sorted({len(k) for k in self._anchored_stems})
        self._memo = _Memo(self._lookup)
        # (word, next word) -> the patterns anchored at the word that the next one continues; (previous word, word)
        # -> those anchored at their last word that the previous one starts.
        self._next_pairs: dict[tuple[str, str], tuple[_Anchored, ...]] = {}
        self._previous_pairs: dict[tuple[str, str], tuple[_Anchored, ...]] = {}

    def __bool__(self) -> bool:
        return bool(self._exact or self._stems or self._substrings)

    def first_words(self) -> frozenset[str] | None:
        """The words every match starts with (None when a pattern starts with a stem or is a substring)."""
        if self._stems or self._substrings:
            return None
        return frozenset(self._exact)

    def candidates(self, word: str) -> tuple[tuple[str, ...], tuple[_Candidate, ...]]:
        """The labels of the one-word patterns ``word`` is, and the longer patterns it can start."""
        starts = self._by_prefix(word, self._exact, self._stems, self._stem_lengths)
        return tuple(label for label, rest in starts if not rest), tuple(c for c in starts if c[1])

    @staticmethod
    def _by_prefix(
        word: str, exact: dict[str, list[Any]], stems: dict[str, list[Any]], lengths: list[int]
    ) -> list[Any]:
        """The entries of ``exact`` under ``word``, then those of ``stems`` under its prefixes, shortest first."""
        found = list(exact.get(word, ()))
        size = len(word)
        for length in lengths:
            if length > size:
                break
            more = stems.get(word[:length])
            if more:
                found.extend(more)
        return found

    def _lookup(self, word: str) -> _Entry | tuple[()]:
        singles = self.candidates(word)[0]
        anchored = self._by_prefix(word, self._anchored_exact, self._anchored_stems, self._anchored_stem_lengths)
        if not (singles or anchored):
            return _NO_CANDIDATES  # most words: one shared entry
        forward = tuple(p for p in anchored if p.after)  # checked against the next word
        backward = tuple(p for p in anchored if not p.after)  # the anchor ends the pattern: against the previous word
        return (
            singles,
            forward,
            frozenset(p.neighbour[0] for p in forward if not p.neighbour[1]),
            tuple(p.neighbour[0] for p in forward if p.neighbour[1]),
            backward,
            frozenset(p.neighbour[0] for p in backward if not p.neighbour[1]),
            tuple(p.neighbour[0] for p in backward if p.neighbour[1]),
        )

    @staticmethod
    def _pair(
        pairs: dict[tuple[str, str], tuple[_Anchored, ...]],
        key: tuple[str, str],
        anchored: tuple[_Anchored, ...],
        neighbour: str,
    ) -> tuple[_Anchored, ...]:
        """The patterns of ``anchored`` whose neighbour word ``neighbour`` is (remembered under ``key``)."""
        kept = tuple(p for p in anchored if _matches(neighbour, p.neighbour))
        if len(pairs) >= _MEMO_LIMIT:
            pairs.clear()
        pairs[key] = kept
        return kept

    def scan(self, words: list[str]) -> list[tuple[str, int, int]]:
        """Matches in ``words`` (lowered unless case-sensitive) as (label, index of the first word, index of the last
        word), in the order of their first word (at one word: its one-word patterns, then the longer ones in the order
        of ``_Anchored.order``). No CJK substrings (see ``substring_hits``)."""
        entries: list[_Entry] = list(map(self._memo.__getitem__, words))
        found: list[tuple[str, int, int]] = []
        longer: list[tuple[int, tuple[int, int, int], str, int]] = []  # (first word, order, label, last word)
        last_index = len(words) - 1
        next_pairs, previous_pairs = self._next_pairs, self._previous_pairs
        append = found.append
        # Only the words that are in a pattern are looked at (most words are in none: skipped at C speed).
        for i in compress(range(len(entries)), entries):
            singles, forward, next_words, next_stems, backward, previous_words, previous_stems = entries[i]
            for label in singles:
                append((label, i, i))
            matches: tuple[_Anchored, ...] = ()
            if forward and i < last_index:
                following = words[i + 1]
                if following in next_words or (next_stems and following.startswith(next_stems)):
                    key = (words[i], following)
                    known = next_pairs.get(key)
                    matches = self._pair(next_pairs, key, forward, following) if known is None else known
            if backward and i:
                previous = words[i - 1]
                if previous in previous_words or (previous_stems and previous.startswith(previous_stems)):
                    key = (previous, words[i])
                    known = previous_pairs.get(key)
                    matches += self._pair(previous_pairs, key, backward, previous) if known is None else known
            for label, _, rest, back, after, order in matches:
                if i - back < 0 or i + after > last_index:
                    continue
                for at, w, stem in rest:  # the other words (a loop, not a generator: most patterns have one or none)
                    word = words[i + at]
                    if not (word.startswith(w) if stem else word == w):
                        break
                else:
                    longer.append((i - back, order, label, i + after))
        if longer:
            # One sort puts them where a search by first word finds them: after the one-word patterns of their first
            # word (the sort is stable).
            longer.sort()
            found += [(label, first, last) for first, _, label, last in longer]
            found.sort(key=_first_word)
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

    @property
    def required(self) -> list[tuple[str, ...]]:
        """The groups of words of which a match has one each: every anchor alone, and each group of choices."""
        return [(anchor,) for anchor in self.anchors] + list(self.choices)

    def spans(
        self,
        lowered: str,
        by_line: bool = False,
        *,
        checked: bool = False,
        needles: tuple[str, ...] | None = None,
    ) -> list[tuple[int, int]]:
        """Where the pattern matches ``lowered``; ``by_line``: only the lines that have its words are searched (a
        boilerplate match does not run over a line break), found by ``needles``: one of the groups of words of
        ``required`` (or the words of it that the text has), by default the one guessed the rarest. ``checked``: the
        caller knows that the whole text has the pattern's words (``Needles``)."""
        if not checked and not self._may_match(lowered):
            return []
        if not by_line:
            return [m.span() for m in self.pattern.finditer(lowered)]
        found = []
        for begin, end in self._lines_with_a_needle(lowered, needles):
            line = lowered[begin:end]
            if self._may_match(line):
                found += [(begin + m.start(), begin + m.end()) for m in self.pattern.finditer(line)]
        return found

    def _lines_with_a_needle(self, lowered: str, needles: tuple[str, ...] | None) -> list[tuple[int, int]]:
        """Where the lines (without their line breaks) are that have one of ``needles`` (or of the pattern's required
        words guessed the rarest, the longest), in order: the others cannot pass ``_may_match``. Each word is found
        with ``str.find`` over the whole text and its line's ends next to it, at C speed, instead of a check of every
        line."""
        if needles is None:
            required = self.required
            if not required:
                return _lines(lowered)
            needles = max(required, key=lambda words: (min(map(len, words)), -len(words)))
        lines = set()
        find = lowered.find
        for needle in needles:
            at = find(needle)
            while at >= 0:
                begin = lowered.rfind("\n", 0, at) + 1
                end = find("\n", at)
                if end < 0:
                    end = len(lowered)
                lines.add((begin, end))
                at = find(needle, end)  # on from the next line
        return sorted(lines)


def _lines(text: str) -> list[tuple[int, int]]:
    """Where the lines of ``text`` are (without their line breaks)."""
    lines, at = [], 0
    for line in text.split("\n"):
        lines.append((at, at + len(line)))
        at += len(line) + 1
    return lines


def _fewest_and_rarest(words: tuple[str, ...]) -> tuple[bool, int, int]:
    shortest = min(map(len, words))
    return shortest < 4, len(words), -shortest


class Needles:
    """Which boilerplate patterns a text may have (``Boilerplate._may_match``), read from its distinct words: a
    letter-only needle occurs in a text exactly when it occurs inside one of the text's words (runs of ``\\w``).
    The needles each word contains are remembered as bits, so a long text costs a set of its words, a lookup and an
    'or' per distinct word, not a scan of the text per needle."""

    def __init__(self, patterns: list[Boilerplate]) -> None:
        needles = sorted({n for p in patterns for n in p.needles})
        self._needles = tuple((n, 1 << bit) for bit, n in enumerate(needles))
        bits = {n: 1 << bit for bit, n in enumerate(needles)}
        # (pattern, the bits of all its anchors, the bits of each group of choices, its groups of required words
        # with their bits)
        self._gates = [
            (
                p,
                sum(bits[a] for a in set(p.anchors)),
                [sum(bits[w] for w in set(o)) for o in p.choices],
                [tuple((w, bits[w]) for w in group) for group in p.required],
            )
            for p in patterns
        ]
        # Each needle must lie inside a word of any text it occurs in.
        self.exact = all(_TOKEN_RE.fullmatch(n) for n in needles)
        self._memo = _Memo(self._inside)

    def _inside(self, word: str) -> int:
        return sum(bit for needle, bit in self._needles if needle in word)

    def candidates(self, words: list[str]) -> list[Boilerplate]:
        """The patterns whose needles the text of ``words`` has."""
        return [pattern for pattern, _ in self.search(words)]

    def search(self, words: list[str]) -> list[tuple[Boilerplate, tuple[str, ...] | None]]:
        """The patterns whose needles the text of ``words`` has, each with the words to find the lines it may match
        by (``Boilerplate.spans``): of its groups of required words, the one that the text has the fewest of (the
        fewest searches of the text), of those the rarest (a shortest word of four letters or more, the longest);
        only the words of it that the text has (None: the pattern requires no word)."""
        present = reduce(or_, map(self._memo.__getitem__, set(words)), 0)
        has = present.__and__
        found = []
        for pattern, anchors, choices, groups in self._gates:
            if has(anchors) == anchors and all(map(has, choices)):
                had = [tuple(needle for needle, bit in group if present & bit) for group in groups]
                found.append((pattern, min(had, key=_fewest_and_rarest) if had else None))
        return found


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


_DATA_FILES = ("platforms.toml", "authorities.toml", "countries.toml", "vocabulary.toml")


def _cache_name() -> str:
    """The compiled taxonomy's cache file name: it changes with the data files, this module (the classes pickled and
    how they are built), pycountry (the country names) and Python (pickled regular expressions)."""
    digest = hashlib.sha256(sys.version.encode())
    for name in _DATA_FILES:
        digest.update((resources.files("crawler.taxonomy") / name).read_bytes())
    digest.update(Path(__file__).read_bytes())
    try:
        digest.update(version("pycountry").encode())
    except PackageNotFoundError:
        digest.update(b"no pycountry")
    return f"taxonomy-{digest.hexdigest()[:24]}.pickle"


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    """The compiled taxonomy, once per process: read from the cache directory (``crawler.cache``), else compiled from
    the four data files (0.2-0.3 s of CPU at every crawl's start, 0.04 s to read) and written there.

    The cache file is a pickle, loaded only when it is the user's own file and no other user may write it. Its name
    carries a digest of everything the compiled taxonomy depends on, so an edited data file or a new release compiles
    and writes a new one (and the old one is removed). A file that cannot be read is discarded and the taxonomy
    compiled."""
    compiled: list[Taxonomy] = []

    def write(file: IO[bytes]) -> None:
        compiled.append(compile_taxonomy())
        pickle.dump(compiled[0], file, protocol=pickle.HIGHEST_PROTOCOL)

    try:
        path = cached_file(_cache_name(), write, stale="taxonomy-*.pickle")
    except (pickle.PicklingError, TypeError, AttributeError) as exc:  # a taxonomy that cannot be pickled: not cached
        logger.warning("The compiled taxonomy is not cached: %(error)s", {"error": exc})
        path = None
    if compiled:
        return compiled[0]
    if path is not None:
        try:
            with path.open("rb") as file:
                untrusted = _untrusted(os.fstat(file.fileno()))  # of the file opened: it cannot be swapped after
                taxonomy = None if untrusted else pickle.load(file)  # written here, and no one else may write it
            if untrusted:
                logger.warning("Not loading the cached taxonomy %(path)s: %(why)s", {"path": path, "why": untrusted})
            elif not isinstance(taxonomy, Taxonomy):
                raise TypeError(f"a {type(taxonomy).__name__}, not a Taxonomy")
            else:
                return taxonomy
        except (OSError, EOFError, ValueError, TypeError, AttributeError, ImportError, IndexError,
                pickle.UnpicklingError) as exc:
            discard(path, exc)
    return compile_taxonomy()


def _untrusted(status: os.stat_result) -> str:
    """Why a pickle file of this ``status`` must not be loaded ('' when it may): loading a pickle can run code, so
    only a file of the user's own that no other user may write is loaded (as ssh treats its keys)."""
    if hasattr(os, "getuid") and status.st_uid != os.getuid():
        return f"owned by another user (uid {status.st_uid})"
    if status.st_mode & 0o022:
        return f"writable by other users (mode {stat.filemode(status.st_mode)})"
    return ""


def compile_taxonomy() -> Taxonomy:
    """Read and compile the four data files (``load_taxonomy`` caches the result)."""
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
