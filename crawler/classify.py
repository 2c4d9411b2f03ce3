"""Is an article about a state restriction of an online platform? Which platform, state, action and authority?

An explainable, sentence-level rule classifier over the taxonomy (crawler/taxonomy/):

1. boilerplate is cut out (Russian media's 'Meta is recognized as extremist' clause, 'follow us on Telegram' ...);
2. each sentence is scanned once per vocabulary: platforms (or internet access), action words, state actors
   (named authorities, generic words such as 'government' or 'суд', country names), and negative senses
   (blockchain, trade blockade, outage, a company banning accounts);
3. a sentence is evidence when a target and an action meet in it, with a state actor in it, next to it or in the
   title, and no negative sense explains the action word away;
4. relevance grows with the strength and number of evidence sentences (the title counts double); the tags are
   read from the evidence sentences, and the acting state is the one of the authorities there, else the country
   named most often there.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crawler.taxonomy import Hit, Taxonomy, load_taxonomy

if TYPE_CHECKING:
    from crawler.items import Article

_SENTENCE_RE = re.compile(r"(?<=[.!?؟。])[\"'»”)]*\s+|\n+")
_MAX_CHARS = 20_000
# Actions that an internet word alone can be the target of ('the internet was shut down').
_INTERNET_ACTIONS = frozenset({"shutdown", "block", "throttle", "unblock"})
_EVIDENCE_LIMIT = 5


@dataclass
class SentenceSignals:
    """What one sentence says."""

    text: str
    platforms: set[str] = field(default_factory=set)
    internet: bool = False
    actions: set[str] = field(default_factory=set)
    authorities: set[str] = field(default_factory=set)
    countries: list[str] = field(default_factory=list)
    state: bool = False
    negatives: set[str] = field(default_factory=set)

    @property
    def target(self) -> bool:
        return bool(self.platforms) or (self.internet and bool(self.actions & _INTERNET_ACTIONS))

    @property
    def actor(self) -> bool:
        return self.state or bool(self.authorities) or bool(self.countries)


@dataclass
class Classification:
    """The classifier's verdict on one article."""

    relevance: float
    platforms: list[str]
    countries: list[str]
    actions: list[str]
    authorities: list[str]
    evidence: list[str]

    threshold: float = 0.5

    @property
    def relevant(self) -> bool:
        return self.relevance >= self.threshold


def _overlaps(hit: Hit, others: list[Hit]) -> bool:
    return any(hit.start < o.end and o.start < hit.end for o in others)


class Classifier:
    """Classifies articles with a compiled taxonomy (``Classifier()`` uses the shipped one)."""

    def __init__(self, taxonomy: Taxonomy | None = None, threshold: float = 0.5) -> None:
        self.tx = taxonomy or load_taxonomy()
        self.threshold = threshold

    # --- sentence level ---------------------------------------------------------------------------------
    def strip_boilerplate(self, text: str) -> str:
        for pattern in self.tx.boilerplate:
            text = pattern.sub(" ", text)
        return text

    def _platforms(self, sentence: str, lowered: str) -> set[str]:
        found = {h.label for m in self.tx.platforms for h in m.hits(sentence)}
        if self.tx.context.labels_in(lowered):
            found |= {h.label for m in self.tx.platforms_contextual for h in m.hits(sentence)}
        found.discard("internet")
        return found

    def signals(self, sentence: str) -> SentenceSignals:
        """Read one sentence."""
        lowered = sentence.replace("İ", "I")
        signals = SentenceSignals(text=sentence)
        action_hits = self.tx.actions.hits(lowered)
        if not action_hits and not self.tx.restrict:
            return signals
        restrict_hits = self.tx.restrict.hits(lowered)
        if not action_hits and not restrict_hits:
            return signals
        negatives = self.tx.negatives.hits(lowered)
        signals.negatives = {h.label for h in negatives}
        # A word-sense match ('blockchain', 'trade blockade') explains away the action words it overlaps.
        action_hits = [h for h in action_hits if not _overlaps(h, negatives)]
        # 'lifted the ban' is an unblock, not a block; 'threatened to block' is a threat, not a block.
        unblocks = [h for h in action_hits if h.label == "unblock"]
        action_hits = [h for h in action_hits if not (h.label == "block" and _overlaps(h, unblocks))]
        signals.actions = {h.label for h in action_hits}
        if "threat" in signals.actions:
            signals.actions.discard("block")
        if restrict_hits:
            signals.actions.add("feature_restriction" if self.tx.features.hits(lowered) else "block")
        signals.platforms = self._platforms(sentence, lowered)
        signals.internet = bool(self.tx.internet.hits(lowered)) or "shutdown" in signals.actions
        signals.authorities = self.tx.authorities.labels_in(lowered)
        signals.countries = [h.label for h in self.tx.countries.hits(lowered)]
        signals.state = bool(self.tx.state_actors.hits(lowered))
        return signals

    # --- document level ---------------------------------------------------------------------------------
    def classify_text(self, title: str, body: str, description: str = "") -> Classification:
        """Classify an article given its text."""
        text = self.strip_boilerplate(f"{title}\n{description}\n{body}"[:_MAX_CHARS])
        sentences = [s.strip() for s in _SENTENCE_RE.split(text) if len(s.strip()) > 3]
        title_key = " ".join(title.split())
        read = [self.signals(s) for s in sentences]
        title_signals = next((r for r in read if " ".join(r.text.split()) == title_key), None)
        title_actor = title_signals.actor if title_signals else False
        doc_actor = any(r.actor for r in read if r.target or r.actions)

        scored: list[tuple[float, int, SentenceSignals]] = []
        for index, sig in enumerate(read):
            if not (sig.target and sig.actions):
                continue
            negative = sig.negatives - {"negative:word_sense"}
            if negative and not (sig.authorities or sig.state):
                continue  # an outage or a company's own decision, no state in sight
            near = read[max(0, index - 1) : index + 2]
            if sig.actor:
                strength = 1.0
            elif any(n.actor for n in near) or title_actor:
                strength = 0.75
            elif doc_actor:
                strength = 0.55
            else:
                strength = 0.35
            if sig is title_signals:
                strength = min(1.0, strength * 1.2)
            scored.append((strength, index, sig))

        if not scored:
            return Classification(0.0, [], [], [], [], [], self.threshold)
        scored.sort(key=lambda t: (-t[0], t[1]))
        best = scored[0][0]
        support = sum(s for s, _, _ in scored[1:4]) * 0.1
        relevance = round(min(1.0, best * 0.85 + support), 3)
        evidence = [sig for strength, _, sig in scored if strength >= 0.5 or strength == best][:_EVIDENCE_LIMIT]
        return self._tags(relevance, evidence, read)

    def _tags(self, relevance: float, evidence: list[SentenceSignals], read: list[SentenceSignals]) -> Classification:
        platforms = Counter(p for sig in evidence for p in sig.platforms)
        actions = Counter(a for sig in evidence for a in sig.actions)
        authorities = Counter(a for sig in evidence for a in sig.authorities)
        countries = Counter(
            self.tx.authority_info[a].country for a in authorities if a in self.tx.authority_info
        )
        if not countries:
            countries = Counter(c for sig in evidence for c in sig.countries)
        acting = [c for c, n in countries.most_common() if n == countries.most_common(1)[0][1]] if countries else []
        return Classification(
            threshold=self.threshold,
            relevance=relevance,
            platforms=sorted(platforms),
            countries=sorted(acting),
            actions=sorted(actions),
            authorities=sorted(authorities),
            evidence=[" ".join(sig.text.split())[:300] for sig in evidence],
        )

    def classify(self, article: Article) -> Classification:
        return self.classify_text(article.title, article.body, article.description)


def apply(article: Article, verdict: Classification) -> Article:
    """Copy a verdict onto the article's output fields."""
    article.relevance = verdict.relevance
    article.platforms = verdict.platforms
    article.countries = verdict.countries
    article.actions = verdict.actions
    article.authorities = verdict.authorities
    article.evidence = verdict.evidence
    return article
