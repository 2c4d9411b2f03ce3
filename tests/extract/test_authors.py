"""Author names: splitting, cleaning, people before organisations, visible bylines."""

from __future__ import annotations

from typing import Any

import pytest
from lxml.html import fromstring

from crawler.extract.authors import byline_names, choose_authors, is_organisation
from crawler.extract.processors import split_authors

EMPTY_PAGE = "<html><body><p>Text</p></body></html>"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("By Jane Roe and John Doe, Staff Writer", ["Jane Roe", "John Doe"]),
        ("Elena Oberholzer (obe), Oliver Maksan (oma)", ["Elena Oberholzer", "Oliver Maksan"]),
        (
            "Trine Juncher Jørgensen og Tôrtia Reimer-Johansen",
            ["Trine Juncher Jørgensen", "Tôrtia Reimer-Johansen"],
        ),
        ("Av Per Olsen och Anna Berg", ["Per Olsen", "Anna Berg"]),
        ("Von Dr. Max Kolter", ["Dr. Max Kolter"]),
        ("Por Ernesto Valdés y Lucía Méndez", ["Ernesto Valdés", "Lucía Méndez"]),
        ("Автор: Ольга Крылова", ["Ольга Крылова"]),
        ("Олена Коваль та Андрій Мельник", ["Олена Коваль", "Андрій Мельник"]),
        ("Jane Roe <jane.roe@example.com>", ["Jane Roe"]),
        ("Jane Roe | Reporter", ["Jane Roe"]),
        ("By", []),
        ("https://www.facebook.com/someone", []),
    ],
)
def test_split_authors(value: str, expected: list[str]) -> None:
    assert split_authors(value) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Associated Press", True),
        ("Redaktion hessenschau.de", True),
        ("dpa", True),
        ("LTO", True),
        ("MM-Redaktion", True),
        ("Lesotho Times", True),
        ("Jane Roe", False),
        ("Miguel A. Herguedas", False),
        ("Ольга Крылова", False),
    ],
)
def test_is_organisation(name: str, expected: bool) -> None:
    assert is_organisation(name, ["Lesotho Times"], "https://lto.de/x") is expected


CASES: list[tuple[str, dict[str, Any], str, list[str]]] = [
    (
        "JSON-LD people",
        {"jsonld_people": ["Jane Roe"], "meta_values": ["John Doe"]},
        EMPTY_PAGE,
        ["Jane Roe"],
    ),
    (
        "a person in the meta tags beats an organisation in the JSON-LD",
        {"jsonld_organisations": ["Example News"], "meta_values": ["Jane Roe"]},
        EMPTY_PAGE,
        ["Jane Roe"],
    ),
    (
        "a person in the byline beats the site named as author",
        {"jsonld_people": ["Lesotho Times"], "site_names": ["Lesotho Times"]},
        "<html><body><div class='byline'>By Mathatisi Sebusi</div></body></html>",
        ["Mathatisi Sebusi"],
    ),
    (
        "an organisation only when no person is named",
        {"jsonld_organisations": ["BBC News"]},
        EMPTY_PAGE,
        ["BBC News"],
    ),
    (
        "a meta value naming an organisation names no people",
        {
            "jsonld_organisations": ["Redaktion hessenschau.de"],
            "meta_values": ["hessenschau.de, Frankfurt, Germany"],
        },
        EMPTY_PAGE,
        ["Redaktion hessenschau.de", "hessenschau.de"],
    ),
    ("nobody", {}, EMPTY_PAGE, []),
]


@pytest.mark.parametrize(("case", "fields", "page", "expected"), CASES, ids=[c[0] for c in CASES])
def test_choose_authors(case: str, fields: dict[str, Any], page: str, expected: list[str]) -> None:
    assert choose_authors(fromstring(page), **fields) == expected


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (
            "<div class='article-byline'><span>Birgit Baumann</span><span>Anna Giulia Fink</span></div>",
            ["Birgit Baumann", "Anna Giulia Fink"],
        ),
        (
            "<ul class='metaInfoAuthorList'><li><a href='/author/nf/'>Nathaniel Flakin</a></li></ul>",
            ["Nathaniel Flakin"],
        ),
        ("<p class='meta'>von <a href='/autoren/name/max-kolter'>Dr. Max Kolter</a></p>", ["Dr. Max Kolter"]),
        (
            "<div class='authors'><span class='u-visually-hidden'>capital</span><span>von</span> <b>Jemima Kelly</b></div>",
            ["Jemima Kelly"],
        ),
        ("<div class='byline'>Veröffentlicht am 27.04.24 um 07:39 Uhr</div>", []),
        ("<div class='author'>Quelle: sid</div>", []),
    ],
)
def test_byline_names(page: str, expected: list[str]) -> None:
    assert byline_names(fromstring(f"<html><body>{page}</body></html>")) == expected
