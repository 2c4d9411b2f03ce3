"""The state store interface: what a crawl remembers between runs and shares between processes.

- per URL: the HTTP validators (ETag, Last-Modified) for conditional GETs;
- per story: content fingerprint, version and MinHash signature, with LSH band keys for near-duplicate lookup;
- per run: start, end, result and counts (run history, source health).

Backends: ``crawler/state/sqlite.py`` (default) and ``crawler/state/redis.py`` (distributed). Dedup decisions are
made inside ``StateStore.remember`` so each backend can make them atomic across processes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


@dataclass(frozen=True)
class Validators:
    """HTTP validators of a URL's last 200 response."""

    etag: str = ""
    last_modified: str = ""


@dataclass
class StoryState:
    """What the store keeps of one story (one canonical URL)."""

    id: str
    content_hash: str
    version: int = 1
    signature: bytes = b""
    """MinHash hash values, packed as unsigned 32-bit little-endian integers."""
    language: str = ""
    title: str = ""
    url: str = ""
    first_seen: float = 0.0
    last_seen: float = 0.0
    pending: str = ""
    """Owner token while the story is decided but its record not yet confirmed written (crawler/state/owner.py)."""


@dataclass
class Decision:
    """What dedup decided for an article, and what the store must write for it."""

    action: str
    """'new' | 'updated' (emit) | 'unchanged' | 'duplicate' | 'near_duplicate' (drop)."""
    story: StoryState
    """The story as it must be stored (for drops: the story the article duplicates)."""
    duplicate_of: str = ""
    similarity: float = 1.0
    bands: list[int] = field(default_factory=list)

    @property
    def emit(self) -> bool:
        return self.action in ("new", "updated")


@dataclass
class RunRecord:
    """One crawl run of one source."""

    id: int
    source: str
    started: float
    finished: float | None = None
    status: str = "running"
    """running | ok | failed | killed | timeout | interrupted"""
    items: int = 0
    duplicates: int = 0
    errors: int = 0
    pages: int = 0
    stats: dict[str, Any] = field(default_factory=dict)


class StateStore(ABC):
    """The memory of blockradar across runs and processes."""

    url: str

    @abstractmethod
    def validators(self, url: str) -> Validators | None:
        """The validators stored for ``url`` (canonical form), or None."""

    @abstractmethod
    def save_validators(self, validators: Mapping[str, Validators]) -> None:
        """Remember the validators of each URL's last full response (all at once: a crawl saves thousands at its
        end)."""

    @abstractmethod
    def confirm(self, owner: str, story_ids: list[str]) -> None:
        """The records of these stories, decided by ``owner``, are written: they are no longer pending."""

    def owner_alive(self, token: str) -> bool:
        """Whether the holder of a pending story may still write it (backends know more kinds of owners)."""
        from crawler.state.owner import process_alive  # noqa: PLC0415

        return not token.startswith("p:") or process_alive(token)

    def usable(self, story: StoryState | None, owner: str) -> StoryState | None:
        """A stored story as dedup must see it: a story left pending by a dead owner was never written, so its
        content hash is forgotten (a re-crawl is written again, as a new version)."""
        if story is None or not story.pending or story.pending == owner or self.owner_alive(story.pending):
            return story
        story.content_hash, story.signature = "", b""
        return story

    def written(self, story: StoryState | None, owner: str) -> StoryState | None:
        """Another story as dedup must see it: None when it was left pending by a dead owner (never written)."""
        if story is None or not story.pending or story.pending == owner or self.owner_alive(story.pending):
            return story
        return None

    @abstractmethod
    def story(self, story_id: str) -> StoryState | None:
        """The stored story with this id, or None."""

    @abstractmethod
    def remember(
        self,
        story_id: str,
        content_hash: str,
        bands: list[int],
        decide: Callable[[StoryState | None, StoryState | None, list[StoryState]], Decision],
        owner: str = "",
    ) -> Decision:
        """Atomically: read the story with ``story_id``, the story owning ``content_hash`` and the stories sharing
        any of ``bands``; call ``decide``; store what it decided when it emits, pending for ``owner`` when one is
        given (``confirm`` ends that). Stories pending for a dead owner count as never written. Returns the
        decision."""

    @abstractmethod
    def story_count(self) -> int:
        """How many stories are stored."""

    @abstractmethod
    def start_run(self, source: str, started: float) -> int:
        """Record that a run of ``source`` started; returns the run id."""

    @abstractmethod
    def finish_run(self, run: RunRecord) -> None:
        """Record the end of a run (status and counts)."""

    @abstractmethod
    def add_to_run(self, run_id: int, **counts: int) -> None:
        """Add to a run's counters (items, pages, errors, duplicates): distributed workers report this way."""

    @abstractmethod
    def runs(self, source: str | None = None, limit: int = 100) -> list[RunRecord]:
        """The latest runs, newest first (of one source, or all)."""

    @abstractmethod
    def close(self) -> None:
        """Release connections and files."""
