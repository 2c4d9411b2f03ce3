"""Publication dates: parse what metadata says, else htmldate, else a date written in the page's text.

Every result is a timezone-aware datetime or None; never the fetch time and never a date in the future.
"""

from __future__ import annotations

import logging
import re
import warnings
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import dateparser
from dateparser.data.languages_info import language_order
from htmldate import find_date

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lxml.html import HtmlElement

logger = logging.getLogger(__name__)

# Dates before this are not news publication dates (copyright lines, founding years).
EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)
# How far in the future a date may be (clock skew, time zones) before it is rejected.
FUTURE_SLACK = timedelta(days=1)

_WORD = r"[^\W\d_]{3,12}\.?"
# The runs of space in _TIME are possessive ('\s*+'): nothing after one of them can start with a space, so giving
# space back never makes a match, and a plain '\s*' tried every split of a long run between the three of them
# after every year in the text (cubic in the run's length: 0.35 s on one page indented with a few hundred spaces).
_TIME = (
    r"(?:,?\s*+(?:г\.|года|р\.|року)?,?\s*+(?:в|о|à|a las|às|um|at|saat|kl\.)?\s*+\d{1,2}[:.h]\d{2}"
    r"(?:\s*[ap]\.?m\.?)?)?"
)
# '11 февраля 2026, 14:30', '3 de junio de 2025', '14 de março de 2026', '12. Februar 2026', '5 Şubat 2026'
_DAY_MONTH_YEAR = rf"\b\d{{1,2}}(?:\.|º|er)?\s+(?:de\s+)?{_WORD}\s+(?:de\s+)?\d{{4}}{_TIME}"
# 'February 12, 2026 at 9:30 am'
_MONTH_DAY_YEAR = rf"\b{_WORD}\s+\d{{1,2}},?\s+\d{{4}}{_TIME}"
# '12.02.2026 14:30', '12/02/2026'
_NUMERIC = r"\b\d{1,2}[./]\d{1,2}[./]\d{4}(?:,?\s+\d{1,2}:\d{2})?"
_TEXT_DATE_RE = re.compile(f"{_DAY_MONTH_YEAR}|{_MONTH_DAY_YEAR}|{_NUMERIC}", re.IGNORECASE)
_RFC822_RE = re.compile(r"^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}")
_DOTTED_RE = re.compile(
    r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?::\d{2})?(?:\s*uhr)?)?$", re.IGNORECASE
)
_HAS_TIME_RE = re.compile(r"\d{1,2}[:.h]\d{2}(?!\d)")
_DATEPARSER_LANGUAGES = frozenset(language_order)
# Declared dates read at most (JSON-LD, meta tags, <time>).
MAX_DATE_CANDIDATES = 8
# How much of a page's text a written date is looked for in.
TEXT_DATE_CHARS = 5000


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return None


def _aware(value: datetime, timezone: str | None) -> datetime:
    if value.tzinfo is not None:
        return value
    zone = _zone(timezone) if timezone else None
    return value.replace(tzinfo=zone or UTC)


def plausible(value: datetime | None, now: datetime | None = None) -> datetime | None:
    """The date if it could be a publication date: not before 1995, not in the future."""
    if value is None:
        return None
    now = now or datetime.now(UTC)
    if value < EARLIEST or value > now + FUTURE_SLACK:
        return None
    return value


def date_languages(language: str) -> list[str]:
    """The languages dateparser should try for a page in ``language``: it and English (formats like 'Fri Apr 28
    19:20:36 CEST 2023' are English everywhere), leaving out the languages dateparser does not know."""
    languages = [language, "en"] if language and language != "en" else ["en"]
    return [code for code in languages if code in _DATEPARSER_LANGUAGES]


def read_date(raw: str, languages: list[str] | None = None) -> datetime | None:
    """Parse an ISO 8601, RFC 822 or free-form date as written: aware when the text gives an offset, else naive."""
    text = raw.strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        pass
    if _RFC822_RE.match(text):  # feeds: 'Wed, 11 Feb 2026 14:30:00 +0300'
        try:
            return parsedate_to_datetime(text)
        except (ValueError, TypeError, IndexError):
            pass
    dotted = _DOTTED_RE.match(text)
    if dotted:  # '12.02.2026 14:30': day first wherever dots are written; dateparser would read 12 December
        day, month, year, hour, minute = (int(g) if g else 0 for g in dotted.groups())
        try:
            return datetime(year, month, day, hour, minute)
        except ValueError:
            return None
    with warnings.catch_warnings():
        # dateparser warns about its own use of deprecated regex/datetime APIs
        warnings.simplefilter("ignore")
        # no RETURN_AS_TIMEZONE_AWARE: dateparser then keeps an offset the text gives ('CEST', '+0200')
        settings = {"PREFER_DAY_OF_MONTH": "first", "PREFER_DATES_FROM": "past"}
        try:
            parsed: datetime | None = dateparser.parse(text[:80], languages=languages, settings=settings)
            return parsed
        except (ValueError, OverflowError, TypeError) as exc:
            logger.debug("Unparsable date %(raw)r: %(exc)s", {"raw": text, "exc": exc})
            return None


def parse_date(raw: str, timezone: str | None = None, languages: list[str] | None = None) -> datetime | None:
    """Parse an ISO 8601 or free-form date; naive results take ``timezone`` (else UTC)."""
    parsed = read_date(raw, languages)
    return _aware(parsed, timezone) if parsed else None


def _wall_minute(value: datetime) -> datetime:
    return value.replace(tzinfo=None, second=0, microsecond=0)


def choose_published(
    candidates: Sequence[str], timezone: str | None = None, languages: list[str] | None = None
) -> tuple[str, datetime] | None:
    """The publication date among the page's declared ones, most trusted first, completed from the others.

    The first plausible value wins, but a page often says the same time twice and only once well:
    - a time given without an offset takes the offset of another value with the same wall-clock time
      ('2023-04-28 18:11:01' and '2023-04-28T18:11:01+02:00');
    - a day without a time takes the time of another value on that day.

    ``languages`` narrow dateparser's search for values that are not ISO 8601 ('Fri Apr 28 19:20:36 CEST 2023'):
    with none it tries every locale it has, which costs seconds the first time.
    """
    found: list[tuple[str, datetime, bool]] = []  # (raw, value, whether the raw value gives its offset)
    for raw in candidates[:MAX_DATE_CANDIDATES]:
        read = read_date(raw, languages) if raw else None
        value = plausible(_aware(read, timezone)) if read else None
        if read and value:
            found.append((raw, value, read.tzinfo is not None))
    if not found:
        return None
    raw, best, explicit = found[0]
    if not has_time(raw):
        timed = next((v for r, v, _ in found[1:] if has_time(r) and v.date() == best.date()), None)
        if timed is not None:
            return raw, timed
    if not explicit:
        for _, other, other_explicit in found[1:]:
            if other_explicit and _wall_minute(other) == _wall_minute(best):
                return raw, best.replace(tzinfo=other.tzinfo)
    return raw, best


def has_time(raw: str) -> bool:
    """Whether a raw date string gives a time of day, not just a day."""
    return bool(_HAS_TIME_RE.search(raw.split("T", 1)[-1] if "T" in raw else raw))


def date_in_text(text: str, language: str, timezone: str | None) -> tuple[str, datetime] | None:
    """The first plausible date written in ``text`` (e.g. '11 февраля 2026, 14:30'), with its raw string."""
    languages = date_languages(language)
    for match in _TEXT_DATE_RE.finditer(text[:TEXT_DATE_CHARS]):
        raw = match.group(0).strip(" ,")
        parsed = plausible(parse_date(raw, timezone, languages))
        if parsed:
            return raw, parsed
    return None


def htmldate_date(tree: HtmlElement, url: str) -> str:
    """htmldate's original publication date (day precision), '' when it finds none."""
    try:
        return find_date(tree, url=url, original_date=True, extensive_search=False) or ""
    except (ValueError, TypeError) as exc:
        logger.debug("htmldate failed on %(url)s: %(exc)s", {"url": url, "exc": exc})
        return ""
