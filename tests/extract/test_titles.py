"""Choosing the headline among a page's fields, and taking the site's name off it."""

from __future__ import annotations

from typing import Any

import pytest

from crawler.extract.titles import choose_title, is_site_name, strip_site_name


@pytest.mark.parametrize(
    ("title", "site_names", "url", "others", "expected"),
    [
        ("Russia blocks FaceTime | The Daily Globe", ["The Daily Globe"], "", [], "Russia blocks FaceTime"),
        ("The Daily Globe | Russia blocks FaceTime", ["The Daily Globe"], "", [], "Russia blocks FaceTime"),
        # the host name spelled out, no declared site name
        (
            "LTE-Patent: Samsung soll Smartphones zerstören - Golem.de",
            [],
            "https://www.golem.de/news/x.html",
            [],
            "LTE-Patent: Samsung soll Smartphones zerstören",
        ),
        (
            "Anti-terror op turns sinister - Times of India",
            [],
            "https://timesofindia.indiatimes.com/world/1.cms",
            [],
            "Anti-terror op turns sinister",
        ),
        (
            "Steigende US-Zinsen setzen Dax zu | Börsen-Zeitung",
            [],
            "https://www.boersen-zeitung.de/k/x",
            [],
            "Steigende US-Zinsen setzen Dax zu",
        ),
        # the head is what another field says
        (
            "„Unermüdlicher Einsatz“ - Die Neue Südtiroler Tageszeitung",
            [],
            "https://example.it/x",
            ["„Unermüdlicher Einsatz“"],
            "„Unermüdlicher Einsatz“",
        ),
        # a date after the site's name
        ("Was wissen wir? – DW – 13.06.2023", ["DW"], "", [], "Was wissen wir?"),
        # a dash inside the headline stays
        (
            "Trump plant Helikopterlandeplatz – während sein Ballsaal-Projekt stockt",
            ["Tages-Anzeiger"],
            "",
            [],
            "Trump plant Helikopterlandeplatz – während sein Ballsaal-Projekt stockt",
        ),
        (
            "Rückschlag im Titelkampf - Liverpool verliert bei Everton",
            ["sportschau.de"],
            "",
            [],
            "Rückschlag im Titelkampf - Liverpool verliert bei Everton",
        ),
    ],
)
def test_strip_site_name(
    title: str, site_names: list[str], url: str, others: list[str], expected: str
) -> None:
    assert strip_site_name(title, site_names, url, others) == expected


@pytest.mark.parametrize(
    ("tail", "url", "expected"),
    [
        ("Golem.de", "https://www.golem.de/x", True),
        ("Seznam Zprávy", "https://www.seznamzpravy.cz/clanek/x", True),
        ("Liverpool verliert bei Everton", "https://www.sportschau.de/x", False),
        ("National", "https://globalnews.ca/news/1/", False),
    ],
)
def test_is_site_name(tail: str, url: str, expected: bool) -> None:
    assert is_site_name(tail, [], url) is expected


CASES: list[tuple[str, dict[str, Any], str]] = [
    (
        "JSON-LD headline first",
        {
            "headline": "Labor on track to hit 2030 target",
            "og_title": "Labor on track",
            "h1s": ["Labor on track"],
        },
        "Labor on track to hit 2030 target",
    ),
    (
        "og:title without its site name when there is no JSON-LD",
        {"og_title": "Mining blasts shatter homes - Lesotho Times", "site_names": ["Lesotho Times"]},
        "Mining blasts shatter homes",
    ),
    (
        "a headline that starts with an ellipsis is a subheading",
        {
            "headline": "… environmental groups concerned",
            "og_title": "Green hydrogen pipeline flagged - The Namibian",
            "h1s": ["Green hydrogen pipeline flagged", "… environmental groups concerned"],
            "site_names": ["The Namibian"],
        },
        "Green hydrogen pipeline flagged",
    ),
    (
        "the kicker another field leaves out goes",
        {
            "headline": "Neue Leipziger Schule: Judy Lybke, ganz und gar nicht eigenartig",
            "og_title": "Judy Lybke, ganz und gar nicht eigenartig",
        },
        "Judy Lybke, ganz und gar nicht eigenartig",
    ),
    (
        "an <h1> another field confirms beats the site's login <h1>",
        {
            "h1s": ["Log In", "Christie's Exit Marks the End"],
            "title_tag": "Christie's Exit Marks the End | The Nation",
            "site_names": ["The Nation"],
        },
        "Christie's Exit Marks the End",
    ),
    (
        "the feed's title when the page has nothing",
        {"feed_title": "Cuba corta el internet móvil en Santiago"},
        "Cuba corta el internet móvil en Santiago",
    ),
    ("nothing at all", {}, ""),
]


@pytest.mark.parametrize(("case", "fields", "expected"), CASES, ids=[c[0] for c in CASES])
def test_choose_title(case: str, fields: dict[str, Any], expected: str) -> None:
    assert choose_title(**fields) == expected
