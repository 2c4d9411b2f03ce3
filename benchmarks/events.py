"""Event clustering quality on the labelled articles of tests/events/fixtures/ (pairwise precision/recall/F1).

    python benchmarks/events.py              # arrival order (the file's), date order, reversed, 20 shuffles
    python benchmarks/events.py --verbose    # and every labelled event split or merged

The fixture holds classified article records (tags as the classifier gives them, slips included) with a labelled
``event``: threats and their implementation, blocks and their lifting (late coverage arriving after it), the same
platform in two countries at once, blocks months apart, multi-platform orders whose articles name subsets.
Besides pairwise scores it checks each labelled event's status (announced / in force / lifted, read from the
predicted event holding most of its articles) and the expected links (``related_event_ids``).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawler.events.cluster import ClusterConfig, cluster
from crawler.events.model import ArticleRef, Event
from crawler.events.quality import PairScores, pairwise_scores

FIXTURES = REPO / "tests" / "events" / "fixtures"


def load() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    records = [json.loads(line) for line in (FIXTURES / "articles.jsonl").read_text(encoding="utf-8").splitlines()
               if line.strip()]
    expected = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
    return records, expected


def evaluate(records: list[dict[str, Any]], expected: dict[str, Any],
             config: ClusterConfig | None = None) -> tuple[PairScores, float, float, list[Event]]:
    """Pairwise scores, share of labelled events with the right status, share of expected links found."""
    events = cluster([ArticleRef.from_record(r) for r in records], config)
    predicted = {a: e.event_id for e in events for a in e.article_ids}
    labelled = {r["id"]: r["event"] for r in records}
    scores = pairwise_scores(labelled, predicted)
    by_id = {e.event_id: e for e in events}
    main: dict[str, Event] = {}
    for label in set(labelled.values()):
        votes = Counter(predicted[a] for a, lab in labelled.items() if lab == label and a in predicted)
        if votes:
            main[label] = by_id[votes.most_common(1)[0][0]]
    statuses = [main.get(label) is not None and main[label].status == status
                for label, status in expected["status"].items()]
    links = [a in main and b in main and main[b].event_id in main[a].related_event_ids for a, b in expected["links"]]
    return scores, sum(statuses) / len(statuses), sum(links) / len(links), events


def _explain(records: list[dict[str, Any]], events: list[Event]) -> None:
    predicted = {a: e.event_id for e in events for a in e.article_ids}
    labels: dict[str, set[str]] = {}
    for r in records:
        labels.setdefault(r["event"], set()).add(predicted.get(r["id"], "-"))
    for label, found in sorted(labels.items()):
        if len(found) > 1:
            print(f"  split:  {label} -> {len(found)} events")
    for event in events:
        owners = {r["event"] for r in records if r["id"] in event.article_ids}
        if len(owners) > 1:
            print(f"  merged: {', '.join(sorted(owners))} ({event.title[:50]})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--shuffles", type=int, default=20)
    args = parser.parse_args()
    records, expected = load()
    print(f"{len(records)} articles, {len({r['event'] for r in records})} labelled events "
          f"(window {ClusterConfig().window_days:g} days, links {ClusterConfig().link_days:g} days)\n")
    print(f"{'order':<16} {'events':>6} {'precision':>9} {'recall':>7} {'F1':>6} {'status':>7} {'links':>6}")
    orders = {
        "arrival": records,
        "date": sorted(records, key=lambda r: r["published"]),
        "reversed date": sorted(records, key=lambda r: r["published"], reverse=True),
    }
    for name, ordered in orders.items():
        started = time.perf_counter()
        scores, status, links, events = evaluate(ordered, expected)
        elapsed = (time.perf_counter() - started) * 1000
        print(f"{name:<16} {len(events):>6} {scores.precision:>9.3f} {scores.recall:>7.3f} {scores.f1:>6.3f} "
              f"{status:>7.2f} {links:>6.2f}   ({elapsed:.1f} ms)")
        if args.verbose:
            _explain(ordered, events)
    rng = random.Random(7)
    f1s, precisions, recalls = [], [], []
    for _ in range(args.shuffles):
        shuffled = records[:]
        rng.shuffle(shuffled)
        scores, *_ = evaluate(shuffled, expected)
        f1s.append(scores.f1)
        precisions.append(scores.precision)
        recalls.append(scores.recall)
    if f1s:
        print(f"{f'{args.shuffles} shuffles':<16} {'':>6} {statistics.mean(precisions):>9.3f} "
              f"{statistics.mean(recalls):>7.3f} {statistics.mean(f1s):>6.3f}   (mean; F1 min {min(f1s):.3f})")


if __name__ == "__main__":
    main()
