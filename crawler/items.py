"""The Article item: one news article, as extracted, normalized and classified.

The fields named in ``OUTPUT_FIELDS`` are the output contract (README, ``crawler/schema/article.schema.json``);
the others carry raw values between pipelines and are never exported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SCHEMA_VERSION = 1


@dataclass
class Article:
    """A news article. ``url`` is the only field an extractor must set."""

    url: str = ""
    """The URL the page was fetched from (after redirects)."""

    schema_version: int = SCHEMA_VERSION
    """Version of the output record; 1."""

    id: str = ""
    """Stable id of the story: the first 16 hex digits of the SHA-256 of ``canonical_url``."""

    version: int = 1
    """1, then +1 each time a changed article is emitted again under the same ``id``."""

    canonical_url: str = ""
    """The normalized canonical URL: tracking parameters, fragments and default ports removed."""

    source: str = ""
    """Name of the source (sources file) through which the article was found."""

    domain: str = ""
    """Registered domain of the site, e.g. ``meduza.io`` (an IP address for sites served by address)."""

    title: str = ""
    """Headline, plain text, without the `` | Site name`` suffix."""

    description: str = ""
    """Standfirst or meta description, plain text; empty when the page has none."""

    body: str = ""
    """Article text, plain; paragraphs separated by one blank line."""

    authors: list[str] = field(default_factory=list)
    """Author names, without 'By', roles or e-mail addresses."""

    language: str = ""
    """ISO 639-1 code of the article's language."""

    published: str | None = None
    """Publication time, ISO 8601 with UTC offset; None when the page gives none."""

    modified: str | None = None
    """Last modification time, ISO 8601 with UTC offset; None when unknown."""

    fetched_at: str = ""
    """When the page was fetched, ISO 8601 in UTC."""

    relevance: float = 0.0
    """0..1: how surely the article reports a state restriction of an online platform."""

    platforms: list[str] = field(default_factory=list)
    """Canonical names of the platforms acted against (taxonomy)."""

    countries: list[str] = field(default_factory=list)
    """ISO 3166-1 alpha-2 codes of the states imposing, threatening or lifting the restriction."""

    actions: list[str] = field(default_factory=list)
    """Action codes: block, throttle, feature_restriction, app_store_removal, registry_removal,
    legal_action, threat, shutdown, unblock."""

    authorities: list[str] = field(default_factory=list)
    """Canonical English names of the state actors, e.g. 'Roskomnadzor'."""

    evidence: list[str] = field(default_factory=list)
    """Phrases of the article that made the classifier decide, for humans."""

    # --- Internal: carried between pipelines, never exported -------------------------------------------
    published_raw: str = ""
    """The publication date as found on the page, before normalization."""

    modified_raw: str = ""
    """The modification date as found on the page, before normalization."""

    canonical_hint: str = ""
    """The page's own ``rel=canonical`` / ``og:url``, absolute; normalization decides whether to trust it."""

    timezone_hint: str = ""
    """IANA time zone of the source (sources file), for dates given without an offset."""


OUTPUT_FIELDS: tuple[str, ...] = (
    "schema_version",
    "id",
    "version",
    "url",
    "canonical_url",
    "source",
    "domain",
    "title",
    "description",
    "body",
    "authors",
    "language",
    "published",
    "modified",
    "fetched_at",
    "relevance",
    "platforms",
    "countries",
    "actions",
    "authorities",
    "evidence",
)
