"""Story fingerprints and the dedup decision, independent of where the state lives.

- exact: the same canonical id, or the same normalized body (content hash) under another URL;
- near: MinHash (datasketch) of word shingles of the body, looked up through LSH band keys, then verified by the
  estimated Jaccard similarity; only stories in the same language are compared, so translations stay apart.
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import MinHash

from crawler.state.base import Decision, StoryState

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)
# Scripts written without spaces between words: shingle characters instead of words.
_NO_SPACE_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "km", "my"})


@dataclass(frozen=True)
class DedupConfig:
    """Parameters of near-duplicate detection (settings DEDUP_*)."""

    num_perm: int = 128
    bands: int = 32
    shingle_size: int = 4
    threshold: float = 0.5
    """Estimated Jaccard similarity from which two bodies are one story."""
    change_threshold: float = 0.9
    """Below this similarity to its stored version, a re-crawled article has materially changed."""
    seed: int = 1

    def __post_init__(self) -> None:
        if self.num_perm % self.bands:
            raise ValueError(f"DEDUP_NUM_PERM ({self.num_perm}) must be a multiple of DEDUP_BANDS ({self.bands})")
        if not 0 < self.threshold <= 1 or not 0 < self.change_threshold <= 1:
            raise ValueError("DEDUP_THRESHOLD and DEDUP_CHANGE_THRESHOLD must be in (0, 1]")
        if self.shingle_size < 1:
            raise ValueError("DEDUP_SHINGLE_SIZE must be at least 1")


@dataclass(frozen=True)
class Fingerprint:
    """What dedup needs of an article's text."""

    content_hash: str
    signature: bytes
    bands: list[int]


def tokens(text: str, language: str = "") -> list[str]:
    """Lowercased word tokens (characters for languages written without spaces)."""
    words = _TOKEN_RE.findall(text.casefold())
    if language in _NO_SPACE_LANGUAGES:
        return [c for w in words for c in w]
    return words


def shingles(words: list[str], size: int) -> set[bytes]:
    """Word n-grams as bytes; a text shorter than ``size`` words is one shingle."""
    if len(words) <= size:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


@lru_cache(maxsize=8)
def _template(num_perm: int, seed: int) -> MinHash:
    # Building the permutations costs more than hashing a page: build them once per configuration.
    return MinHash(num_perm=num_perm, seed=seed, scheme="affine32")


def fingerprint(body: str, language: str, config: DedupConfig) -> Fingerprint:
    """Content hash, packed MinHash signature and LSH band keys of an article body."""
    words = tokens(body, language)
    content_hash = hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()
    template = _template(config.num_perm, config.seed)
    minhash = MinHash(num_perm=config.num_perm, seed=config.seed, permutations=template.permutations, scheme="affine32")
    grams = shingles(words, config.shingle_size)
    if grams:
        minhash.update_batch(list(grams))
    values = minhash.hashvalues.astype(np.uint32)
    signature = values.tobytes()
    return Fingerprint(content_hash, signature, band_keys(values, config.bands, language))


def band_keys(values: np.ndarray, bands: int, language: str) -> list[int]:
    """One 64-bit key per band of rows; the band index and language are part of the key."""
    rows = len(values) // bands
    keys = []
    for band in range(bands):
        digest = hashlib.blake2b(values[band * rows : (band + 1) * rows].tobytes(), digest_size=8,
                                 person=f"{language[:6]}:{band}".encode()[:16]).digest()
        keys.append(struct.unpack("<Q", digest)[0])
    return keys


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two packed signatures (share of equal hash values)."""
    if not a or len(a) != len(b):
        return 0.0
    x = np.frombuffer(a, dtype=np.uint32)
    y = np.frombuffer(b, dtype=np.uint32)
    return float(np.count_nonzero(x == y)) / len(x)


def decide(
    story: StoryState,
    fp: Fingerprint,
    config: DedupConfig,
    existing: StoryState | None,
    owner: StoryState | None,
    candidates: list[StoryState],
) -> Decision:
    """The dedup decision for ``story`` (not yet stored), given what the store holds."""
    if existing is not None:
        if existing.content_hash == fp.content_hash:
            return Decision("unchanged", existing)
        sim = similarity(existing.signature, fp.signature)
        if sim >= config.change_threshold and existing.title == story.title:
            return Decision("unchanged", existing, similarity=sim)
        story.version = existing.version + 1
        story.first_seen = existing.first_seen
        return Decision("updated", story, similarity=sim, bands=fp.bands)
    if owner is not None:
        return Decision("duplicate", owner, duplicate_of=owner.id)
    best: tuple[float, StoryState] | None = None
    for candidate in candidates:
        if candidate.language != story.language:
            continue
        sim = similarity(candidate.signature, fp.signature)
        if sim >= config.threshold and (best is None or sim > best[0]):
            best = (sim, candidate)
    if best is not None:
        return Decision("near_duplicate", best[1], duplicate_of=best[1].id, similarity=best[0])
    return Decision("new", story, bands=fp.bands)
