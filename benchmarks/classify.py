"""Classifier quality and cost on the labelled corpus (tests/taxonomy/corpus/*.jsonl).

Prints relevance precision/recall/F1 overall and per language, set-F1 of platforms, countries, actions and
authorities (macro over the articles labelled relevant), ms per article (on the corpus, and on long generated news
bodies of 1,000+ words like the crawl's), and the list of errors; one summary line last.
Usage: python benchmarks/classify.py [--corpus DIR] [--errors N] [--long N]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from crawler.classify import Classifier

FIELDS = ("platforms", "countries", "actions", "authorities")


def load(corpus: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted(corpus.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def set_f1(got: set[str], want: set[str]) -> float:
    if not got and not want:
        return 1.0
    tp = len(got & want)
    if tp == 0:
        return 0.0
    p, r = tp / len(got), tp / len(want)
    return 2 * p * r / (p + r)


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def long_bodies(count: int) -> list[tuple[str, str, str]]:
    """(title, body, description) of ``count`` generated news pages with bodies of 1,000 words or more (benchmarks/
    _newsweb.py, three relevant stories for one other)."""
    from _newsweb import _story  # noqa: PLC0415 - the generator is only needed here

    bodies, seed = [], 0
    while len(bodies) < count:
        seed += 1
        story = _story(random.Random(seed), seed % 4 != 3)
        body = "\n\n".join(story.paragraphs)
        if len(body.split()) >= 1000:
            bodies.append((story.title, body, story.description))
    return bodies


def time_long(classifier: Classifier, count: int, rounds: int = 3) -> list[float]:
    """ms per long body, the fastest of ``rounds`` passes over each (after one pass to warm the memos)."""
    bodies = long_bodies(count)
    best = [float("inf")] * len(bodies)
    for _ in range(rounds + 1):
        for i, (title, body, description) in enumerate(bodies):
            start = time.perf_counter()
            classifier.classify_text(title, body, description, "en")
            best[i] = min(best[i], (time.perf_counter() - start) * 1000)
    return sorted(best)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=REPO / "tests" / "taxonomy" / "corpus")
    parser.add_argument("--errors", type=int, default=60, help="how many errors to list")
    parser.add_argument("--long", type=int, default=100, help="how many long generated bodies to time (0: none)")
    args = parser.parse_args()
    articles = load(args.corpus)
    classifier = Classifier()
    classifier.classify_text("warm up", "warm up")
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    f1s: dict[str, list[float]] = defaultdict(list)
    times: list[float] = []
    errors: list[str] = []
    for article in articles:
        start = time.perf_counter()
        verdict = classifier.classify_text(article["title"], article["body"], language=article["language"])
        times.append((time.perf_counter() - start) * 1000)
        want, got = bool(article["relevant"]), verdict.relevant
        for key in ("all", article["language"]):
            c = counts[key]
            c[0] += want and got
            c[1] += got and not want
            c[2] += want and not got
        if want != got:
            errors.append(
                f"{article['id']:8} {'FN' if want else 'FP'} {verdict.relevance:.2f} [{article.get('kind')}] "
                f"{article['title'][:70]} | {(verdict.evidence or [''])[0][:120]}"
            )
        if want:
            for name in FIELDS:
                score = set_f1(set(getattr(verdict, name)), set(article[name]))
                f1s[name].append(score)
                if score < 1 and got:
                    errors.append(
                        f"{article['id']:8} {name}: got {sorted(getattr(verdict, name))} "
                        f"want {sorted(article[name])}"
                    )
    print(f"{'lang':6} {'n':>4} {'P':>6} {'R':>6} {'F1':>6}")
    for key in ["all", *sorted(k for k in counts if k != "all")]:
        tp, fp, fn = counts[key]
        n = sum(1 for a in articles if key in ("all", a["language"]))
        p, r, f = prf(tp, fp, fn)
        print(f"{key:6} {n:>4} {p:6.3f} {r:6.3f} {f:6.3f}")
    print()
    for name in FIELDS:
        print(f"set-F1 {name:12} {statistics.mean(f1s[name]):.3f}")
    times.sort()
    print(f"\nms per article: median {statistics.median(times):.2f}, p95 {times[int(len(times) * 0.95)]:.2f}")
    long_times = time_long(classifier, args.long) if args.long > 0 else []
    if long_times:
        print(
            f"ms per long generated article ({len(long_times)}, 1,000+ words): median "
            f"{statistics.median(long_times):.2f}, p95 {long_times[int(len(long_times) * 0.95)]:.2f}"
        )
    print(f"\n{len(errors)} errors:")
    for line in errors[: args.errors]:
        print("  " + line)
    p, r, f = prf(*counts["all"])
    print(
        f"\nSUMMARY articles={len(articles)} relevance P={p:.3f} R={r:.3f} F1={f:.3f} "
        + " ".join(f"{n}={statistics.mean(f1s[n]):.3f}" for n in FIELDS)
        + f" ms_median={statistics.median(times):.2f}"
        + (f" ms_long_median={statistics.median(long_times):.2f}" if long_times else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
