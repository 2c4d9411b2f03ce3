"""Publication dates: parsing, choosing among the page's declared dates, rejecting impossible ones."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from crawler.extract.dates import choose_published, date_in_text, date_languages, parse_date, plausible


@pytest.mark.parametrize(
    ("raw", "timezone", "expected"),
    [
        ("2026-02-12T09:30:00+00:00", None, "2026-02-12T09:30:00+00:00"),
        ("2026-02-12T09:30:00Z", None, "2026-02-12T09:30:00+00:00"),
        ("2026-02-12 09:30:00", "Europe/Moscow", "2026-02-12T09:30:00+03:00"),
        ("2026-02-12", None, "2026-02-12T00:00:00+00:00"),
        ("Wed, 11 Feb 2026 14:30:00 +0300", None, "2026-02-11T14:30:00+03:00"),
        # the zone name a Java CMS writes is kept as an offset
        ("Fri Apr 28 19:20:36 CEST 2023", None, "2023-04-28T19:20:36+02:00"),
        ("not a date", None, None),
        ("", None, None),
    ],
)
def test_parse_date(raw: str, timezone: str | None, expected: str | None) -> None:
    parsed = parse_date(raw, timezone, ["en"])
    assert (parsed.isoformat() if parsed else None) == expected


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (datetime(2024, 5, 1, tzinfo=UTC), True),
        (datetime(1990, 1, 1, tzinfo=UTC), False),  # a copyright year, not a publication
        (datetime.now(UTC) + timedelta(days=30), False),  # never in the future
        (datetime.now(UTC) + timedelta(hours=3), True),  # clock skew and time zones
    ],
)
def test_plausible(value: datetime, ok: bool) -> None:
    assert (plausible(value) is not None) is ok


@pytest.mark.parametrize(
    ("candidates", "timezone", "expected"),
    [
        # the most trusted plausible value wins
        (["2024-05-03T15:47:42+00:00", "2024-05-04T08:00:00+00:00"], None, "2024-05-03T15:47:42+00:00"),
        # an implausible first value gives way to the next
        (["2099-01-01T00:00:00Z", "2024-05-03T15:47:42+02:00"], None, "2024-05-03T15:47:42+02:00"),
        # a time without an offset takes the offset of another value with the same wall-clock time
        (["2023-04-28 18:11:01.0", "2023-04-28T18:11:01+02:00"], None, "2023-04-28T18:11:01+02:00"),
        (["Fri Apr 28 19:20:36 2023", "2023-04-28T19:20:36+0200"], None, "2023-04-28T19:20:36+02:00"),
        # ... but an explicit offset is never overridden
        (["2024-04-28T14:26:01+00:00", "2024-04-28T14:26:01+02:00"], None, "2024-04-28T14:26:01+00:00"),
        # a day without a time takes the time another value gives that day
        (["2026-01-27", "2026-01-27T12:13:17+01:00"], None, "2026-01-27T12:13:17+01:00"),
        (["2026-01-27", "2026-01-28T12:13:17+01:00"], None, "2026-01-27T00:00:00+00:00"),
        # the source's time zone for values without an offset
        (["2026-02-11T14:30:00"], "Europe/Moscow", "2026-02-11T14:30:00+03:00"),
        (["", "nonsense"], None, None),
    ],
)
def test_choose_published(candidates: list[str], timezone: str | None, expected: str | None) -> None:
    found = choose_published(candidates, timezone, ["en"])
    assert (found[1].isoformat() if found else None) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected_day"),
    [
        ("Москва, 11 февраля 2026, 14:30 — Роскомнадзор", "ru", "2026-02-11"),
        ("Publicado el 3 de junio de 2025 a las 10:15", "es", "2025-06-03"),
        ("Stand: 12.02.2026 14:30 Uhr", "de", "2026-02-12"),
        ("Updated February 12, 2026 at 9:30 am", "en", "2026-02-12"),
        # a language dateparser does not know falls back to English instead of failing
        ("Ilikuwa February 12, 2026", "sw", "2026-02-12"),
        ("No date here at all.", "en", None),
    ],
)
def test_date_in_text(text: str, language: str, expected_day: str | None) -> None:
    found = date_in_text(text, language, None)
    assert (found[1].date().isoformat() if found else None) == expected_day


@pytest.mark.parametrize("spaces", [0, 1, 3000])
def test_date_in_text_after_a_long_run_of_spaces(spaces: int) -> None:
    # an indented page: the time after the year is still found, and a long run of spaces after the year (which cost
    # seconds before _TIME's runs of space were made possessive) is read at once
    blank = " " * spaces
    found = date_in_text(f"Posted 11 February 2026,{blank}14:30 and more", "en", None)
    assert found is not None
    assert found[0] == f"11 February 2026,{blank}14:30"
    started = time.perf_counter()
    found = date_in_text(f"Posted 11 February 2026{blank}\n{blank}Next paragraph", "en", None)
    assert time.perf_counter() - started < 1.0
    assert found is not None
    assert found[0] == "11 February 2026"


def test_date_languages_leave_out_unknown_codes() -> None:
    assert date_languages("de") == ["de", "en"]
    assert date_languages("en") == ["en"]
    assert date_languages("zz") == ["en"]
