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
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from operator import add, attrgetter, itemgetter
from typing import TYPE_CHECKING

from crawler.taxonomy import Authority, Hit, Taxonomy, fold, has_cjk, load_taxonomy, split_starts, split_words

if TYPE_CHECKING:
    from collections.abc import Iterable

    from crawler.items import Article
    from crawler.taxonomy import Boilerplate

# A sentence ends at a line break, or at '.', '!', '?' followed by closing quotes or brackets and a space (those
# belong to neither sentence). The pattern starts with a character class, so that the regex engine skips to the
# candidate characters at C speed; the look-behind is tried only there.
_SENTENCE_RE = re.compile(r"[.!?؟。\n](?:(?<=\n)\n*|[\"'»”’)]*\s+)")


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where the sentences of ``text`` are (the same for its folded form: folding keeps offsets)."""
    spans, start = [], 0
    for match in _SENTENCE_RE.finditer(text):
        at = match.start()
        spans.append((start, at + (text[at] != "\n")))  # the final punctuation belongs to the sentence
        start = match.end()
    spans.append((start, len(text)))
    return spans


_MAX_CHARS = 20_000
_PARAGRAPH_SEARCH = 3_000
_new_tuple = tuple.__new__
# Actions that an internet word alone can be the target of ('the internet was shut down').
_INTERNET_ACTIONS = frozenset({"shutdown", "block", "throttle", "unblock"})
_EVIDENCE_LIMIT = 5
# The categories of the combined matcher that can make a sentence report an action (see ``Classifier._read``).
_ACTION_CATEGORIES = frozenset({"actions", "restrict", "store_removal", "deadline"})
# The categories ``Classifier._named`` reads.
_NAMED_CATEGORIES = frozenset({"authorities", "local", "countries", "negatives", "background", "judicial", "followup"})


# Word order: in these languages the verb comes last and the subject rule below does not apply.
_VERB_FINAL = frozenset({"tr", "fa", "ja", "ko", "hi", "ur", "az", "uz", "kk"})
_VERB_ACTIONS = frozenset({"block", "unblock", "throttle", "shutdown", "app_store_removal"})
_PASSIVE_MARKERS = frozenset(
    "was were is are been be being get gets got был была было были будет wurde wurden wird ist foi foram fue fueron "
    "est sont été a é".split()
)
# Russian and Ukrainian passive participles ('заблокирован', 'заблоковано') are not a company acting.
_PASSIVE_ENDINGS = (
    "ан",
    "ен",
    "ён",
    "ана",
    "ена",
    "ано",
    "ено",
    "аны",
    "ены",
    "ний",
    "ная",
    "ний",
    "на",
    "но",
    "ні",
)
# Nor are Romance past participles in headlines without an auxiliary ('Facebook et TikTok restreints',
# 'WhatsApp bloqueado').
_PARTICIPLE_ENDINGS = {
    "fr": (
        "é",
        "ée",
        "és",
        "ées",
        "u",
        "ue",
        "us",
        "ues",
        "int",
        "ints",
        "inte",
        "intes",
        "it",
        "its",
        "ite",
        "ites",
    ),
    "es": ("ado", "ada", "ados", "adas", "ido", "ida", "idos", "idas"),
    "pt": ("ado", "ada", "ados", "adas", "ido", "ida", "idos", "idas"),
}

# Perfect auxiliaries of the languages that put the participle last ('hat ... gesperrt').
_PERFECT_AUXILIARIES = {"de": frozenset({"hat", "haben", "hatte", "hatten", "habe"})}

# Actions that, in the lead of a story, carry the generic 'block' words around them.
_SUPERSEDE_BLOCK = frozenset({"unblock", "throttle", "shutdown", "app_store_removal", "feature_restriction"})

# Action words that are evidence only close to their platform ('a bill to ban TikTok', 'fined Telegram').
_WEAK_ACTIONS = frozenset({"legal_action", "threat"})
_REACH, _WEAK_REACH, _INTERNET_REACH = 12, 4, 4
# Sentences after the title and the first few ones are often background ('Telegram was blocked in 2018').
_LEAD_SENTENCES, _BACKGROUND_WEIGHT = 5, 0.75
# App stores named as platforms: where an app is removed from, not what is restricted ('pulled from Google Play').
_STORES = frozenset({"App Store", "Google Play"})
_STORE_REACH = 6
# A law named at most this many words after 'under', 'according to', 'violating' ... is the ground of an action.
_BASIS_REACH = 2
# A threat word this close before a restriction verb says it is threatened ('amenaza con bloquearla').
_THREAT_LINK = 2
# Actions a court's part in a lead sentence makes `legal_action` too (a court-ordered block, lifting, ultimatum).
_COURT_ACTIONS = frozenset(
    {"block", "unblock", "throttle", "feature_restriction", "app_store_removal", "registry_removal", "threat"}
)
# An age limit this close to a block word limits the restriction to it ('bans TikTok and Instagram for children under
# 16'). The age phrases name an age ('under 16'), rarely said of anything else, so the reach can be a clause.
_AGE_REACH = 8
_COURT_NAME_RE = re.compile(r"court|judgeship|tribunal|judiciary|judicial", re.IGNORECASE)


_first = itemgetter(0)
_second = itemgetter(1)
_authorities_of = attrgetter("authorities")
_local_authorities_of = attrgetter("local_authorities")


class _TokenIndex(dict[int, int]):
    """Token positions of character offsets, for distances between hits (``starts``: where the words start).

    ``index[offset]`` is the word position of ``offset`` (numbers not counted), remembered: the distances between a
    sentence's hits look the same few offsets up again and again, a dictionary look-up at C speed after the first."""

    __slots__ = ("_rank", "_ranked", "starts", "words")

    def __init__(self, starts: list[int], words: list[str]) -> None:
        self.starts = starts
        self.words = words
        # The word position of each token, worked out on first use (most sentences that have an index measure no
        # distance): numbers do not count as words between two hits ('a fine of 10 million roubles on Telegram').
        # None: there are none, positions are token indexes.
        self._rank: list[int] | None = None
        self._ranked = False

    def __missing__(self, offset: int) -> int:
        if not self._ranked:
            self._ranked = True
            if any(map(str.isdigit, map(_first, self.words))):
                rank, count = [], 0
                for word in self.words:
                    rank.append(count)
                    count += not word.isdigit()
                self._rank = rank
        at = self.token(offset)
        position = self[offset] = at if self._rank is None else self._rank[at]
        return position

    def token(self, offset: int) -> int:
        """The index of the token at ``offset``."""
        return max(0, bisect_right(self.starts, offset) - 1)

    def distance(self, a: Hit, b: Hit) -> int:
        """Words between two hits (0 when they touch or overlap)."""
        a0, a1, b0, b1 = self[a.start], self[a.end - 1], self[b.start], self[b.end - 1]
        return max(0, max(a0, b0) - min(a1, b1) - 1)

    def gap(self, first: Hit, second: Hit) -> int:
        """Words from the end of ``first`` to the start of ``second``; negative when ``second`` comes first."""
        return self[second.start] - self[first.end - 1] - 1


@dataclass(slots=True)
class SentenceSignals:
    """What one sentence says."""

    text: str
    platforms: set[str] = field(default_factory=set)
    internet: bool = False
    actions: set[str] = field(default_factory=set)
    authorities: set[str] = field(default_factory=set)
    local_authorities: set[str] = field(default_factory=set)
    """Authorities named by a name that is theirs only in a story about their country ('the interior ministry')."""
    countries: list[str] = field(default_factory=list)
    state: bool = False
    country_actor: bool = False
    generic: bool = False
    """The action falls on platforms named generically ('social media', 'мессенджеры')."""
    located: bool = False
    """A country is named in the sentence (where it happens), not necessarily as the actor."""
    background: bool = False
    """The sentence recalls something earlier ('had already blocked', 'ранее', 'rappelant')."""
    platform_actions: set[str] = field(default_factory=set)
    """The actions that fall on a named platform (not on internet access or platforms in general)."""
    negatives: set[str] = field(default_factory=set)
    judicial: bool = False
    """A court or judge is named: what the sentence reports was decided in court (`legal_action` too)."""
    followup: bool = False
    """The sentence opens with a later step of the story ('By Monday', 'Dias depois'): not background."""
    stores: bool = False
    """Apps were removed from an app store named in the sentence (the store is the place, not the target)."""

    @property
    def target(self) -> bool:
        return (
            bool(self.platforms)
            or self.generic
            or self.stores
            or (self.internet and bool(self.actions & _INTERNET_ACTIONS))
        )

    @property
    def actor(self) -> bool:
        return self.state or bool(self.authorities) or self.country_actor


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


def _is_government(authority: Authority) -> bool:
    """A whole government ('Government of Venezuela'), not one of its bodies or its head."""
    return authority.kind == "head_of_state_or_government" and "government" in authority.name.lower()


def _overlaps(hit: Hit, others: Iterable[Hit]) -> bool:
    return any(hit.start < o.end and o.start < hit.end for o in others)


class _Labels(dict[str, tuple[str, str]]):
    """A matcher label's category and name ('platforms|Telegram' -> ('platforms', 'Telegram')), split on first use
    and remembered (labels are a fixed vocabulary): ``map(labels.__getitem__, ...)`` splits a text's hits at C
    speed."""

    def __missing__(self, label: str) -> tuple[str, str]:
        category, _, name = label.partition("|")
        parts = self[label] = (category, name)
        return parts


class Classifier:
    """Classifies articles with a compiled taxonomy (``Classifier()`` uses the shipped one)."""

    def __init__(self, taxonomy: Taxonomy | None = None, threshold: float = 0.5) -> None:
        self.tx = taxonomy or load_taxonomy()
        self.threshold = threshold
        self._labels = _Labels()
        self._courts = frozenset(
            name
            for name, info in self.tx.authority_info.items()
            if info.kind == "court_or_prosecutor" and _COURT_NAME_RE.search(name)
        )
        # The folded words a sentence must have one of to name a platform by a case-sensitive alias ('X', 'Signal'): the
        # folded form of the alias's first word (folding goes letter by letter; only a capital sigma's lowercase
        # depends on the letters around it). None: unknown, the aliases are always searched.
        first_words = self.tx.cased.first_words()
        self._cased_words = (
            frozenset(map(fold, first_words))
            if first_words is not None and not any("Σ" in word for word in first_words)
            else None
        )

    # --- sentence level ---------------------------------------------------------------------------------
    def strip_boilerplate(self, text: str) -> str:
        return self._strip(text)[0]

    def _strip(self, text: str) -> tuple[str, str | None]:
        """``text`` without boilerplate, and its folded form (None when folding changed offsets)."""
        text, lowered, _ = self._strip_split(text)
        return text, lowered

    def _strip_split(
        self, text: str
    ) -> tuple[str, str | None, tuple[list[str], list[int]] | None]:
        """``_strip``, and the words of the folded text (``split_starts``) when it has them at hand: the words of
        the whole text, split once, tell which boilerplate patterns may match (and are the words to classify when
        none does)."""
        lowered = fold(text)
        same = len(lowered) == len(text)
        if not same:  # lowercasing changed offsets (rare letters): match on the original
            lowered = text
        needles = self.tx.boilerplate_needles
        split = None
        searches: list[tuple[Boilerplate, tuple[str, ...] | None]]
        if needles.exact:
            split = split_starts(lowered)
            searches = needles.search(split[0])
        else:
            searches = [(pattern, None) for pattern in self.tx.boilerplate]
        by_line = len(lowered) > _PARAGRAPH_SEARCH  # long texts: search only the lines that have a pattern's words
        spans = [
            span
            for pattern, words in searches
            for span in pattern.spans(lowered, by_line, checked=needles.exact, needles=words)
        ]
        if spans:
            parts, folded, at = [], [], 0
            for begin, finish in sorted(spans):
                if finish <= at:
                    continue
                begin = max(begin, at)
                parts += [text[at:begin], " "]
                folded += [lowered[at:begin], " "]
                at = finish
            parts.append(text[at:])
            folded.append(lowered[at:])
            text, lowered = "".join(parts), "".join(folded)
            split = None
        return text, (lowered if same else None), (split if same else None)

    def signals(self, sentence: str, language: str = "", lowered: str | None = None) -> SentenceSignals:
        """Read one sentence (``language``: the article's ISO 639-1 code, for word-order rules; ``lowered``: the
        sentence already folded, when the caller has it)."""
        if lowered is None:
            lowered = fold(sentence)
        words, starts = split_starts(lowered)
        found = self._by_category(words, starts, lowered)
        return self._read(
            sentence, sentence, found, language, words, starts, 0, len(words), len(lowered) != len(sentence)
        )

    def _named(
        self, sentence: str, found: dict[str, list[Hit]], starts: list[int], first: int, after: int
    ) -> SentenceSignals:
        """What a sentence says whatever its action words (``_read``): who and where is named, negative senses,
        background, a court, a later step. (Categories absent from ``found``, or empty in it, are no hits.)"""
        signals = SentenceSignals(sentence)  # (positional: faster)
        if _NAMED_CATEGORIES.isdisjoint(found):
            return signals  # most sentences: only words of the other categories ('government', 'according to')
        get = found.get
        # Who is named, whatever the sentence says: the acting state's bodies are often named apart from the action.
        authorities = get("authorities")
        if authorities:
            signals.authorities = {h.label for h in authorities}
            signals.judicial = any(h.label in self._courts for h in authorities)
        local = get("local")
        if local:
            signals.local_authorities = {h.label for h in local}
        countries = get("countries")
        if countries:
            signals.countries = [h.label for h in countries]
        negatives = get("negatives")
        if negatives:
            signals.negatives = {h.label for h in negatives}
        if get("background"):
            signals.background = True
        if get("judicial"):
            signals.judicial = True
        later = get("followup")
        if later:
            signals.followup = later[0].start <= starts[first + min(2, after - first - 1)]
        return signals

    def _read(
        self,
        sentence: str,
        source: str,
        found: defaultdict[str, list[Hit]],
        language: str,
        words: list[str],
        starts: list[int],
        first: int,
        after: int,
        refold: bool = False,
    ) -> SentenceSignals:
        """What ``sentence`` says, given its hits by category (``found``) and the folded words of ``source``, where
        they start, of which the sentence has those from ``first`` to ``after`` - 1; the offsets are into
        ``source`` (the sentence itself, or the whole text it is part of). ``refold``: folding changed the
        sentence's offsets, its original words are read from it anew."""
        signals = self._named(sentence, found, starts, first, after)
        if _ACTION_CATEGORIES.isdisjoint(found):
            return signals  # no action word: nothing more to read
        # (Categories the sentence may lack are looked up with ``get``: a ``defaultdict`` look-up of a missing key
        # would add it.)
        get = found.get
        action_hits = found["actions"]
        restrict_hits = found["restrict"]
        # A deadline alone is an ultimatum; next to an order it is only the order's term.
        deadlines = get("deadline")
        if deadlines and not restrict_hits and all(h.label in _WEAK_ACTIONS for h in action_hits):
            action_hits = action_hits + [Hit("threat", d.start, d.end) for d in deadlines]
        store_removals = get("store_removal")
        if not action_hits and not restrict_hits and not store_removals:
            return signals
        if first or after != len(words):
            words, starts = words[first:after], starts[first:after]
        negatives = get("negatives")
        senses = [h for h in negatives if h.label == "negative:word_sense"] if negatives else []
        index = _TokenIndex(starts, words)
        # A word-sense match ('blockchain', 'trade blockade') explains away the action words it overlaps, and a
        # restriction verb right before it ('tightens the chip export block', 'ужесточили торговое эмбарго').
        # (Here and below, a filter by an empty list of hits is skipped: most sentences have few kinds of hits.)
        if senses:
            action_hits = [h for h in action_hits if not _overlaps(h, senses)]
            restrict_hits = [
                h
                for h in restrict_hits
                if not _overlaps(h, senses)
                and not _overlaps(h, action_hits)
                and not any(0 <= index.gap(h, w) <= 2 for w in senses)
            ]
        else:
            action_hits = list(action_hits)  # a list of its own: added to below
            if action_hits and restrict_hits:
                restrict_hits = [h for h in restrict_hits if not _overlaps(h, action_hits)]
        # 'lifted its block', 'снял ограничения', 'erişim engelini kaldırdı': a lifting verb next to a block word.
        lifts = get("lift")
        if lifts:
            blocks = [h for h in action_hits + restrict_hits if h.label in ("block", "restrict")]
            action_hits += [
                Hit("unblock", min(l.start, b.start), max(l.end, b.end))
                for l in lifts
                for b in blocks
                if abs(index.gap(l, b)) <= 3 or abs(index.gap(b, l)) <= 3
            ]
        # 'Apple pulls WhatsApp from its China App Store', 'the app vanished from US stores': taken out of a store.
        store_places: list[Hit] = []
        removed: list[Hit] = []
        if store_removals:
            stores = found["stores"] + [p for p in found["platforms"] if p.label in _STORES]
            removals = [
                r
                for r in store_removals
                if any(index.distance(r, place) <= _STORE_REACH for place in stores)
            ]
            if removals:
                store_places = [
                    p for p in stores if any(index.distance(r, p) <= _STORE_REACH for r in removals)
                ]
                # "Google's stores": the store's owner names the place too
                store_places += [
                    p
                    for p in found["platforms"]
                    if p.label == "Google" and any(index.distance(p, place) <= 3 for place in found["stores"])
                ]
                action_hits = [
                    h for h in action_hits if not (h.label == "unblock" and _overlaps(h, removals))
                ]
                removed = [Hit("app_store_removal", r.start, r.end) for r in removals]
                action_hits += removed
        if not action_hits and not restrict_hits:
            return signals
        # 'under Omani law', 'violating Russian law': the law is the ground of the action, not a legal action.
        bases = get("legal_basis")
        if bases:
            action_hits = [
                h
                for h in action_hits
                if h.label != "legal_action" or not any(0 <= index.gap(b, h) <= _BASIS_REACH for b in bases)
            ]
        # A more specific action ('lifted the ban', 'removed from app stores') absorbs the 'block' words inside it.
        # (Not a shutdown word: 'suspend', 'cut off' are a shutdown only near internet access, decided below.)
        # (Each of these two filters is skipped when the labels it needs are absent: it would keep every hit.)
        labels = {h.label for h in action_hits}
        if "block" in labels and not labels <= {"block", "shutdown"}:
            specific = [h for h in action_hits if h.label not in ("block", "shutdown")]
            action_hits = [h for h in action_hits if not (h.label == "block" and _overlaps(h, specific))]
        # Out of a register of banned sites is an unblock, not a registry removal ('из реестра запрещённых').
        if "unblock" in labels and "registry_removal" in labels:
            unblocks = [h for h in action_hits if h.label == "unblock"]
            action_hits = [
                h for h in action_hits if not (h.label == "registry_removal" and _overlaps(h, unblocks))
            ]
        if restrict_hits:
            feature = bool(get("features"))
            label = "feature_restriction" if feature else "block"
            if feature or not action_hits:
                action_hits += [Hit(label, h.start, h.end) for h in restrict_hits]
        # 'a social media ban for under-16s', 'запрет соцсетей для детей до 14 лет': a restriction by age, not a block.
        ages = get("age")
        if ages:
            action_hits = [
                Hit("feature_restriction", h.start, h.end)
                if h.label == "block" and any(index.distance(h, a) <= _AGE_REACH for a in ages)
                else h
                for h in action_hits
            ]
        if not action_hits:
            return signals

        # 'no restrictions were introduced', 'не вводили ограничений': a denied action is no evidence.
        denials = get("negation")
        negations = (
            [
                n
                for n in denials
                if not _overlaps(n, action_hits)
                and (n.label[4:] == language or language not in self.tx.negation_languages)
            ]
            if denials
            else []
        )
        if negations:
            action_hits = [
                h
                for h in action_hits
                if not any(-1 <= index.gap(n, h) <= 8 or 0 <= index.gap(h, n) <= 1 for n in negations)
            ]
        # 'would restore access if ...', 'könnte gesperrt werden': not done, at most threatened (threat words stay).
        # A restriction that may come ('could be blocked', 'если ... заблокируют') is a threat when a state says it.
        ifs = get("hypothetical")
        maybes = [n for n in ifs if not _overlaps(n, action_hits)] if ifs else []
        hypothetical = (
            [h for h in action_hits if h.label != "threat" and any(-1 <= index.gap(n, h) <= 4 for n in maybes)]
            if maybes
            else []
        )
        if hypothetical:
            action_hits = [h for h in action_hits if h not in hypothetical]
            if get("state") or get("authorities"):
                action_hits += [Hit("threat", h.start, h.end) for h in hypothetical if h.label != "unblock"]
        # 'Instagram returns after nine-day ban', 'پس از رفع فیلتر واتساپ': the action words right after 'after'
        # are the earlier event the story follows, when the sentence reports another action.
        afters, posts = get("after", ()), get("after_post", ())
        if afters or posts:
            earlier = [
                h
                for h in action_hits
                if h.label
                != "legal_action"  # 'after a court ruling', 'after the president signed a decree': the cause
                and (
                    any(0 <= index.gap(a, h) <= 3 for a in afters) or any(0 <= index.gap(h, a) <= 1 for a in posts)
                )
            ]
            if earlier and any(h not in earlier and not _overlaps(h, earlier) for h in action_hits):
                action_hits = [h for h in action_hits if h not in earlier]
        # 'blocked the bill', 'blocked 2,000 cards': the action falls on something that is no platform.
        objects = get("non_platform")
        if objects:
            action_hits = [
                h
                for h in action_hits
                if h.label not in _VERB_ACTIONS
                or h in removed
                or not any(index.distance(h, o) <= 2 for o in objects)
            ]
        if not action_hits:
            return signals
        # No case-sensitive platform alias ('X', 'Signal') can be named: the sentence has none of their first words.
        uncased = not refold and self._cased_words is not None and self._cased_words.isdisjoint(words)
        if uncased and not (get("platforms") or get("contextual") or get("internet") or get("generic")):
            # No platform, internet access or platforms in general are named: no action falls on a target (what the
            # rest of this function would find, read at a glance).
            signals.state = bool(get("state")) or bool(get("authorities"))
            signals.actions = {h.label for h in action_hits if h.label != "shutdown"}
            return signals
        original = None  # the words as written, for the case-sensitive aliases
        if refold:
            original = split_words(sentence)
        elif not uncased:  # the same words as written: cut from the source at the same offsets
            ends = list(map(add, starts, map(len, words)))
            original = (list(map(source.__getitem__, map(slice, starts, ends))), starts, ends)
        platform_hits = self._platform_hits(found, original, index, source)
        # 'internet providers cut off access to X': the providers act, internet access is not the target.
        not_internet = get("not_internet", ())
        internet_hits = [h for h in get("internet", ()) if not _overlaps(h, not_internet)]
        generic_hits = get("generic", ())
        authority_hits = get("authorities")
        state_hits = get("state", ())
        # 'the Russian messenger MAX', 'a Chinese app': a country word right before a word for platforms says where
        # one comes from, not who acts on it.
        country_hits = [
            c
            for c in get("countries", ())
            if not any(g.start > c.end and not source[c.end : g.start].strip() for g in generic_hits)
        ]
        signals.countries = [h.label for h in country_hits]
        signals.state = bool(state_hits) or bool(authority_hits)

        # Which action words concern a platform (or internet access) close by in the sentence?
        # A decree, law or fine in a sentence that also restricts a platform concerns it even farther away
        # ('President Maduro signed a resolution suspending the platform' ... 'X').
        strong = any(h.label not in _WEAK_ACTIONS for h in action_hits)
        kept: list[Hit] = []
        for hit in action_hits:
            reach = (
                _WEAK_REACH
                if hit.label == "threat" or (hit.label in _WEAK_ACTIONS and not strong)
                else _REACH
            )
            near_platform = [p for p in platform_hits if index.distance(hit, p) <= reach]
            near_internet = hit.label in _INTERNET_ACTIONS and any(
                index.distance(hit, i) <= _INTERNET_REACH for i in internet_hits
            )
            near_generic = hit.label != "shutdown" and any(
                index.distance(hit, g) <= reach for g in generic_hits
            )
            # 'cut' or 'отключили' is a shutdown only with internet access, mobile data or a network near it; cutting
            # off a platform is blocking it.
            if hit.label == "shutdown" and not near_internet and near_platform:
                kept.append(Hit("block", hit.start, hit.end))
            elif near_platform or near_internet or near_generic:
                kept.append(hit)
            if near_platform and kept and kept[-1].end == hit.end:
                signals.platform_actions.add(kept[-1].label)
        # 'threatens to block X', 'amenaza con bloquearla': a threat word right before a kept restriction.
        kept += [
            t
            for t in action_hits
            if t.label == "threat"
            and t not in kept
            and any(0 <= index.gap(t, h) <= _THREAT_LINK for h in kept)
        ]
        if not kept:
            signals.actions = {h.label for h in action_hits if h.label != "shutdown"}
            return signals
        # 'banned on government devices', 'заборонили на службових пристроях': a rule for the state's own staff.
        if get("official_use"):
            kept = [
                Hit("legal_action", h.start, h.end) if h.label in ("block", "feature_restriction") else h
                for h in kept
            ]
        actions = {h.label for h in kept}
        if "threat" in actions:
            # 'threatened to block / slow down': the threatened action has not happened
            actions &= {"threat", "legal_action", "unblock"}
        signals.actions = actions
        signals.platforms = {
            p.label
            for p in platform_hits
            if any(index.distance(h, p) <= _REACH for h in kept) and not _overlaps(p, store_places)
        } - {"internet"}
        signals.stores = bool(store_places) and "app_store_removal" in actions
        signals.internet = bool(internet_hits) or "shutdown" in actions
        signals.generic = any(index.distance(h, g) <= _REACH for h in kept for g in generic_hits)
        # A country counts as the actor when it is the subject: 'Russia blocks ...', 'Ethiopia keeps X blocked'.
        signals.country_actor = any(0 <= index.gap(c, h) <= 3 for c in country_hits for h in kept)
        signals.located = bool(country_hits)
        # 'Parents block TikTok', 'Banks block WhatsApp on staff phones': someone else than the state acts.
        # ('telecom firms' acting on state orders are state actors, not firms acting on their own)
        non_state = [n for n in get("non_state", ()) if not _overlaps(n, state_hits)]
        if (
            not authority_hits
            and not signals.country_actor
            and any(0 <= index.gap(n, h) <= 3 for n in non_state for h in kept)
        ):
            signals.negatives.add("negative:company_subject")
        if not signals.state and not signals.country_actor:
            # No state in sight: a platform acting on its own service ('YouTube blocks channels', 'X suspends
            # accounts') or on its own users' access ('Netflix suspends service in Russia').
            moderated = get("objects", ())
            verb_final = language in _VERB_FINAL
            if (
                any(
                    (abs(index.gap(h, o)) <= 4 if verb_final else 0 <= index.gap(h, o) <= 4)
                    for h in kept
                    for o in moderated
                )
                or any(0 <= index.gap(n, h) <= 3 for n in non_state for h in kept)
                or (
                    language not in _VERB_FINAL
                    and any(
                        self._active_subject(p, h, words, index, language)
                        for p in platform_hits
                        for h in kept
                        # ('Telegram returns in Turkey': a platform is the natural subject of its own return)
                        if h.label in _VERB_ACTIONS and h not in removed and h.label != "unblock"
                    )
                )
            ):
                signals.negatives.add("negative:company_subject")
        return signals

    def _by_category(
        self, words: list[str], starts: list[int], lowered: str
    ) -> defaultdict[str, list[Hit]]:
        """The combined matcher's hits of a sentence by category ('platforms', 'actions' ...), labels without it."""
        found: defaultdict[str, list[Hit]] = defaultdict(list)
        labels = self._labels
        matcher = self.tx.combined
        hits = [(label, starts[i], starts[last] + len(words[last])) for label, i, last in matcher.scan(words)]
        if matcher.has_substrings:
            hits += matcher.substring_hits(lowered)
        for label, start, end in hits:
            parts = labels[label]
            found[parts[0]].append(_new_tuple(Hit, (parts[1], start, end)))
        return found

    def _cased_hits(self, original: tuple[list[str], list[int], list[int]]) -> tuple[list[Hit], list[Hit]]:
        """The hits of the case-sensitive platform aliases and of the contextual ones in a sentence's words."""
        words, starts, ends = original
        platforms: list[Hit] = []
        contextual: list[Hit] = []
        for label, i, last in self.tx.cased.scan(words):
            category, name = self._labels[label]
            (platforms if category == "platforms" else contextual).append(
                _new_tuple(Hit, (name, starts[i], ends[last]))
            )
        return platforms, contextual

    def _platform_hits(
        self,
        found: dict[str, list[Hit]],
        original: tuple[list[str], list[int], list[int]] | None,
        index: _TokenIndex,
        source: str,
    ) -> list[Hit]:
        """The platforms a sentence names (``found``: its hits by category; ``original``: its unfolded words, where
        they start and end; None: it names no case-sensitive alias)."""
        cased, cased_contextual = self._cased_hits(original) if original is not None else ([], [])
        hits = found["platforms"] + cased
        contextual = found["contextual"] + cased_contextual
        if contextual:
            # 'X' or 'Signal' count near a platform word ('the social network X'), or in a list of platforms
            # ('X, YouTube and TikTok').
            contextual = [
                c for c in contextual if found["context"] or any(index.distance(c, p) <= 1 for p in hits)
            ]
            # 'den Messenger WhatsApp', 'the messenger Telegram': an alias that is also a common noun, right before
            # another platform's name (no comma, no 'and'), is that noun in apposition.
            contextual = [
                c
                for c in contextual
                if not any(p.start > c.end and not source[c.end : p.start].strip() for p in hits)
            ]
            hits += contextual
        # 'Google' inside 'Google Play'; a VPN as the way round a block ('reachable without a VPN').
        hits = [
            p
            for p in hits
            if not any(
                o.start <= p.start and p.end <= o.end and o.end - o.start > p.end - p.start for o in hits
            )
        ]
        if found["circumvention"]:
            hits = [
                p for p in hits if not (p.label == "VPN services" and _overlaps(p, found["circumvention"]))
            ]
        # 'as the Kremlin points users to MAX': a replacement promoted, not a platform acted against
        if found["replacement"]:
            hits = [
                p
                for p in hits
                if not any(_overlaps(p, [r]) or 0 <= index.gap(r, p) <= 3 for r in found["replacement"])
            ]
        return hits

    def named_platforms(self, sentence: str) -> set[str]:
        """Every platform a sentence names, whatever it says of them."""
        lowered = fold(sentence)
        words, starts, ends = split_words(lowered)
        original = (
            (list(map(sentence.__getitem__, map(slice, starts, ends))), starts, ends)
            if len(lowered) == len(sentence)
            else split_words(sentence)
        )
        found = self._by_category(words, starts, lowered)
        index = _TokenIndex(starts, words)
        return {p.label for p in self._platform_hits(found, original, index, sentence)} - {"internet"}

    @staticmethod
    def _active_subject(
        platform: Hit, action: Hit, words: list[str], index: _TokenIndex, language: str = ""
    ) -> bool:
        """'YouTube blocks ...', 'Google заблокировал ...': the platform right before an active verb."""
        gap = index.gap(platform, action)
        if not 0 <= gap <= 1:
            return False
        start = index.token(action.start)
        between = set(words[start - gap : start])
        if between & _PASSIVE_MARKERS:
            return False
        verb = words[start]
        if verb.endswith(_PASSIVE_ENDINGS + _PARTICIPLE_ENDINGS.get(language, ())):
            return False
        # 'Russland hat WhatsApp weitgehend abgeschaltet': a perfect auxiliary before the platform makes the verb at the
        # end a participle whose subject came first; the platform is its object.
        auxiliaries = _PERFECT_AUXILIARIES.get(language)
        return not (auxiliaries and auxiliaries.intersection(words[: index.token(platform.start)]))

    # --- document level ---------------------------------------------------------------------------------
    def classify_text(
        self, title: str, body: str, description: str = "", language: str = ""
    ) -> Classification:
        """Classify an article given its text and language."""
        text, lowered, split = self._strip_split(f"{title}\n{description}\n{body}"[:_MAX_CHARS])
        title_key = " ".join(title.split())
        read = self._read_text(text, lowered, split, language)
        title_signals = next((r for r in read if " ".join(r.text.split()) == title_key), None)
        title_actor = title_signals.actor if title_signals else False
        # A title about something else than a state restriction (parents or a company blocking, an outage) makes the
        # passive or anonymous mentions of blocks in the body no evidence: they need a named authority or a state
        # as the subject ('Telegram down for millions' ... 'users asked whether it had been blocked').
        other_story = (
            title_signals is not None
            and not (title_signals.authorities or title_signals.country_actor)
            and (
                bool(title_signals.negatives & {"negative:company_subject", "negative:company_action"})
                or (title_signals.negatives & {"negative:outage"} and not title_signals.actions)
            )
        )
        doc_actor = any(r.actions and r.target and r.actor for r in read)  # (the cheapest test first)

        scored: list[tuple[float, int, SentenceSignals]] = []
        for index, sig in enumerate(read):
            if not (sig.actions and sig.target):
                continue
            negative = sig.negatives - {"negative:word_sense"}
            if "negative:company_subject" in negative or (negative and not sig.state):
                continue  # an outage or a company's own decision, no state in sight
            if other_story and not (sig.authorities or sig.country_actor):
                continue
            near = read[max(0, index - 1) : index + 2]
            if sig.actor:
                strength = 1.0
            elif any(n.actor for n in near) or title_actor:
                strength = 0.75
            elif sig.located:
                strength = 0.7  # 'WhatsApp was blocked in Russia': passive, the state implied by the place
            elif doc_actor:
                strength = 0.55
            else:
                strength = 0.35
            if sig is title_signals:
                strength = min(1.0, strength * 1.2)
            elif index >= _LEAD_SENTENCES:
                strength *= _BACKGROUND_WEIGHT
            scored.append((strength, index, sig))

        if not scored:
            return Classification(0.0, [], [], [], [], [], self.threshold)
        ranked = sorted(scored, key=lambda t: (-t[0], t[1]))
        best = ranked[0][0]
        support = sum(s for s, _, _ in ranked[1:4]) * 0.1
        relevance = round(min(1.0, best * 0.85 + support), 3)
        evidence = [sig for strength, _, sig in ranked if strength >= 0.5 or strength == best][
            :_EVIDENCE_LIMIT
        ]
        # Later steps of the story ('By Monday the app had vanished from the stores', 'Dias depois ... derrubou'):
        # what they report is part of the event.
        followups = [sig for _, _, sig in scored if sig.followup and not sig.background]
        # A later step that lifts the restriction need not name the platform again ('Hours later the service was
        # back to normal', 'Dias depois, o tribunal derrubou a suspensão').
        followups += [
            sig
            for sig in read
            if sig.followup
            and not sig.background
            and "unblock" in sig.actions
            and not sig.target
            and not sig.negatives - {"negative:word_sense"}
        ]
        return self._tags(relevance, evidence, title_signals, read, followups)

    def _tags(
        self,
        relevance: float,
        evidence: list[SentenceSignals],
        title: SentenceSignals | None,
        read: list[SentenceSignals],
        followups: list[SentenceSignals] | None = None,
    ) -> Classification:
        # What happened is said by the title and the first evidence sentence; later ones are often background.
        by_position = sorted(evidence, key=read.index)
        lead = [sig for sig in by_position if sig is title][:1]
        body = [sig for sig in by_position if sig is not title]
        lead += ([sig for sig in body if not sig.background] or ([] if lead else body))[: 1 if lead else 2]
        if lead and lead[0] is title and title.platforms:
            # A body sentence about other platforms than the title's is background ('this follows the restriction
            # of calls in WhatsApp and Telegram last summer').
            lead = [title] + [sig for sig in lead[1:] if not sig.platforms or sig.platforms & title.platforms]
        platforms = {p for sig in lead for p in sig.platforms}
        # 'Social media stays blocked' ... 'Facebook, WhatsApp and TikTok are affected': the platforms named right
        # after a lead sentence that speaks of them generically.
        for sig in lead:
            if sig.generic:
                at = read.index(sig)
                for following in read[at + 1 : at + 3]:
                    if following.negatives & {"negative:company_subject", "negative:company_action"}:
                        continue
                    named = self.named_platforms(following.text)
                    if named:
                        platforms |= named
                        break
        steps = lead + [sig for sig in followups or () if sig not in lead]
        actions = Counter(a for sig in steps for a in sig.actions)
        # A court deciding the restriction, its lifting or an ultimatum: that is a legal action too.
        # (The title says it even when it names the platform in a way only the body resolves: 'STF determina
        # suspensão do X'.)
        if any(sig.judicial and sig.actions & _COURT_ACTIONS for sig in steps + ([title] if title else [])):
            actions["legal_action"] += 1
        if any("shutdown" in sig.actions and sig.internet for sig in lead):
            platforms.add("internet")
        # A specific action carries the 'block' words around it: lifting a block, throttling, a shutdown.
        # But a shutdown of the network next to a block of named platforms are two actions ('X blocked and mobile
        # internet cut in Islamabad').
        separate = actions.keys() & _SUPERSEDE_BLOCK == {"shutdown"} and any(
            "block" in sig.platform_actions for sig in lead
        )
        # A story about a network shutdown that reports, further down, a block of named platforms by the state: a
        # second action ('The shutdown followed a separate block on Facebook'); under a white list that the story
        # reports, the platforms left out of it ('only white-listed services work ... WhatsApp is unreachable').
        if actions.keys() & _SUPERSEDE_BLOCK == {"shutdown"} and not separate:
            blocked = [
                sig
                for sig in evidence
                if sig not in lead
                and not sig.background
                and sig.platforms
                and "block" in sig.platform_actions
                and "shutdown" not in sig.actions
            ]
            if blocked:
                whitelist = any("registry_removal" in sig.actions for sig in evidence)
                actions["registry_removal" if whitelist else "block"] += 1
                platforms |= {p for sig in blocked for p in sig.platforms}
                separate = True
        if (
            actions.keys() & _SUPERSEDE_BLOCK
            and not separate
            and not (
                title is not None
                and title in lead
                and "block" in title.actions
                and not title.actions & _SUPERSEDE_BLOCK
            )
        ):
            actions.pop("block", None)

        # A title that reports only a lifting: the restrictions in the body are the lifted ones ('Internet restored in
        # Gorno-Badakhshan' ... 'it had been cut off after clashes').
        if title is not None and title in lead and title.actions - {"legal_action"} == {"unblock"}:
            actions = Counter({a: n for a, n in actions.items() if a in ("unblock", "legal_action")})

        countries: Counter[str] = Counter()
        for sig in evidence:
            for name in sig.authorities:
                if name in self.tx.authority_info:
                    countries[self.tx.authority_info[name].country] += 2
            countries.update(sig.countries)
        if not countries:
            # No state in the evidence: the authorities named anywhere, else the countries of sentences with actions.
            for sig in read:
                if sig.authorities:
                    countries.update(
                        self.tx.authority_info[n].country for n in sig.authorities if n in self.tx.authority_info
                    )
            if not countries:
                countries.update(c for sig in read if sig.actions for c in sig.countries)
        top = countries.most_common(1)[0][1] if countries else 0
        acting = {c for c, n in countries.items() if n == top}
        info = self.tx.authority_info
        named = set().union(*map(_authorities_of, read), *map(_local_authorities_of, read))
        authorities = {n for n in named if n in info and info[n].country in acting}
        # 'The government' is reported only when no more specific body of that state is named.
        specific = {info[n].country for n in authorities if not _is_government(info[n])}
        authorities = {
            n for n in authorities if not (_is_government(info[n]) and info[n].country in specific)
        }
        if not acting:
            authorities = {n for sig in evidence for n in sig.authorities}
        return Classification(
            threshold=self.threshold,
            relevance=relevance,
            platforms=sorted(platforms),
            countries=sorted(acting),
            actions=sorted(actions),
            authorities=sorted(authorities),
            evidence=[" ".join(sig.text.split())[:300] for sig in evidence],
        )

    def _read_text(
        self,
        text: str,
        lowered: str | None,
        split: tuple[list[str], list[int]] | None,
        language: str,
    ) -> list[SentenceSignals]:
        """The signals of each sentence of ``text`` (``lowered``: its folded form, None when folding changed offsets;
        ``split``: its words, when at hand). The same as ``signals`` of each sentence, but the whole text is split
        into words and matched once, a sentence with neither an action word nor a word that ``_named`` reads is not
        read further, and of a sentence without an action word only those words are."""
        spans = _sentence_spans(text)
        matcher = self.tx.combined
        if lowered is None or (matcher.has_substrings and has_cjk(lowered)):
            # Offsets differ between the text and its folded form, or CJK substrings: sentence by sentence.
            return [
                self.signals(sentence, language, lowered[begin:end].strip() if lowered is not None else None)
                for begin, end in spans
                if len(sentence := text[begin:end].strip()) > 3
            ]
        words, starts = split or split_starts(lowered)
        hits = matcher.scan(words)
        # Of each hit, at C speed: where it starts (a sentence's hits are those that start in it, in order: found by
        # bisection), its category and its name.
        offsets = list(map(starts.__getitem__, map(_second, hits)))
        parts = list(map(self._labels.__getitem__, map(_first, hits)))
        categories = list(map(_first, parts))
        low = first = 0
        read = []
        for begin, end in spans:
            sentence = text[begin:end].strip()
            if len(sentence) <= 3:
                continue
            low = bisect_left(offsets, begin, low)
            high = bisect_left(offsets, end, low)  # its hits: low .. high - 1
            # Without an action word, only who is named and the like is read (``_named``): the hits of the other
            # categories are not even made. (``present`` has the categories of the matches that run past the
            # sentence's end too, dropped below: a superset.)
            present = categories[low:high]
            wanted = None if not _ACTION_CATEGORIES.isdisjoint(present) else _NAMED_CATEGORIES
            if wanted is not None and wanted.isdisjoint(present):  # nothing to read (most sentences)
                read.append(SentenceSignals(sentence))
                continue
            first = bisect_left(starts, begin, first)
            after = bisect_left(starts, end, first)  # the sentence's words: first .. after - 1
            found: defaultdict[str, list[Hit]] = defaultdict(list)
            for at in range(low, high):
                last = hits[at][2]
                category, name = parts[at]
                # Matches never cross a sentence end when the sentences are matched one by one: dropped.
                if last < after and (wanted is None or category in wanted):
                    found[category].append(_new_tuple(Hit, (name, offsets[at], starts[last] + len(words[last]))))
            if wanted is None:  # (if the action words run past the sentence's end, ``_read`` reads as ``_named``)
                read.append(self._read(sentence, text, found, language, words, starts, first, after))
            else:  # no action word: who is named, and the like
                read.append(self._named(sentence, found, starts, first, after))
        return read

    def classify(self, article: Article) -> Classification:
        return self.classify_text(article.title, article.body, article.description, article.language)


def apply(article: Article, verdict: Classification) -> Article:
    """Copy a verdict onto the article's output fields."""
    article.relevance = verdict.relevance
    article.platforms = verdict.platforms
    article.countries = verdict.countries
    article.actions = verdict.actions
    article.authorities = verdict.authorities
    article.evidence = verdict.evidence
    return article
