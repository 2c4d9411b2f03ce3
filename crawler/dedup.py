"""Story fingerprints and the dedup decision, independent of where the state lives.

- exact: the same canonical id, or the same normalized body (content hash) under another URL;
- near: MinHash (datasketch) of word shingles of the story text, looked up through LSH band keys, then verified by the
  estimated similarity: the larger of the Jaccard similarity and the containment of the smaller shingle set in the
  larger, so a copy with a paragraph more or less is still the story. Only stories in the same language are compared,
  so translations stay apart.

The story text is the body without what outlets add to a wire story and change between copies of it (``story_text``):
the dateline and credit ("ISLAMABAD, Feb 12 (Wire) -", "МОСКВА, 5 фев — «Вестник».", credit, source, "Read more:",
copyright and subscription lines) and ticker codes ("(META.O)"). Words are cut to their first letters: a crude stemmer
for every language that separates words, so an edit that changes a word's ending keeps the shingles around it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from itertools import groupby
from operator import itemgetter

import numpy as np

from crawler.cache import cached_file, discard
from crawler.state.base import Decision, StoryState

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)
# Punctuation of Latin-script text that is no word character: replaced by spaces, it leaves most English text ASCII,
# which ``_words`` tokenizes fast.
_WORDLESS_MARKS = "“”‘’—–…«»„"
# ASCII bytes to what ``_TOKEN_RE.findall(text.casefold())`` reads in them: letters lowercased, digits and "_" kept,
# any other byte a space.
_ASCII_WORDS = bytes(
    ord(c.lower()) if c.isascii() and (c.isalnum() or c == "_") else ord(" ") for c in map(chr, range(256))
)
# Scripts written without spaces between words: shingle characters instead of words.
_NO_SPACE_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "km", "my"})
# Letters of a word kept for shingling: "restricted"/"restriction", "удалении"/"удалить" become one term.
_WORD_PREFIX = 5
# Containment is only trusted for texts of at least this many shingles: a few words are contained anywhere.
_MIN_CONTAINED = 20
# Words whose hashes are remembered (``_WordHashes``), and shingles permuted at once (``minhash_values``).
_HASH_CACHE_SIZE = 1 << 15
_MINHASH_ROWS = 4096

# --- boilerplate: lines of at most _BOILERPLATE_WORDS words that match one of these are not story text ---------
_BOILERPLATE_WORDS = 30
_CREDIT = re.compile(
    r"^(?:(?:additional\s+)?reporting|writing|editing|compiled|translated|photos?)\s+(?:by|von|por|par)\b",
    re.IGNORECASE,
)
_SOURCE = re.compile(r"^(?:sources?|quelle|источник|джерело|fuente|fonte|kaynak|منبع|المصدر)\s*:", re.IGNORECASE)
_SEE_ALSO = re.compile(
    r"^(?:read\s+(?:more|also)|related(?:\s+stories)?|see\s+also|also\s+read|more|lea\s+también|leia\s+(?:também|mais)|"
    r"(?:à\s+)?lire\s+aussi|mehr\s+zum\s+thema|lesen\s+sie\s+auch|читайте\s+(?:также|також)|смотрите\s+также|"
    r"дивіться\s+також|ayrıca(?:\s+okuyun)?|bunu\s+da\s+okuyun|بیشتر\s+بخوانید|اقرأ\s+أيضا)\s*[:—–-]",
    re.IGNORECASE,
)
_RIGHTS = re.compile(
    r"^(?:©|\(c\)\s|copyright\b)|all rights reserved|все права защищены|prohibida su reproducción|"
    r"todos os direitos reservados|tous droits réservés|alle rechte vorbehalten|tüm hakları saklıdır",
    re.IGNORECASE,
)
_PROMO = re.compile(
    r"подписывайтесь|підписуйтесь|subscribe\s+to|sign\s+up\s+for|follow\s+us\s+on|suscríbete|inscreva-se|"
    r"abonnez-vous|abonnieren\s+sie|bildirimleri\s+aç",
    re.IGNORECASE,
)
_BOILERPLATE = (_CREDIT.match, _SOURCE.match, _SEE_ALSO.match, _RIGHTS.search, _PROMO.search)


def _ascii_twin(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` for ASCII text lowercased: it finds a match where ``pattern`` finds one in the text, in a quarter
    of the time (case-sensitive, the regular expression engine skips to the letters that can start a match).

    The patterns are written in lower case, and under IGNORECASE an ASCII character matches a letter of them when
    its lower case is that letter, but for the dotless ı, which matches i and I: it becomes i."""
    return re.compile(pattern.pattern.replace("ı", "i"), pattern.flags & ~re.IGNORECASE)


_ASCII_BOILERPLATE = (_ascii_twin(_CREDIT).match, _ascii_twin(_SOURCE).match, _ascii_twin(_SEE_ALSO).match,
                      _ascii_twin(_RIGHTS).search, _ascii_twin(_PROMO).search)
# A dateline opens the first line: an upper-case place, maybe a date, maybe "(Agency)", then a dash (or "«Agency».").
_DATELINE = re.compile(
    r"^(?P<place>(?:[^\W\d_][^\W\d_ ./'’-]*(?:[ /'’-][^\W\d_]+){0,3})?)"
    r"(?P<rest>(?:,\s*[^\n()—–]{1,24}?)?\s*(?:\([^()\n]{1,40}\))?)\s*"
    r"(?:[-—–]{1,2}\s*(?:«[^»\n]{1,40}»\.?\s*)?|\.\s+)"
)
_TICKER = re.compile(
    r"\s?[(<](?:[A-Z0-9]{1,6}\.[A-Z]{1,3}|(?:NYSE|NASDAQ|Nasdaq|LSE|MOEX|BIST|TSE|HKEX)\s*:\s*[A-Z0-9.]{1,8})"
    r"(?:,\s*[A-Z0-9]{1,6}\.[A-Z]{1,3})*[)>]"
)


@dataclass(frozen=True)
class DedupConfig:
    """Parameters of near-duplicate detection (settings DEDUP_*)."""

    num_perm: int = 256
    bands: int = 32
    band_rows: int = 4
    """MinHash values a band key covers. The keys use the first ``bands * band_rows`` values; all ``num_perm`` values
    estimate the similarity of the candidates they find."""
    shingle_size: int = 2
    threshold: float = 0.68
    """Estimated similarity (max of Jaccard and containment) from which two bodies are one story."""
    change_threshold: float = 0.95
    """Below this Jaccard similarity to its stored version, a re-crawled article has materially changed."""
    seed: int = 1

    def __post_init__(self) -> None:
        if self.bands < 1 or self.band_rows < 1 or self.bands * self.band_rows > self.num_perm:
            raise ValueError(
                f"DEDUP_BANDS ({self.bands}) x DEDUP_BAND_ROWS ({self.band_rows}) must be between 1 and "
                f"DEDUP_NUM_PERM ({self.num_perm})"
            )
        if not 0 < self.threshold <= 1 or not 0 < self.change_threshold <= 1:
            raise ValueError("DEDUP_THRESHOLD and DEDUP_CHANGE_THRESHOLD must be in (0, 1]")
        if self.shingle_size < 1:
            raise ValueError("DEDUP_SHINGLE_SIZE must be at least 1")


@dataclass(frozen=True)
class Fingerprint:
    """What dedup needs of an article's text."""

    content_hash: str
    signature: bytes
    """``num_perm`` MinHash values and then the number of distinct shingles, as unsigned 32-bit little-endian."""
    bands: list[int]


def _dateline_end(line: str) -> int:
    """Where the story starts after a dateline at the start of ``line`` (0 when there is none)."""
    match = _DATELINE.match(line)
    if match is None:
        return 0
    place, rest = match.group("place"), match.group("rest")
    credited = "(" in rest and not match.group(0).rstrip().endswith(".")
    upper_place = sum(c.isalpha() for c in place) >= 2 and place.isupper()
    return match.end() if credited or upper_place else 0


def _is_boilerplate(line: str) -> bool:
    """Whether a line of at most ``_BOILERPLATE_WORDS`` words matches a ``_BOILERPLATE`` pattern (their ASCII twins
    when it is ASCII)."""
    # Counting at most _BOILERPLATE_WORDS + 1 words: a long paragraph is never split whole.
    if len(line.split(None, _BOILERPLATE_WORDS)) > _BOILERPLATE_WORDS:
        return False
    if line.isascii():
        lowered = line.lower()
        return any(test(lowered) for test in _ASCII_BOILERPLATE)
    return any(test(line) for test in _BOILERPLATE)


def _kept_lines(body: str) -> tuple[list[str], list[bool], int]:
    """The body's lines, whether each is story text, and where the story starts in the first line kept.

    The lines are the stripped body's pieces between runs of whitespace that hold a newline; none is empty but the one
    line of an empty body. Cut at each newline and stripped, they cost a tenth of what a regular expression splitting
    at such runs did (it tried a match at every space)."""
    lines = [line for line in map(str.strip, body.split("\n")) if line] or [""]
    kept = [bool(line) and not _is_boilerplate(line) for line in lines]
    first = next((i for i, keep in enumerate(kept) if keep), -1)
    return lines, kept, _dateline_end(lines[first]) if first >= 0 else 0


def story_text(body: str) -> str:
    """The body without dateline, credit, source, "Read more", copyright and subscription lines and ticker codes."""
    lines, kept, start = _kept_lines(body)
    story = [line for line, keep in zip(lines, kept, strict=True) if keep]
    if story:
        story[0] = story[0][start:]
    return _TICKER.sub("", "\n".join(story))


def _words(text: str) -> list[str]:
    """``_TOKEN_RE.findall(text.casefold())``, four times faster on text that is ASCII but for ``_WORDLESS_MARKS``
    (most English news): its bytes are lowercased and its non-word characters made spaces in one ``translate``, and
    ``split`` cuts the words."""
    if not text.isascii():
        for mark in _WORDLESS_MARKS:  # not word characters, their own case fold: the words stay the same
            if mark in text:
                text = text.replace(mark, " ")
        if not text.isascii():
            return _TOKEN_RE.findall(text.casefold())
    return text.encode("ascii").translate(_ASCII_WORDS).decode("ascii").split()


def tokens(text: str, language: str = "") -> list[str]:
    """Lowercased word tokens (characters for languages written without spaces)."""
    words = _words(text)
    if language in _NO_SPACE_LANGUAGES:
        return list("".join(words))
    return words


def _body_and_story_tokens(body: str, language: str) -> tuple[list[str], list[str]]:
    """``tokens(body)`` and ``tokens(story_text(body))``, tokenizing the body once (and the first line kept twice).

    No token spans lines, so the body's tokens are those of its runs of kept and of dropped lines in turn, and the
    story's those of the kept runs, the first line kept from the end of its dateline. A line with a ticker code sends
    the story text the long way (``story_text``)."""
    lines, kept, start = _kept_lines(body)
    if any(("(" in line or "<" in line) and _TICKER.search(line) for line in lines):
        return tokens(body, language), tokens(story_text(body), language)
    every: list[str] = []
    story: list[str] = []
    for keep, run in groupby(zip(kept, lines, strict=True), key=itemgetter(0)):
        run_lines = [line for _, line in run]
        if keep and start:  # the first run kept, whose first line has a dateline
            head = run_lines.pop(0)
            every += tokens(head, language)
            story += tokens(head[start:], language)
            start = 0
        words = tokens("\n".join(run_lines), language)
        every += words
        if keep:
            story += words
    return every, story


def _word_hash(word: str) -> int:
    """A stable 64-bit hash of a word (Python's own ``hash`` changes from process to process)."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


class _WordHashes(dict[str, int]):
    """Word -> ``_word_hash`` of its first ``letters`` letters (of all of it when None), computed on first lookup.

    News text repeats its common words: each is hashed once. A cache is emptied when it holds ``_HASH_CACHE_SIZE``
    words (~5 MB), so it never grows with a long crawl's vocabulary. A plain dict's lookup (``map`` of
    ``__getitem__``) costs a third of an ``lru_cache``'s; keyed by whole words, it also cuts the prefixes."""

    def __init__(self, letters: int | None) -> None:
        super().__init__()
        self.letters = letters

    def __missing__(self, word: str) -> int:
        if len(self) >= _HASH_CACHE_SIZE:
            self.clear()
        value = self[word] = _word_hash(word[: self.letters])
        return value


_WORD_HASHES = _WordHashes(None)
_PREFIX_HASHES = _WordHashes(_WORD_PREFIX)
# numpy scalars made once, not at each use
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX = np.uint64(0xBF58476D1CE4E5B9)
_SHIFT_29 = np.uint64(29)
_SHIFT_32 = np.uint64(32)


def _mix64(keys: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer, in place on a uint64 array."""
    keys ^= keys >> np.uint64(30)
    keys *= _MIX
    keys ^= keys >> np.uint64(27)
    keys *= np.uint64(0x94D049BB133111EB)
    keys ^= keys >> np.uint64(31)
    return keys


def _grams(words: list[str], size: int, hashes: _WordHashes) -> np.ndarray:
    """The distinct n-grams of ``words`` as sorted 32-bit hashes (``shingles``), words hashed by ``hashes``."""
    if not words:
        return np.empty(0, dtype=np.uint32)
    word_hashes = np.fromiter(map(hashes.__getitem__, words), dtype=np.uint64, count=len(words))
    size = min(size, len(words))
    count = len(words) - size + 1
    grams = word_hashes[:count].copy()
    for offset in range(1, size):  # wraps around silently: numpy never checks integer arrays for overflow
        grams *= _GOLDEN
        grams ^= word_hashes[offset : offset + count]
        _mix64(grams)
    # np.unique(), without its hash table: sorting a few thousand values and dropping repeats costs a tenth.
    values = (grams >> np.uint64(32)).astype(np.uint32)
    values.sort()
    distinct = np.empty(len(values), dtype=bool)
    distinct[0] = True
    np.not_equal(values[1:], values[:-1], out=distinct[1:])
    return values[distinct]


def shingles(words: list[str], size: int) -> np.ndarray:
    """The distinct word n-grams of ``words`` as sorted 32-bit hashes (a text shorter than ``size`` words is one
    shingle). Each word is hashed once (words repeat: the hashes are cached) and n-grams combine the word hashes in
    numpy: no string of an n-gram is ever built."""
    return _grams(words, size, _WORD_HASHES)


def _shingles_of_story(words: list[str], language: str, size: int) -> np.ndarray:
    if language in _NO_SPACE_LANGUAGES:
        # A word of these scripts is about two characters: twice as many characters make a shingle of as many words.
        return shingles(words, 2 * size)
    return _grams(words, size, _PREFIX_HASHES)  # the words' first _WORD_PREFIX letters


def story_shingles(body: str, language: str, size: int) -> np.ndarray:
    """The shingles a signature is made of: word prefixes of the story text (characters where words run together)."""
    return _shingles_of_story(tokens(story_text(body), language), language, size)


def _datasketch_permutations(num_perm: int, seed: int) -> np.ndarray:
    # datasketch imports scipy (0.5 s of CPU at every crawl's start), for 2 x num_perm numbers: imported only when
    # the cache does not have them.
    from datasketch import MinHash  # noqa: PLC0415

    permutations: np.ndarray = np.asarray(MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations)
    return permutations


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's "affine32" permutations (a, b) of a configuration, uint32 arrays: stored signatures were made with
    them, so datasketch stays their source. They are kept in the cache directory (``crawler.cache``), under
    datasketch's version; built once a process otherwise (building them costs more than hashing a page)."""
    prefix = f"minhash-affine32-{num_perm}-{seed}-datasketch-"
    path = cached_file(f"{prefix}{version('datasketch')}.npy",
                       lambda file: np.save(file, _datasketch_permutations(num_perm, seed)), stale=f"{prefix}*.npy")
    if path is not None:
        try:
            with path.open("rb") as file:
                cached = np.load(file, allow_pickle=False)
            if cached.shape != (2, num_perm) or cached.dtype != np.uint32:
                raise ValueError(f"{cached.dtype} array of shape {cached.shape}, not uint32 of (2, {num_perm})")
            return cached[0], cached[1]
        except (OSError, ValueError, EOFError) as exc:
            discard(path, exc)
    a, b = _datasketch_permutations(num_perm, seed)
    return a, b


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, in place on a uint32 array (datasketch's pre-mix of each input hash)."""
    values ^= values >> np.uint32(16)
    values *= np.uint32(0x85EBCA6B)
    values ^= values >> np.uint32(13)
    values *= np.uint32(0xC2B2AE35)
    values ^= values >> np.uint32(16)
    return values


def minhash_values(grams: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """The uint32 hash values of datasketch's ``MinHash(num_perm, seed, scheme="affine32", hashfunc=identity)`` after
    ``update_batch(grams)``, computed as it does: each hash pre-mixed (``_fmix32``), ``a * h + b`` wrapping around in
    uint32 for each permutation, the minimum per permutation (all 0xFFFFFFFF when there are no grams).

    datasketch itself calls the hash function in a Python loop, once a shingle: this is twice as fast. Blocks of
    ``_MINHASH_ROWS`` shingles bound the memory a very long body takes."""
    a, b = _permutations(num_perm, seed)
    values = np.full(num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)
    mixed = _fmix32(grams.astype(np.uint32))
    for begin in range(0, len(mixed), _MINHASH_ROWS):
        permuted = np.multiply.outer(mixed[begin : begin + _MINHASH_ROWS], a)
        permuted += b
        np.minimum(values, permuted.min(axis=0), out=values)
    return values


def pack_signature(values: np.ndarray, shingle_count: int) -> bytes:
    """The stored signature: the MinHash values, then the number of shingles (for the containment estimate)."""
    return values.astype("<u4").tobytes() + np.array([min(shingle_count, 0xFFFFFFFF)], dtype="<u4").tobytes()


def fingerprint(body: str, language: str, config: DedupConfig) -> Fingerprint:
    """Content hash, packed MinHash signature and LSH band keys of an article body."""
    # The content hash covers the whole body as before, so a stored story re-crawled unchanged stays "unchanged".
    every, story = _body_and_story_tokens(body, language)
    content_hash = hashlib.sha256(" ".join(every).encode("utf-8")).hexdigest()
    grams = _shingles_of_story(story, language, config.shingle_size)
    if not grams.size:  # a body that is all boilerplate keeps its own words: an empty text would look like any other
        grams = shingles(every, config.shingle_size)
    values = minhash_values(grams, config.num_perm, config.seed)
    bands = band_keys(values, config.bands, language, config.band_rows)
    return Fingerprint(content_hash, pack_signature(values, len(grams)), bands)


@lru_cache(maxsize=64)
def _band_seeds(language: str, bands: int) -> np.ndarray:
    seeds = [hashlib.blake2b(f"{language[:6]}:{band}".encode(), digest_size=8).digest() for band in range(bands)]
    return np.frombuffer(b"".join(seeds), dtype="<u8").copy()


def band_key_matrix(values: np.ndarray, bands: int, language: str, rows: int | None = None) -> np.ndarray:
    """Band keys of many signatures at once: ``values`` is (stories, num_perm), the result (stories, bands) uint64.

    Band ``i`` covers values ``i * rows`` to ``(i + 1) * rows`` (``rows`` defaults to num_perm // bands). A key mixes
    them into a 64-bit hash (multiply-xorshift, as splitmix64) seeded by band index and language.
    """
    rows = rows or values.shape[1] // bands
    grid = values[:, : bands * rows].astype(np.uint64).reshape(len(values), bands, rows)
    keys = np.empty((len(values), bands), dtype=np.uint64)
    keys[...] = _band_seeds(language, bands)
    for row in range(rows):
        keys ^= grid[:, :, row]
        keys *= _GOLDEN
        keys ^= keys >> _SHIFT_29
    keys *= _MIX
    keys ^= keys >> _SHIFT_32
    return keys


def band_keys(values: np.ndarray, bands: int, language: str, rows: int | None = None) -> list[int]:
    """One 64-bit key per band of rows; the band index and language are part of the key."""
    keys: list[int] = band_key_matrix(values.reshape(1, -1), bands, language, rows)[0].tolist()
    return keys


def _unpack(signature: bytes) -> tuple[np.ndarray, int]:
    values = np.frombuffer(signature, dtype="<u4")
    return values[:-1], int(values[-1])


def jaccard(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two packed signatures (share of equal hash values)."""
    if len(a) < 8 or len(a) != len(b):
        return 0.0
    x, _ = _unpack(a)
    y, _ = _unpack(b)
    return float(np.count_nonzero(x == y)) / len(x)


def similarity(a: bytes, b: bytes) -> float:
    """Estimated similarity of two stories: max(Jaccard, containment of the smaller shingle set in the larger)."""
    return float(similarities(a, [b])[0])


def similarities(signature: bytes, others: list[bytes]) -> np.ndarray:
    """``similarity(signature, other)`` for each of ``others`` at once (0 for a signature of another format)."""
    result = np.zeros(len(others))
    same = [i for i, other in enumerate(others) if len(other) == len(signature) >= 8]
    if not same:
        return result
    width = len(signature) // 4
    own = np.frombuffer(signature, dtype="<u4")
    grid = np.frombuffer(b"".join(others[i] for i in same), dtype="<u4").reshape(len(same), width)
    j = np.count_nonzero(grid[:, :-1] == own[:-1], axis=1) / (width - 1)
    smaller = np.minimum(grid[:, -1], own[-1]).astype(np.float64)
    larger = np.maximum(grid[:, -1], own[-1]).astype(np.float64)
    # |A ∩ B| = J (|A| + |B|) / (1 + J); containment is only trusted for texts of _MIN_CONTAINED shingles or more.
    contained = np.minimum(1.0, j * (smaller + larger) / ((1 + j) * np.maximum(smaller, 1)))
    result[same] = np.where(smaller >= _MIN_CONTAINED, np.maximum(j, contained), j)
    return result


def decide(
    story: StoryState,
    fp: Fingerprint,
    config: DedupConfig,
    existing: StoryState | None,
    owner: StoryState | None,
    candidates: list[StoryState],
) -> Decision:
    """The dedup decision for ``story`` (not yet stored), given what the store holds.

    A stored story that was never written (its crawl died between deciding and writing it: the store hands it over
    without content hash and signature) is decided like a new one, so that a copy written since takes it as a
    duplicate; when none does, it is written as its next version."""
    if existing is not None and existing.signature:
        if existing.content_hash == fp.content_hash:
            return Decision("unchanged", existing)
        # Jaccard, not containment: a paragraph added to the same article is a change.
        sim = jaccard(existing.signature, fp.signature)
        if sim >= config.change_threshold and existing.title == story.title:
            return Decision("unchanged", existing, similarity=sim)
        return _next_version(story, existing, fp, sim)
    if owner is not None:
        return Decision("duplicate", owner, duplicate_of=owner.id)
    same_language = [c for c in candidates if c.language == story.language]
    if same_language:
        sims = similarities(fp.signature, [c.signature for c in same_language])
        best = int(np.argmax(sims))
        if sims[best] >= config.threshold:
            match = same_language[best]
            return Decision("near_duplicate", match, duplicate_of=match.id, similarity=float(sims[best]))
    if existing is not None:
        return _next_version(story, existing, fp, 0.0)
    return Decision("new", story, bands=fp.bands)


def _next_version(story: StoryState, existing: StoryState, fp: Fingerprint, similarity: float) -> Decision:
    story.version = existing.version + 1
    story.first_seen = existing.first_seen
    return Decision("updated", story, similarity=similarity, bands=fp.bands)
