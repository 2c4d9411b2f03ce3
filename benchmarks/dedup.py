"""Dedup quality on the labelled story pairs, and the SQLite store's cost per story at scale.

    python benchmarks/dedup.py                       # pairs, then 10k, 100k and 1M stored stories
    python benchmarks/dedup.py --scale 10000,100000  # other store sizes
    python benchmarks/dedup.py --pairs-only

Quality runs the crawl's code path: for each pair of tests/dedup/pairs/, a fresh SQLite store remembers story a, then
story b under another canonical id; b counts as found a duplicate when the decision is duplicate or near_duplicate.
Scale builds a store of N synthetic stories (random MinHash values, their real band keys) in one transaction, then
times ``remember()`` (lookup, decision, insert, commit) for a sample of new stories, near-duplicates of stored ones and
re-crawls of stored ones. The last line sums it all up.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawler.dedup import (
    DedupConfig,
    Fingerprint,
    band_key_matrix,
    decide,
    fingerprint,
    jaccard,
    pack_signature,
    similarity,
    story_shingles,
)
from crawler.state.base import Decision, StoryState
from crawler.state.sqlite import SQLiteStateStore

PAIRS_DIR = REPO / "tests" / "dedup" / "pairs"
DUPLICATE_ACTIONS = frozenset({"duplicate", "near_duplicate"})
BUILD_CHUNK = 20_000


# --- quality -------------------------------------------------------------------------------------------------------
@dataclass
class PairResult:
    """The decision for story b of one labelled pair, after story a."""

    pair: dict[str, Any]
    action: str
    similarity: float
    jaccard: float
    candidate: bool
    """Whether story a was among the LSH candidates of story b."""

    @property
    def called_duplicate(self) -> bool:
        return self.action in DUPLICATE_ACTIONS


@dataclass
class Quality:
    """Pair precision/recall of near-duplicate detection."""

    results: list[PairResult] = field(default_factory=list)

    def count(self, predicted: bool, actual: bool) -> int:
        return sum(1 for r in self.results if r.called_duplicate == predicted and r.pair["duplicate"] == actual)

    @property
    def precision(self) -> float:
        tp, fp = self.count(True, True), self.count(True, False)
        return tp / (tp + fp) if tp + fp else 1.0

    @property
    def recall(self) -> float:
        tp, fn = self.count(True, True), self.count(False, True)
        return tp / (tp + fn) if tp + fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def story_state(story_id: str, story: dict[str, Any], config: DedupConfig) -> tuple[StoryState, Fingerprint]:
    """The StoryState and fingerprint of a labelled story, as the dedup pipeline builds them."""
    fp = fingerprint(story["body"], story["language"], config)
    now = time.time()
    state = StoryState(id=story_id, content_hash=fp.content_hash, signature=fp.signature, language=story["language"],
                       title=story["title"], url=story["url"], first_seen=now, last_seen=now)
    return state, fp


def remember(store: SQLiteStateStore, state: StoryState, fp: Fingerprint, config: DedupConfig) -> tuple[Decision, list[str]]:
    """store.remember() with the pipeline's decision; also returns the ids of the candidates it was shown."""
    seen: list[str] = []

    def decide_fn(existing: StoryState | None, owner: StoryState | None, candidates: list[StoryState]) -> Decision:
        seen.extend(c.id for c in candidates)
        return decide(state, fp, config, existing, owner, candidates)

    return store.remember(state.id, fp.content_hash, fp.bands, decide_fn), seen


def run_pairs(config: DedupConfig) -> Quality:
    """Every labelled pair through a fresh (in-memory) SQLite store: remember a, then b."""
    stories = {s["id"]: s for s in load_jsonl(PAIRS_DIR / "stories.jsonl")}
    quality = Quality()
    for pair in load_jsonl(PAIRS_DIR / "pairs.jsonl"):
        store = SQLiteStateStore(":memory:")
        try:
            a, fp_a = story_state(f"{pair['id']}-a", stories[pair["a"]], config)
            b, fp_b = story_state(f"{pair['id']}-b", stories[pair["b"]], config)
            remember(store, a, fp_a, config)
            decision, seen = remember(store, b, fp_b, config)
        finally:
            store.close()
        same_language = a.language == b.language
        quality.results.append(PairResult(
            pair, decision.action,
            similarity(fp_a.signature, fp_b.signature) if same_language else 0.0,
            jaccard(fp_a.signature, fp_b.signature) if same_language else 0.0,
            a.id in seen or decision.action == "duplicate",
        ))
    return quality


def print_quality(quality: Quality, config: DedupConfig) -> None:
    print(f"## Near-duplicate detection on {len(quality.results)} labelled pairs "
          f"(num_perm={config.num_perm}, bands={config.bands}x{config.band_rows}, shingle_size={config.shingle_size}, "
          f"threshold={config.threshold})")
    print(f"precision {quality.precision:.3f}  recall {quality.recall:.3f}  F1 {quality.f1:.3f}  "
          f"(TP {quality.count(True, True)}, FP {quality.count(True, False)}, FN {quality.count(False, True)}, "
          f"TN {quality.count(False, False)})")
    duplicates = [r for r in quality.results if r.pair["duplicate"]]
    found = sum(r.candidate for r in duplicates)
    print(f"LSH candidate recall on duplicate pairs: {found}/{len(duplicates)} = {found / len(duplicates):.3f}")
    by_kind: dict[str, list[PairResult]] = defaultdict(list)
    for r in quality.results:
        by_kind[r.pair["kind"]].append(r)
    print()
    print("| kind | duplicate? | pairs | called duplicate | similarity min / median / max |")
    print("|---|---|---|---|---|")
    for kind, results in sorted(by_kind.items(), key=lambda kv: (not kv[1][0].pair["duplicate"], kv[0])):
        sims = sorted(r.similarity for r in results)
        called = sum(r.called_duplicate for r in results)
        print(f"| {kind} | {'yes' if results[0].pair['duplicate'] else 'no'} | {len(results)} | "
              f"{called / len(results):.0%} | {sims[0]:.2f} / {statistics.median(sims):.2f} / {sims[-1]:.2f} |")
    errors = [r for r in quality.results if r.called_duplicate != r.pair["duplicate"]]
    print()
    print(f"Errors ({len(errors)}):" if errors else "Errors: none")
    for r in errors:
        what = "false duplicate" if r.called_duplicate else "missed duplicate"
        print(f"  {r.pair['id']} {r.pair['kind']:<16} {what:<16} similarity {r.similarity:.3f} "
              f"(Jaccard {r.jaccard:.3f}, candidate {'yes' if r.candidate else 'no'}) {r.action}")


def false_candidates(config: DedupConfig) -> tuple[int, int, float]:
    """Same-language labelled stories that no pair links (different events): how many such pairs, how many share a
    band key, and the chance that two of them do from their exact shingle Jaccard, 1 - (1 - J^rows)^bands."""
    stories = {s["id"]: s for s in load_jsonl(PAIRS_DIR / "stories.jsonl")}
    group = {story_id: story_id for story_id in stories}

    def root(x: str) -> str:
        while group[x] != x:
            x = group[x]
        return x

    for pair in load_jsonl(PAIRS_DIR / "pairs.jsonl"):
        group[root(pair["a"])] = root(pair["b"])
    fps = {i: fingerprint(s["body"], s["language"], config) for i, s in stories.items()}
    sets = {i: set(story_shingles(s["body"], s["language"], config.shingle_size).tolist()) for i, s in stories.items()}
    ids = sorted(stories)
    pairs = sharing = 0
    chance = 0.0
    for x, a in enumerate(ids):
        for b in ids[x + 1 :]:
            if stories[a]["language"] != stories[b]["language"] or root(a) == root(b):
                continue
            pairs += 1
            sharing += bool(set(fps[a].bands) & set(fps[b].bands))
            j = len(sets[a] & sets[b]) / max(1, len(sets[a] | sets[b]))
            chance += 1 - (1 - j**config.band_rows) ** config.bands
    return pairs, sharing, chance / max(1, pairs)


def fingerprint_cost(config: DedupConfig) -> float:
    """Median milliseconds of fingerprint() over the labelled stories."""
    stories = load_jsonl(PAIRS_DIR / "stories.jsonl")
    fingerprint(stories[0]["body"], stories[0]["language"], config)
    times = []
    for s in stories:
        start = time.perf_counter()
        fingerprint(s["body"], s["language"], config)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


# --- scale ---------------------------------------------------------------------------------------------------------
@dataclass
class ScaleResult:
    """remember() cost and state size at one store size."""

    stories: int
    build_seconds: float
    median_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    by_kind: dict[str, float]
    """Median milliseconds by SAMPLE_KINDS."""
    unrelated: float
    """Mean number of candidates a "new+unrelated" story was shown."""
    bytes_per_story: float
    actions: Counter[str]
    sustained_ms: float = 0.0
    """Wall time of the timed sample, from its first call until the store is closed (its checkpoints all done),
    a story: what the store costs a crawl over time, checkpoints included."""


def _ids(rng: np.random.Generator, n: int) -> list[str]:
    return [f"{v:016x}" for v in rng.integers(0, 1 << 63, size=n, dtype=np.int64)]


def _signed(keys: np.ndarray) -> np.ndarray:
    return keys.view(np.int64)


def build_store(path: Path, n: int, config: DedupConfig, rng: np.random.Generator,
                keep: np.ndarray) -> tuple[list[str], dict[int, np.ndarray]]:
    """A store of ``n`` synthetic English stories, written sorted in one transaction; returns their ids and the
    MinHash values of the stories at the indexes ``keep`` (targets for near-duplicates)."""
    SQLiteStateStore(path).close()  # the schema, as a crawl creates it
    ids = sorted(set(_ids(rng, n + n // 100)))[:n]
    order = rng.permutation(n)  # stories are not stored in id order: their signatures are independent of it
    keys = np.empty((n, config.bands), dtype=np.uint64)
    kept: dict[int, np.ndarray] = {}
    keep_set = set(keep.tolist())
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-1048576")
    db.execute("BEGIN")
    title = "Regulator restricts access to a messaging app after protests, users and monitors say"
    for start in range(0, n, BUILD_CHUNK):
        stop = min(n, start + BUILD_CHUNK)
        values = rng.integers(0, 1 << 32, size=(stop - start, config.num_perm), dtype=np.uint64).astype(np.uint32)
        counts = rng.integers(80, 400, size=stop - start)
        keys[start:stop] = band_key_matrix(values, config.bands, "en", config.band_rows)
        rows = []
        for i in range(start, stop):
            if i in keep_set:
                kept[i] = values[i - start].copy()
            story_id = ids[i]
            rows.append((story_id, hashlib.sha256(story_id.encode()).hexdigest(), 1,
                         pack_signature(values[i - start], int(counts[i - start])), "en", title,
                         f"https://news-{order[i] % 997}.example/2026/03/{story_id}", 1.7e9, 1.7e9))
        db.executemany("INSERT INTO stories (id, content_hash, version, signature, language, title, url, first_seen, "
                       "last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    hashes = sorted((hashlib.sha256(i.encode()).hexdigest(), i) for i in ids)
    db.executemany("INSERT INTO content_hashes (hash, story_id) VALUES (?, ?)", hashes)
    del hashes
    flat = _signed(keys.reshape(-1))
    owners = np.repeat(np.arange(n, dtype=np.int64), config.bands)
    sort = np.lexsort((owners, flat))  # (band, story_id) order; ids are sorted, so index order is id order
    del keys
    for start in range(0, len(sort), BUILD_CHUNK * 16):
        chunk = sort[start : start + BUILD_CHUNK * 16]
        db.executemany("INSERT OR IGNORE INTO bands (band, story_id) VALUES (?, ?)",
                       zip(flat[chunk].tolist(), [ids[j] for j in owners[chunk].tolist()], strict=True))
    db.execute("COMMIT")
    db.execute("PRAGMA journal_mode=WAL")
    db.close()
    return ids, kept


SAMPLE_KINDS = ("new", "new", "new", "new+unrelated", "new+unrelated", "new+unrelated",
                "near_duplicate", "near_duplicate", "near_duplicate", "re-crawl")
"""Every 10 sampled stories: 3 new, 3 new sharing band keys with unrelated stored stories, 3 near-duplicates of stored
stories under new ids, 1 unchanged re-crawl of a stored story."""


def sample_stories(n_sample: int, ids: list[str], kept: dict[int, np.ndarray], config: DedupConfig,
                   rng: np.random.Generator, unrelated: float = 0.0,
                   prefix: str = "") -> list[tuple[str, StoryState, Fingerprint]]:
    """(kind, story, fingerprint) of SAMPLE_KINDS. A "new+unrelated" story shares one band (not its text) with each of
    Poisson(``unrelated``) stored stories, at most bands - 1: the unrelated candidates a store of real stories hands
    the decision."""
    rows = config.band_rows
    targets = list(kept.items())
    out = []
    for k in range(n_sample):
        kind = SAMPLE_KINDS[k % len(SAMPLE_KINDS)]
        if kind.startswith("new"):
            values = rng.integers(0, 1 << 32, size=config.num_perm, dtype=np.uint64).astype(np.uint32)
            shared = min(config.bands - 1, len(targets), int(rng.poisson(unrelated))) if kind != "new" else 0
            for band, pick in enumerate(rng.choice(len(targets), size=shared, replace=False)):
                values[band * rows : (band + 1) * rows] = targets[pick][1][band * rows : (band + 1) * rows]
            story_id = f"{prefix}new{k:013x}"
        elif kind == "near_duplicate":  # 10-35% of the MinHash values differ
            index, original = targets[k % len(targets)]
            values = original.copy()
            changed = rng.random(config.num_perm) < rng.uniform(0.10, 0.35)
            values[changed] = rng.integers(0, 1 << 32, size=int(changed.sum()), dtype=np.uint64).astype(np.uint32)
            story_id = f"{prefix}dup{k:013x}"
        else:  # re-crawl of a stored story, unchanged
            index, original = targets[k % len(targets)]
            story_id = ids[index]
            values = original
        content_hash = hashlib.sha256(story_id.encode()).hexdigest()
        bands = band_key_matrix(values.reshape(1, -1), config.bands, "en", config.band_rows)[0]
        fp = Fingerprint(content_hash, pack_signature(values, 200), [int(x) for x in bands])
        state = StoryState(id=story_id, content_hash=content_hash, signature=fp.signature, language="en",
                           title="A story", url=f"https://other.example/{story_id}", first_seen=1.8e9, last_seen=1.8e9)
        out.append((kind, state, fp))
    return out


def run_scale(n: int, n_sample: int, config: DedupConfig, workdir: Path, seed: int,
              false_rate: float) -> ScaleResult:
    """Build a store of ``n`` stories, then time remember() for ``n_sample`` stories (``false_rate`` * n unrelated
    candidates for each new one)."""
    rng = np.random.default_rng(seed)
    path = workdir / f"scale-{n}.db"
    keep = rng.choice(n, size=min(n, max(1, n_sample // 2)), replace=False)
    start = time.perf_counter()
    ids, kept = build_store(path, n, config, rng, keep)
    build = time.perf_counter() - start
    sample = sample_stories(n_sample, ids, kept, config, rng, false_rate * n)
    warm_up = sample_stories(20, ids, kept, config, rng, prefix="warm")
    store = SQLiteStateStore(path)
    times: list[float] = []
    by_kind: dict[str, list[float]] = defaultdict(list)
    actions: Counter[str] = Counter()
    candidates: list[int] = []
    try:
        for _, state, fp in warm_up:  # statement cache and first pages: not timed
            remember(store, state, fp, config)
        sample_start = time.perf_counter()
        for kind, state, fp in sample:
            seen: list[int] = []

            def decide_fn(existing: StoryState | None, owner: StoryState | None, found: list[StoryState],
                          s: StoryState = state, f: Fingerprint = fp, seen: list[int] = seen) -> Decision:
                seen.append(len(found))
                return decide(s, f, config, existing, owner, found)

            t0 = time.perf_counter()
            decision = store.remember(state.id, fp.content_hash, fp.bands, decide_fn)
            elapsed = time.perf_counter() - t0
            times.append(elapsed)
            by_kind[kind].append(elapsed)
            actions[f"{kind}->{decision.action}"] += 1
            if kind == "new+unrelated":
                candidates.extend(seen)
        stored = store.story_count()
    finally:
        store.close()
    sustained = (time.perf_counter() - sample_start) / len(sample)
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    size = sum(f.stat().st_size for f in (path, Path(f"{path}-wal")) if f.exists())
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    times.sort()
    return ScaleResult(n, build, statistics.median(times) * 1000, times[int(0.99 * (len(times) - 1))] * 1000,
                       statistics.mean(times) * 1000,
                       max(times) * 1000, {k: statistics.median(by_kind[k]) * 1000 for k in dict.fromkeys(SAMPLE_KINDS)},
                       statistics.mean(candidates) if candidates else 0.0, size / stored, actions, sustained * 1000)


def print_scale(results: list[ScaleResult], n_sample: int) -> None:
    print(f"## SQLite remember() (lookup + decision + insert + commit), {n_sample} stories a store size")
    kinds = list(dict.fromkeys(SAMPLE_KINDS))
    print(f"| stored stories | build s | median ms | p99 ms | mean ms | max ms | wall ms incl. checkpoints | "
          f"{' | '.join(f'{k} median ms' for k in kinds)} | unrelated candidates | bytes / story |")
    print("|---" * (9 + len(kinds)) + "|")
    for r in results:
        print(f"| {r.stories:,} | {r.build_seconds:.0f} | {r.median_ms:.3f} | {r.p99_ms:.3f} | {r.mean_ms:.3f} | "
              f"{r.max_ms:.0f} | {r.sustained_ms:.3f} | {' | '.join(f'{r.by_kind[k]:.3f}' for k in kinds)} | "
              f"{r.unrelated:.1f} | {r.bytes_per_story:,.0f} |")
    for r in results:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(r.actions.items()))
        print(f"{r.stories:,}: sampled kind->decision: {outcomes}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="10000,100000,1000000", help="comma-separated store sizes")
    parser.add_argument("--sample", type=int, default=1000, help="stories timed per store size")
    parser.add_argument("--pairs-only", action="store_true", help="only the labelled pairs")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)
    config = DedupConfig()
    print(f"# blockradar dedup benchmark: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, load average {os.getloadavg()[0]:.1f} "
          f"at the start")
    workdir = Path(tempfile.mkdtemp(prefix="blockradar-dedup-"))
    try:
        quality = run_pairs(config)
        print_quality(quality, config)
        pairs, sharing, false_rate = false_candidates(config)
        print(f"Unrelated same-language stories sharing a band key: {sharing} of {pairs} pairs; expected from their "
              f"shingle Jaccard: {false_rate:.1e} a pair, so {false_rate * 1e6:.0f} unrelated candidates a lookup "
              f"among 1M stories like these")
        fp_ms = fingerprint_cost(config)
        print(f"\nfingerprint(): median {fp_ms:.2f} ms a story body")
        scale: list[ScaleResult] = []
        if not args.pairs_only:
            print()
            sizes = [int(x) for x in args.scale.split(",") if x.strip()]
            scale = [run_scale(n, args.sample, config, workdir, args.seed, false_rate) for n in sizes]
            print_scale(scale, args.sample)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    summary = (f"SUMMARY pairs precision {quality.precision:.3f} recall {quality.recall:.3f} F1 {quality.f1:.3f}; "
               f"fingerprint {fp_ms:.2f} ms")
    if scale:
        summary += "; remember() " + ", ".join(
            f"{r.stories:,}: median {r.median_ms:.3f} ms p99 {r.p99_ms:.3f} ms mean {r.mean_ms:.3f} ms "
            f"wall {r.sustained_ms:.3f} ms "
            f"{r.bytes_per_story:,.0f} B/story"
            for r in scale)
    print()
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
