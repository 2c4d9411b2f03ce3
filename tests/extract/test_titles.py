"""Choosing the headline among a page's fields, and taking the site's name off it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crawler.extract import extract_article
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


# --- Whole pages: which declared headline wins when the fields disagree -------------------------------------------

STORY = (
    "Energy companies were told on Monday that the licences would be granted within weeks, officials said, "
    "although analysts warned that the investment needed would take years to pay off. "
)


def _page(head: str, h1: str, jsonld: dict[str, object] | None = None) -> str:
    script = f'<script type="application/ld+json">{json.dumps(jsonld)}</script>' if jsonld else ""
    paragraphs = "".join(f"<p>{STORY}Paragraph {i}.</p>" for i in range(4))
    return (
        f"<html lang='en'><head><meta property='og:site_name' content='The Example Times'>{head}{script}</head>"
        f"<body><header><a href='/'>The Example Times</a></header>"
        f"<article><h1>{h1}</h1>{paragraphs}</article></body></html>"
    )


def _title(html: str) -> str:
    return extract_article(html, "https://example.org/2026/01/06/oil-story.html").title


LONG = "Oil dream for US firms will be neither cheap nor easy, experts warn"
SHORT = "Oil dream will not be easy, experts warn"


def test_og_and_twitter_titles_outweigh_a_heading_only_the_title_tag_confirms() -> None:
    # <title> weighs half: og:title + twitter:title (2) beat <title> + the heading (1.5)
    html = _page(
        f"<title>{LONG} | The Example Times</title><meta property='og:title' content='{SHORT}'>"
        f"<meta name='twitter:title' content='{SHORT}'>",
        LONG,
    )
    assert _title(html) == SHORT


def test_a_heading_the_title_tag_confirms_beats_og_title_alone() -> None:
    html = _page(
        f"<title>{LONG} | The Example Times</title><meta property='og:title' content='{SHORT}'>", LONG
    )
    assert _title(html) == LONG


def test_a_heading_og_title_confirms_beats_json_ld_and_title_tag() -> None:
    # og:title + the heading (2) against the JSON-LD headline + <title> (1.5)
    html = _page(
        f"<title>{LONG} | The Example Times</title><meta property='og:title' content='{SHORT}'>",
        SHORT,
        {"@context": "https://schema.org", "@type": "NewsArticle", "headline": LONG},
    )
    assert _title(html) == SHORT


@pytest.mark.parametrize(
    ("jsonld_headline", "og_title", "title_tag", "expected"),
    [
        # two fields spell the quotes straight, one curly: straight
        (
            "Strava unveils &#8216;family&#8217; plan",
            "Strava unveils 'family' plan",
            "Strava unveils 'family' plan | The Example Times",
            "Strava unveils 'family' plan",
        ),
        # two fields curly (the JSON-LD and <title>), one straight: curly
        (
            "What\u2019s right, not what\u2019s easy",
            "What's right, not what's easy",
            "What\u2019s right, not what\u2019s easy | The Example Times",
            "What\u2019s right, not what\u2019s easy",
        ),
        # one each (and a <title> with another headline): the JSON-LD's spelling, first in the declared order
        (
            "Mexico to fight \u2018illogical\u2019 steel tariffs",
            "Mexico to fight 'illogical' steel tariffs",
            "Mexico pushes back on steel tariffs | The Example Times",
            "Mexico to fight \u2018illogical\u2019 steel tariffs",
        ),
    ],
)
def test_the_quote_style_most_declared_fields_use(
    jsonld_headline: str, og_title: str, title_tag: str, expected: str
) -> None:
    html = _page(
        f'<title>{title_tag}</title><meta property="og:title" content="{og_title}">',
        # the heading shows the curly spelling in every case
        jsonld_headline.replace("&#8216;", "\u2018").replace("&#8217;", "\u2019").replace("'", "\u2019"),
        {"@context": "https://schema.org", "@type": "NewsArticle", "headline": jsonld_headline},
    )
    assert _title(html) == expected


OLYMPIC_SHORT = "Tears for the Olympic hope, then came the twist"
OLYMPIC_LONG = "Paris 2024: Tears flowed for pole vaulter Jane Doe, then came the twist"


def test_a_json_ld_that_names_the_article_as_og_title_does_gives_way_to_it() -> None:
    # og:title, twitter:title and <title> (2.5) outweigh the JSON-LD headline and the heading (2); the JSON-LD's
    # precedence would keep its headline, but its own 'name' is the og:title
    head = (
        f"<title>{OLYMPIC_LONG} - The Example Times</title><meta property='og:title' content='{OLYMPIC_LONG}'>"
        f"<meta name='twitter:title' content='{OLYMPIC_LONG}'>"
    )
    jsonld: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": OLYMPIC_SHORT,
    }
    assert _title(_page(head, OLYMPIC_SHORT, {**jsonld, "name": OLYMPIC_LONG})) == OLYMPIC_LONG
    # without that name, or with a name that is the headline and the site's name, the JSON-LD headline
    assert _title(_page(head, OLYMPIC_SHORT, jsonld)) == OLYMPIC_SHORT
    named = {**jsonld, "name": f"{OLYMPIC_SHORT} | The Example Times"}
    assert _title(_page(head, OLYMPIC_SHORT, named)) == OLYMPIC_SHORT


def test_a_json_ld_name_that_shortens_the_headline_is_no_other_headline() -> None:
    head = (
        f"<title>{OLYMPIC_LONG}</title><meta property='og:title' content='{OLYMPIC_LONG}'>"
        f"<meta name='twitter:title' content='{OLYMPIC_LONG}'>"
    )
    jsonld = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": OLYMPIC_SHORT,
        "name": "Tears for the Olympic hope\u2026",
    }
    assert _title(_page(head, OLYMPIC_SHORT, jsonld)) == OLYMPIC_SHORT
