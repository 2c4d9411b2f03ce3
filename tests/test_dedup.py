"""Dedup: story text and fingerprints, the decision table, the SQLite store's remember(), and quality on labelled pairs."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler import dedup
from crawler.cache import CACHE_DIR_ENV
from crawler.dedup import (
    DedupConfig,
    Fingerprint,
    band_keys,
    decide,
    fingerprint,
    jaccard,
    minhash_values,
    pack_signature,
    shingles,
    similarity,
    story_shingles,
    story_text,
    tokens,
)
from crawler.state.base import StoryState
from crawler.state.sqlite import _CANDIDATE_LIMIT, SQLiteStateStore

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Barrier

    from crawler.state.base import Decision

PAIRS = Path(__file__).parent / "dedup" / "pairs"
CONFIG = DedupConfig()

WIRE = (
    "Pakistan's telecoms regulator ordered internet providers to block access to the social media platform X "
    "nationwide on Thursday, days after protests over disputed provincial election results spread to several cities.\n\n"
    "The Pakistan Telecommunication Authority said in a brief notice that the platform had been suspended until "
    "further orders on instructions from the interior ministry, which accused unnamed accounts of spreading "
    "fabricated results and calls to violence.\n\n"
    "Users in Lahore, Karachi and Peshawar reported that the site and app stopped loading shortly after noon local "
    "time. Data from a monitoring group showed traffic to X from Pakistani networks falling by more than 80% within "
    "an hour.\n\n"
    "Digital rights groups said the move would hurt journalists and small businesses that rely on the platform, and "
    "VPN use surged after the latest order, according to app store rankings."
)
OTHER = (
    "Brazil's Supreme Court ordered the national telecoms agency to suspend Telegram across the country after the "
    "company failed to name a legal representative and ignored court orders to remove accounts.\n\n"
    "Internet providers and app stores were given five days to comply with the order, which the justice said would "
    "stay in force until the messaging service met every requirement of Brazilian law."
)


def story(story_id: str, body: str, language: str = "en", title: str = "A title") -> tuple[StoryState, Fingerprint]:
    """The StoryState and fingerprint the dedup pipeline builds for an article."""
    fp = fingerprint(body, language, CONFIG)
    state = StoryState(id=story_id, content_hash=fp.content_hash, signature=fp.signature, language=language,
                       title=title, url=f"https://news.example/{story_id}", first_seen=1.0, last_seen=1.0)
    return state, fp


def remember(store: SQLiteStateStore, story_id: str, body: str, language: str = "en",
             title: str = "A title") -> Decision:
    state, fp = story(story_id, body, language, title)
    return store.remember(story_id, fp.content_hash, fp.bands,
                          lambda existing, owner, candidates: decide(state, fp, CONFIG, existing, owner, candidates))


# --- story text and fingerprints -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("body", "text"), [
    ("ISLAMABAD, Feb 12 (Wire) - Pakistan blocked X.", "Pakistan blocked X."),
    ("MOSCOW (Wire) - Russia slowed WhatsApp.", "Russia slowed WhatsApp."),
    ("KUALA LUMPUR, Jan 12 (Wire) — Malaysia acted.", "Malaysia acted."),
    ("LIBREVILLE - Gabon suspended social media.", "Gabon suspended social media."),
    ("(Wire) - Sri Lanka blocked Facebook.", "Sri Lanka blocked Facebook."),
    ("МОСКВА, 5 фев — «Вестник». Трафик YouTube упал.", "Трафик YouTube упал."),
    ("МОСКВА, 2 марта. Роскомнадзор заблокировал Twitch.", "Роскомнадзор заблокировал Twitch."),
    ("Pakistan blocked X. Here is what we know.", "Pakistan blocked X. Here is what we know."),
    ("NetSignal - a monitor - said so.", "NetSignal - a monitor - said so."),
    ("Meta Platforms' (META.O) WhatsApp and Tencent (0700.HK) apps.", "Meta Platforms' WhatsApp and Tencent apps."),
    ("Body.\n\nReporting by Asif Malik in Islamabad; Editing by Clare Dunmore", "Body."),
    ("Body.\n\nRead more: Pakistan's VPN drive stalls\n\nEnd.", "Body.\nEnd."),
    ("Body.\n\nRelated: Telegram founder says no keys", "Body."),
    ("Body.\n\nЧитайте также: Какие VPN ещё работают", "Body."),
    ("Body.\n\n© 2026 Wire. All rights reserved.", "Body."),
    ("Body.\n\nCopyright 2026 Press Agency. All rights reserved. Not to be redistributed.", "Body."),
    ("Body.\n\nИсточник: «Вестник»", "Body."),
    ("Body.\n\nПодписывайтесь на «Город 24» в Telegram и VK, чтобы первыми узнавать новости.", "Body."),
])
def test_story_text_drops_what_outlets_add(body: str, text: str) -> None:
    assert story_text(body) == text


def test_a_long_paragraph_is_never_boilerplate() -> None:
    body = "Related: " + "the court ordered the block and the regulator complied " * 5
    assert story_text(body) == body.strip()


def test_fingerprint_layout_and_determinism() -> None:
    fp = fingerprint(WIRE, "en", CONFIG)
    assert fp == fingerprint(WIRE, "en", CONFIG)
    assert len(fp.signature) == 4 * (CONFIG.num_perm + 1)
    assert len(fp.bands) == CONFIG.bands
    assert all(0 <= b < 1 << 64 for b in fp.bands)
    # the band keys carry the language: the same text in another language's store is another story
    assert not set(fp.bands) & set(fingerprint(WIRE, "de", CONFIG).bands)


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("body", [
    WIRE,
    "ISLAMABAD, Feb 12 (Wire) - " + WIRE + "\nReporting by Ann Lee; editing by Bo Chan\n© 2026 Wire",
    "Shares of Meta (META.O) fell after the order.\nREAD MORE: other news\nThe regulator (NYSE: X) said more.",
    "word\n(META.O)next line",  # a ticker code that joins two lines: the story text's own path
    "Reporting by Ann Lee\nRead more: elsewhere",  # boilerplate only: the signature falls back to every word
    "东京 3月1日 (新华社) - 微信被封锁\n更多",
    "",
])
def test_fingerprint_tokenizes_once_as_the_story_text_would(body: str, language: str) -> None:
    """fingerprint() splits the body into lines and tokenizes each once; it must equal tokenizing the body for the
    content hash and the story text for the signature."""
    fp = fingerprint(body, language, CONFIG)
    every = tokens(body, language)
    assert fp.content_hash == hashlib.sha256(" ".join(every).encode("utf-8")).hexdigest()
    grams = story_shingles(body, language, CONFIG.shingle_size)
    grams = grams if grams.size else shingles(every, CONFIG.shingle_size)
    minhash = MinHash(num_perm=CONFIG.num_perm, seed=CONFIG.seed, scheme="affine32", hashfunc=lambda value: value)
    if grams.size:
        minhash.update_batch(grams)
    assert fp.signature == pack_signature(minhash.hashvalues.astype(np.uint32), len(grams))


def test_content_hash_ignores_case_and_spacing_only() -> None:
    assert fingerprint(WIRE, "en", CONFIG).content_hash == fingerprint(WIRE.upper().replace(" ", "  "), "en",
                                                                       CONFIG).content_hash
    assert fingerprint(WIRE, "en", CONFIG).content_hash != fingerprint(WIRE + " More.", "en", CONFIG).content_hash


def test_copies_that_differ_in_boilerplate_are_identical_stories() -> None:
    copy = "ISLAMABAD (Wire) - " + WIRE + "\n\nRead more: Pakistan's VPN drive stalls\n\n© 2026 Wire."
    assert similarity(fingerprint(WIRE, "en", CONFIG).signature, fingerprint(copy, "en", CONFIG).signature) == 1.0


def test_containment_keeps_a_copy_with_a_paragraph_less() -> None:
    shorter = WIRE.rsplit("\n\n", 2)[0]
    a, b = fingerprint(WIRE, "en", CONFIG).signature, fingerprint(shorter, "en", CONFIG).signature
    assert jaccard(a, b) < CONFIG.threshold <= similarity(a, b)


def test_unrelated_stories_and_other_formats_are_not_similar() -> None:
    a = fingerprint(WIRE, "en", CONFIG).signature
    assert similarity(a, fingerprint(OTHER, "en", CONFIG).signature) < 0.2
    assert similarity(a, a[:-8]) == 0.0  # a signature of another DEDUP_NUM_PERM or an older format
    assert similarity(b"", b"") == 0.0


def test_a_body_of_boilerplate_only_keeps_its_words() -> None:
    a = fingerprint("Reporting by Asif Malik; Editing by Clare Dunmore", "en", CONFIG).signature
    b = fingerprint("Reporting by Meridian Dhaka; Editing by Peter Lund", "en", CONFIG).signature
    assert similarity(a, b) < CONFIG.threshold


@pytest.mark.parametrize(("count", "num_perm", "seed"), [(0, 256, 1), (1, 256, 1), (700, 256, 1), (9000, 64, 7)])
def test_minhash_values_are_datasketchs(count: int, num_perm: int, seed: int) -> None:
    """Stored signatures were made by datasketch's update_batch: the numpy version must give the same values, with
    more shingles than one block too."""
    grams = np.unique(np.random.default_rng(count).integers(0, 1 << 32, size=count, dtype=np.uint64).astype(np.uint32))
    minhash = MinHash(num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=lambda value: value)
    if grams.size:
        minhash.update_batch(grams)
    assert np.array_equal(minhash_values(grams, num_perm, seed), minhash.hashvalues)


_TEXT = st.lists(st.sampled_from([
    "Word", "wORD", "_x_", "42", "é", "ß", "İ", "ﬁ", "Σ", "½", "中文", "ı", " ", "\n", "\n\n", "\t", "\u00a0", "\u2028",
    "\x1c", "-", "(", "'", *dedup._WORDLESS_MARKS,
]), max_size=30).map("".join)


@settings(max_examples=800, deadline=None)
@given(_TEXT)
def test_tokens_are_those_of_the_regular_expression(text: str) -> None:
    """The fast path of ASCII text gives the words of \\w+ in the case-folded text."""
    assert tokens(text) == re.findall(r"\w+", text.casefold())


def test_wordless_marks_are_no_word_characters() -> None:
    assert all(not re.match(r"\w", mark) and mark.casefold() == mark for mark in dedup._WORDLESS_MARKS)


@settings(max_examples=800, deadline=None)
@given(_TEXT)
def test_lines_are_those_of_a_split_at_newlines_and_their_spaces(body: str) -> None:
    lines, _, _ = dedup._kept_lines(body)
    assert lines == re.split(r"\s*\n\s*", body.strip())


@pytest.mark.parametrize("pattern", [dedup._CREDIT, dedup._SOURCE, dedup._SEE_ALSO, dedup._RIGHTS, dedup._PROMO])
def test_ascii_twins_of_the_boilerplate_patterns_match_alike(pattern: re.Pattern[str]) -> None:
    """On ASCII text lowercased, a twin matches where its pattern matches the text: each character of the pattern
    matches, under IGNORECASE, exactly the ASCII characters whose lower case is the twin's character."""
    twin = dedup._ascii_twin(pattern)
    assert not twin.flags & re.IGNORECASE
    for own, twins in zip(pattern.pattern, twin.pattern, strict=True):
        for ascii_char in map(chr, range(128)):
            assert bool(re.fullmatch(re.escape(own), ascii_char, re.IGNORECASE)) == (ascii_char.lower() == twins)


@pytest.mark.parametrize("line", [
    "ALL RIGHTS RESERVED", "Subscribe To our channel", "READ MORE: elsewhere", "(C) 2026 Wire", "SOURCES: AP",
    "Reporting By Ann Lee", "TUM HAKLARI SAKLIDIR", "A plain sentence of the story.",
])
def test_boilerplate_is_found_alike_in_ascii_lines(line: str) -> None:
    assert dedup._is_boilerplate(line) == any(test(line) for test in dedup._BOILERPLATE)


def test_fingerprints_do_not_depend_on_the_word_hash_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    before = [fingerprint(body, language, CONFIG) for body, language in ((WIRE, "en"), (OTHER, "en"), (WIRE, "zh"))]
    monkeypatch.setattr(dedup, "_HASH_CACHE_SIZE", 3)  # emptied again and again
    monkeypatch.setattr(dedup, "_PREFIX_HASHES", dedup._WordHashes(dedup._WORD_PREFIX))
    monkeypatch.setattr(dedup, "_WORD_HASHES", dedup._WordHashes(None))
    after = [fingerprint(body, language, CONFIG) for body, language in ((WIRE, "en"), (OTHER, "en"), (WIRE, "zh"))]
    assert after == before
    assert 0 < len(dedup._PREFIX_HASHES) <= 3


@pytest.mark.parametrize("kwargs", [
    {"num_perm": 64, "bands": 32, "band_rows": 4},
    {"bands": 0},
    {"threshold": 0.0},
    {"change_threshold": 1.5},
    {"shingle_size": 0},
])
def test_bad_configuration_names_the_setting(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="DEDUP_"):
        DedupConfig(**kwargs)


# --- the decision table --------------------------------------------------------------------------------------------
def _state(story_id: str, body: str, language: str = "en", title: str = "A title", version: int = 1) -> StoryState:
    state, _ = story(story_id, body, language, title)
    return replace(state, version=version, first_seen=0.5)


EDITED = WIRE.replace("nationwide on Thursday", "across the country on Thursday")
UPDATED = WIRE + "\n\nA court in Islamabad agreed on Friday to hear a petition against the block next week."
REWRITTEN = OTHER + "\n\n" + WIRE.split("\n\n")[0]


@pytest.mark.parametrize(("case", "existing", "owner", "candidates", "body", "title", "action", "version"), [
    ("re-crawl, same body", _state("s", WIRE), None, [], WIRE, "A title", "unchanged", 1),
    ("re-crawl, small edit", _state("s", WIRE), None, [], EDITED, "A title", "unchanged", 1),
    ("re-crawl, small edit, new title", _state("s", WIRE), None, [], EDITED, "New title", "updated", 2),
    ("re-crawl, paragraph added", _state("s", WIRE, version=3), None, [], UPDATED, "A title", "updated", 4),
    ("re-crawl, rewritten", _state("s", WIRE), None, [], REWRITTEN, "A title", "updated", 2),
    ("same body elsewhere", None, _state("o", WIRE), [], WIRE, "A title", "duplicate", 1),
    ("edited copy elsewhere", None, None, [_state("o", WIRE)], EDITED, "A title", "near_duplicate", 1),
    ("copy with a paragraph more", None, None, [_state("o", WIRE)], UPDATED, "A title", "near_duplicate", 1),
    ("best of several candidates", None, None, [_state("x", OTHER), _state("o", WIRE)], EDITED, "T",
     "near_duplicate", 1),
    ("candidate in another language", None, None, [_state("o", WIRE, "de")], EDITED, "A title", "new", 1),
    ("unrelated candidate", None, None, [_state("o", OTHER)], WIRE, "A title", "new", 1),
    ("nothing stored", None, None, [], WIRE, "A title", "new", 1),
    # a story whose crawl died before writing it (the store clears its hash and signature): a copy written since
    # takes it as a duplicate; with none, it is written as its next version
    ("never written, copy written since", replace(_state("s", WIRE), content_hash="", signature=b""), None,
     [_state("o", EDITED)], WIRE, "A title", "near_duplicate", 1),
    ("never written, same body elsewhere", replace(_state("s", WIRE), content_hash="", signature=b""),
     _state("o", WIRE), [], WIRE, "A title", "duplicate", 1),
    ("never written, no copy", replace(_state("s", WIRE, version=2), content_hash="", signature=b""), None,
     [_state("x", OTHER)], WIRE, "A title", "updated", 3),
])
def test_decide(case: str, existing: StoryState | None, owner: StoryState | None, candidates: list[StoryState],
                body: str, title: str, action: str, version: int) -> None:
    state, fp = story("s" if existing else "n", body, title=title)
    decision = decide(state, fp, CONFIG, existing, owner, candidates)
    assert decision.action == action, case
    assert decision.story.version == version
    if action in ("duplicate", "near_duplicate"):
        assert decision.duplicate_of == "o"
        assert not decision.emit
    if action == "updated":
        assert decision.story.first_seen == 0.5
        assert decision.bands == fp.bands
    if action == "new":
        assert decision.emit
        assert decision.bands == fp.bands


# --- the SQLite store ----------------------------------------------------------------------------------------------
def test_store_remembers_new_duplicates_and_updates(tmp_path: Path) -> None:
    store = SQLiteStateStore(tmp_path / "state.db")
    try:
        assert remember(store, "a", WIRE).action == "new"
        assert remember(store, "a", WIRE).action == "unchanged"
        assert remember(store, "b", WIRE).action == "duplicate"
        copy = remember(store, "c", "ISLAMABAD (Wire) - " + EDITED + "\n\nReporting by A. Malik")
        assert (copy.action, copy.duplicate_of) == ("near_duplicate", "a")
        assert remember(store, "d", OTHER).action == "new"
        updated = remember(store, "a", UPDATED)
        assert (updated.action, updated.story.version) == ("updated", 2)
        stored = store.story("a")
        assert stored is not None
        assert (stored.version, stored.content_hash) == (2, fingerprint(UPDATED, "en", CONFIG).content_hash)
        assert remember(store, "e", EDITED).duplicate_of == "a"
        assert store.story_count() == 2
    finally:
        store.close()


def test_store_caps_the_candidates_of_a_crowded_band_key(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    rows = CONFIG.band_rows

    def random_values() -> np.ndarray:
        return rng.integers(0, 1 << 32, size=CONFIG.num_perm, dtype=np.uint64).astype(np.uint32)

    def put(store: SQLiteStateStore, story_id: str, values: np.ndarray, seen: list[int]) -> Decision:
        bands = band_keys(values, CONFIG.bands, "en", rows)
        fp = Fingerprint(story_id, pack_signature(values, 200), bands)
        state = StoryState(id=story_id, content_hash=story_id, signature=fp.signature, language="en")

        def decide_fn(existing: StoryState | None, owner: StoryState | None, found: list[StoryState]) -> Decision:
            seen.append(len(found))
            return decide(state, fp, CONFIG, existing, owner, found)

        return store.remember(story_id, story_id, bands, decide_fn)

    shared = random_values()[:rows]
    original = random_values()
    store = SQLiteStateStore(tmp_path / "state.db")
    try:
        assert put(store, "original", original, []).action == "new"
        for i in range(2 * _CANDIDATE_LIMIT):  # boilerplate: one band key that many unrelated stories share
            values = random_values()
            values[:rows] = shared
            assert put(store, f"crowd{i}", values, []).action == "new"
        copy = original.copy()
        copy[:rows] = shared
        copy[-20:] = random_values()[-20:]
        seen: list[int] = []
        decision = put(store, "copy", copy, seen)
        assert seen == [_CANDIDATE_LIMIT]
        # the original shares the most keys with its copy: it is among the candidates however crowded a key is
        assert decision.duplicate_of == "original"
    finally:
        store.close()


def _decide_at_once(path: str, story_id: str, barrier: Barrier, results: Queue[tuple[str, str]]) -> None:
    store = SQLiteStateStore(path)
    try:
        barrier.wait(timeout=60)
        results.put((story_id, remember(store, story_id, WIRE).action))
    finally:
        store.close()


def test_processes_deciding_at_once_take_one_story_for_new(tmp_path: Path) -> None:
    """Three crawls meet one wire story at once: two under the same URL, one under another."""
    path = str(tmp_path / "state.db")
    SQLiteStateStore(path).close()
    ids = ("same", "same", "other")
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    barrier = context.Barrier(len(ids))
    results: Queue[tuple[str, str]] = context.Queue()
    workers = [context.Process(target=_decide_at_once, args=(path, i, barrier, results)) for i in ids]
    for worker in workers:
        worker.start()
    decided = sorted(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    actions = [action for _, action in decided]
    assert actions.count("new") == 1, decided
    winner = next(story_id for story_id, action in decided if action == "new")
    # the other URL repeats the winner's body; the same URL again is a re-crawl
    expected = {"same": {"unchanged"}, "other": {"duplicate"}} if winner == "same" else {"same": {"duplicate",
                                                                                                  "unchanged"}}
    assert all(action in expected.get(story_id, set()) for story_id, action in decided if action != "new"), decided
    store = SQLiteStateStore(path)
    try:
        assert store.story_count() == 1
    finally:
        store.close()


# --- quality on the labelled pairs ---------------------------------------------------------------------------------
def test_labelled_pairs_precision_and_recall() -> None:
    """Every pair through a fresh store, as a crawl sees it: story a, then story b under another URL."""
    stories = {s["id"]: s for s in map(json.loads, (PAIRS / "stories.jsonl").read_text("utf-8").splitlines())}
    pairs = [json.loads(line) for line in (PAIRS / "pairs.jsonl").read_text("utf-8").splitlines()]
    tp = fp = fn = 0
    for pair in pairs:
        store = SQLiteStateStore(":memory:")
        try:
            for side in ("a", "b"):
                s = stories[pair[side]]
                decision = remember(store, f"{pair['id']}-{side}", s["body"], s["language"], s["title"])
        finally:
            store.close()
        called = decision.action in ("duplicate", "near_duplicate")
        tp += called and pair["duplicate"]
        fp += called and not pair["duplicate"]
        fn += not called and pair["duplicate"]
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= 0.98, (precision, recall)
    assert recall >= 0.95, (precision, recall)


def test_permutations_come_from_the_cache_as_datasketch_made_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    expected = MinHash(num_perm=64, seed=7, scheme="affine32").permutations
    dedup._permutations.cache_clear()
    try:
        written = dedup._permutations(64, 7)  # built by datasketch, written to the cache
        (path,) = tmp_path.glob("minhash-affine32-64-7-datasketch-*.npy")
        dedup._permutations.cache_clear()
        read = dedup._permutations(64, 7)  # read from the cache
        for a, b in (written, read):
            assert a.dtype == b.dtype == np.uint32
            assert np.array_equal(a, expected[0])
            assert np.array_equal(b, expected[1])
        path.write_bytes(b"\x93NUMPY damaged")
        dedup._permutations.cache_clear()
        with caplog.at_level("WARNING", logger="crawler.cache"):
            again = dedup._permutations(64, 7)
        assert np.array_equal(again[0], expected[0])
        assert any(str(path) in r.getMessage() for r in caplog.records)
        assert not path.exists()  # rebuilt at next use
    finally:
        dedup._permutations.cache_clear()


def test_a_crawl_with_the_cache_never_imports_datasketch(tmp_path: Path) -> None:
    # datasketch brings scipy: 0.5 s of CPU at the start of every crawl that the cache saves
    script = ("import sys; from crawler.dedup import DedupConfig, fingerprint; "
              "fingerprint('The regulator blocked the app on Monday, officials said.', 'en', DedupConfig()); "
              "print('datasketch' in sys.modules)")
    env = {**os.environ, CACHE_DIR_ENV: str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True,
                           cwd=Path(__file__).parent.parent).stdout.split() for _ in range(2)]
    assert runs == [["True"], ["False"]]
