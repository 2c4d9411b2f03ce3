"""Normalization of an extracted Article: canonical URL, registered domain, stable id, clean text, ISO dates."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import tldextract
from w3lib.url import canonicalize_url

from crawler.extract.dates import parse_date, plausible
from crawler.extract.processors import clean_body, clean_line, unique
from crawler.items import Article

# Query parameters that only track the reader; never part of an article's identity.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "yclid", "msclkid", "twclid", "ttclid", "igshid", "igsh", "mc_cid",
        "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "wickedid",
        "ref", "ref_src", "ref_url", "referrer", "cmpid", "ncid", "ocid", "spm", "sr_share", "share", "s_cid",
        "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4", "rss", "from", "amp",
        "outputtype", "guccounter", "guce_referrer", "guce_referrer_sig", "soc_src", "soc_trk", "smid", "smtyp",
        "cid", "icid", "int_source", "int_medium", "int_campaign", "xtor", "partner", "utm",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "__", "at_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_AMP_PATH_RE = re.compile(r"(?:/amp(?=/|$)|\.amp(?=\.html?$|$)|/amp\.html?$)", re.IGNORECASE)
# A netloc whose host tldextract reads the same alone as inside its URL: lowercase ASCII letters, digits, dots and
# hyphens, maybe a port (no IPv6, IDN, percent-encoding or userinfo; tldextract keeps the case it is given).
# Canonical URLs always have one. Its registered domain is cached: a crawl meets a handful of hosts.
_PLAIN_NETLOC_RE = re.compile(r"([a-z0-9.-]+)(?::\d*)?")
# A body already in clean_body's form: words separated by single spaces, paragraphs by one blank line, nothing that
# clean_text removes or turns into a space (soft hyphen, BOM, zero-width space; every other such character is \s).
_WORD = r"[^\s\u00ad\u200b\ufeff]+"
_CLEAN_BODY_RE = re.compile(rf"{_WORD}(?: {_WORD})*(?:\n\n{_WORD}(?: {_WORD})*)*")


@lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    # The public suffix list snapshot shipped with tldextract: nothing is fetched, nothing is cached on disk.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def _is_tracking(name: str) -> bool:
    key = name.lower()
    return key in TRACKING_PARAMS or key.startswith(_TRACKING_PREFIXES)


# A URL is made canonical when its link is found, when it is requested, when its response comes back and when its
# article is normalized, each time at the cost of w3lib's parsing and re-quoting (~40 us): the last few thousand
# answers are kept (~1 MB).
@lru_cache(maxsize=4096)
def canonical_url(url: str) -> str:
    """Canonical form of a URL: lowercase scheme and host, no default port, no fragment, no tracking
    parameters, query sorted and percent-encoding normalized (w3lib)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address keeps its brackets
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)])
    path = parts.path or "/"
    return canonicalize_url(urlunsplit((scheme, netloc, path, query, "")))


@lru_cache(maxsize=4096)
def _host_domain(host: str) -> str:
    result = _extractor()(host)
    return str(result.top_domain_under_public_suffix or result.domain or host)


def registered_domain(url: str) -> str:
    """'https://www.bbc.co.uk/news' -> 'bbc.co.uk'; an IP address or bare host is returned as it is."""
    if url.startswith(("http://", "https://")):
        plain = _PLAIN_NETLOC_RE.fullmatch(url.split("/", 3)[2])
        if plain and plain.group(1):
            return _host_domain(plain.group(1))
    result = _extractor()(url)
    if result.top_domain_under_public_suffix or result.domain:
        return str(result.top_domain_under_public_suffix or result.domain)
    try:
        return urlsplit(url).hostname or ""
    except ValueError:  # 'http://[': no host to speak of
        return ""


def _is_amp(url: str) -> bool:
    parts = urlsplit(url)
    return bool(_AMP_PATH_RE.search(parts.path)) or (parts.hostname or "").startswith("amp.")


def choose_canonical(url: str, hint: str) -> str:
    """The page's own canonical (rel=canonical / og:url) when it is on the same site and not the home page;
    else the fetched URL. Either way in canonical form."""
    fetched = canonical_url(url)
    if not hint:
        return fetched
    try:
        # Most pages name themselves as fetched: their canonical form is already known.
        candidate = fetched if hint == url else canonical_url(hint)
    except ValueError:  # the page's own claim, unparsable ('http://[')
        return fetched
    if candidate == fetched:  # every test below would keep this same URL
        return fetched
    if urlsplit(candidate).scheme not in ("http", "https"):
        return fetched
    same_site = registered_domain(candidate) == registered_domain(fetched)
    home = urlsplit(candidate).path in ("", "/")
    if same_site and not home and (not _is_amp(candidate) or _is_amp(fetched)):
        return candidate
    return fetched


def story_id(canonical: str) -> str:
    """Stable id of a story: 16 hex digits of the SHA-256 of its canonical URL."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def iso_date(value: str | None, timezone: str | None = None) -> str | None:
    """An ISO 8601 string with an offset (or None) from whatever a page or feed gave."""
    if not value:
        return None
    parsed = plausible(parse_date(value, timezone))
    return parsed.isoformat() if parsed else None


def _is_clean_body(text: str) -> bool:
    """Whether ``clean_body(text) == text``: true of every body the extractors give (their loader cleans it), so
    the pipeline need not clean it a second time (a third of normalization's cost)."""
    return not text or (
        unicodedata.is_normalized("NFC", text)
        and ("&" not in text or html.unescape(text) == text)
        and _is_clean_spacing(text)
    )


def _is_clean_spacing(text: str) -> bool:
    """Whether ``_CLEAN_BODY_RE`` matches all of ``text``, in half the pattern's time for most text.

    Every character the pattern keeps out of words (whitespace, soft hyphen, BOM, zero-width space), the space aside,
    is unprintable. So once its paragraph breaks are made spaces, a text all printable has none of them but spaces,
    and it is clean when no two spaces meet and none starts or ends it. Other text (with a zero-width joiner, say)
    is matched against the pattern."""
    flat = text.replace("\n\n", " ")
    if flat.isprintable():
        return bool(flat) and "  " not in flat and not flat.startswith(" ") and not flat.endswith(" ")
    return _CLEAN_BODY_RE.fullmatch(text) is not None


def normalize_article(article: Article) -> Article:
    """Fill the identity fields and clean every text field of an extracted Article, in place."""
    article.canonical_url = choose_canonical(article.url, article.canonical_hint)
    article.id = story_id(article.canonical_url)
    article.domain = registered_domain(article.canonical_url)
    article.title = clean_line(article.title)
    article.description = clean_line(article.description)
    if not _is_clean_body(article.body):
        article.body = clean_body(article.body)
    article.authors = unique(clean_line(a) for a in article.authors)
    tz = article.timezone_hint or None
    article.published = iso_date(article.published, tz)
    article.modified = iso_date(article.modified, tz)
    return article
