"""Clustering quality: pairwise precision and recall of event membership (benchmarks/events.py, tests/events/).

Every pair of articles is either in one event or not, in the labels and in the output. Precision is the share of
pairs put together that belong together; recall the share of pairs belonging together that were put together.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True)
class PairScores:
    """Pairwise scores, with the pair counts they come from."""

    precision: float
    recall: float
    together_predicted: int
    together_labelled: int
    together_both: int

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def _pairs(counts: Counter[object]) -> int:
    return sum(n * (n - 1) // 2 for n in counts.values())


def pairwise_scores(labelled: Mapping[str, str], predicted: Mapping[str, str]) -> PairScores:
    """Scores of ``predicted`` (article id -> event id) against ``labelled`` (article id -> label), over the
    articles of ``labelled`` (one missing from ``predicted`` is an event of its own)."""
    ids = list(labelled)
    guess = {i: predicted.get(i, f"missing:{i}") for i in ids}
    both = _pairs(Counter((labelled[i], guess[i]) for i in ids))
    together_labelled = _pairs(Counter(labelled[i] for i in ids))
    together_predicted = _pairs(Counter(guess[i] for i in ids))
    return PairScores(
        precision=both / together_predicted if together_predicted else 1.0,
        recall=both / together_labelled if together_labelled else 1.0,
        together_predicted=together_predicted, together_labelled=together_labelled, together_both=both,
    )
