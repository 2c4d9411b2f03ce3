"""Choosing the headline among a page's fields, and taking the site's name off it."""

from __future__ import annotations

from typing import Any

import pytest

from crawler.extract.page import parse_html
from crawler.extract.titles import Heading, choose_title, is_site_name, strip_site_name, visible_headings


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
        "JSON-LD headline first when no visible heading confirms another",
        {
            "headline": "Labor on track to hit 2030 target",
            "og_title": "Labor on track",
            "h1s": ["Subscribe to our newsletter"],
        },
        "Labor on track to hit 2030 target",
    ),
    (
        "the declared headline the <h1> shows beats a JSON-LD headline written for search engines",
        {
            "headline": "Harbour bridge toll: what drivers pay from June",
            "og_title": "Drivers will pay more to cross the harbour bridge",
            "h1s": ["Drivers will pay more to cross the harbour bridge"],
            "title_tag": "Harbour bridge toll: what drivers pay from June | The Coast Herald",
            "site_names": ["The Coast Herald"],
        },
        "Drivers will pay more to cross the harbour bridge",
    ),
    (
        "a visible heading outvoted by the other fields gives way to the declared order",
        {
            "headline": "Council votes to close the old library",
            "og_title": "Old library to close after council vote",
            "twitter_title": "Old library to close after council vote",
            "title_tag": "Old library to close after council vote - Valley News",
            "h1s": ["Council votes to close the old library"],
            "site_names": ["Valley News"],
        },
        "Council votes to close the old library",
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


def _headings(body: str) -> list[Heading]:
    tree = parse_html(f"<html><head><title>x</title></head><body>{body}</body></html>")
    assert tree is not None
    return visible_headings(tree)


PARAGRAPH = (
    "<p>" + "The committee met on Tuesday and heard evidence from residents and experts. " * 2 + "</p>"
)


def test_visible_headings_skip_a_breadcrumb_h1_and_take_the_article_heading() -> None:
    headings = _headings(
        "<main><article><nav class='crumbs'><ul><li><h1>SEO headline in the breadcrumb</h1></li></ul></nav>"
        "<div><h2><span class='kicker'>Opinion</span><span class='headline'>Why the reform fell short</span></h2>"
        f"</div>{PARAGRAPH}<h2>A subheading after the text</h2>{PARAGRAPH}</article></main>"
    )
    assert headings == [Heading("Opinion Why the reform fell short", "Why the reform fell short")]


def test_visible_headings_keep_article_h1_and_drop_breadcrumb_class() -> None:
    headings = _headings(
        "<div class='site-breadcrumb'><h1>Home / News</h1></div>"
        f"<article><header><h1>Storm closes the coast road</h1></header>{PARAGRAPH}</article>"
    )
    assert [h.text for h in headings] == ["Storm closes the coast road"]
    assert headings[0].part == ""


def test_a_heading_with_a_long_first_element_has_no_kicker_part() -> None:
    headings = _headings(
        "<article><h1><span>Storm closes the coast road for the second time this winter</span>"
        f"<span>again</span></h1>{PARAGRAPH}</article>"
    )
    assert headings[0].part == ""


KICKER_CASES: list[tuple[str, dict[str, Any], str]] = [
    (
        "the part after a markup kicker, when og:title declares it so",
        {
            "headline": "Pension reform: why it fell short",
            "og_title": "Why the reform fell short",
            "title_tag": "Pension reform: why it fell short | Daily Post",
            "site_names": ["Daily Post"],
            "headings": [Heading("Opinion Why the reform fell short", "Why the reform fell short")],
        },
        "Why the reform fell short",
    ),
    (
        "the whole heading, kicker and all, when every field declares it with the kicker",
        {
            "headline": "Eisheilige 2024: Wann sie sind und wie das Wetter wird",
            "og_title": "Eisheilige 2024: Wann sie sind und wie das Wetter wird",
            "headings": [
                Heading(
                    "Eisheilige 2024 Wann sie sind und wie das Wetter wird",
                    "Wann sie sind und wie das Wetter wird",
                )
            ],
        },
        "Eisheilige 2024: Wann sie sind und wie das Wetter wird",
    ),
    (
        "a kicker set apart by markup on the page and by ' / ' in og:title keeps its separator",
        {
            "headline": "Der Streik naht: Gewerkschaften zeigen Einigkeit",
            "og_title": "Nationaler Streik / Der Streik naht: Gewerkschaften zeigen Einigkeit",
            "headings": [Heading("Nationaler Streik Der Streik naht: Gewerkschaften zeigen Einigkeit")],
        },
        "Nationaler Streik / Der Streik naht: Gewerkschaften zeigen Einigkeit",
    ),
    (
        "a one-word heading confirms nothing",
        {
            "headline": "Storm closes the coast road",
            "og_title": "Politics",
            "headings": [Heading("Politics")],
        },
        "Storm closes the coast road",
    ),
]


@pytest.mark.parametrize(("case", "fields", "expected"), KICKER_CASES, ids=[c[0] for c in KICKER_CASES])
def test_choose_title_with_visible_headings(case: str, fields: dict[str, Any], expected: str) -> None:
    assert choose_title(**fields) == expected
