"""extract_article on whole (small, self-written) pages: every field, and nothing but NotAnArticle on bad input."""

from __future__ import annotations

import contextlib
import json
import random
import string
import subprocess
import sys

import pytest
from lxml.etree import tostring
from trafilatura.utils import load_html

from crawler.extract import ExtractionFailed, NotAnArticle, PageHints, extract_article
from crawler.extract.page import parse_html

TEXT = (
    "The telecoms regulator ordered internet providers to block the messaging service nationwide on Tuesday, "
    "citing a court ruling that found the company had ignored requests to remove channels. "
)


def article_page(
    jsonld: dict[str, object] | None = None, head: str = "", byline: str = "", extra: str = ""
) -> str:
    script = f'<script type="application/ld+json">{json.dumps(jsonld)}</script>' if jsonld else ""
    paragraphs = "".join(f"<p>{TEXT}Paragraph {i}.</p>" for i in range(6))
    return (
        f"<html lang='en'><head><title>Regulator blocks messenger | The Example Times</title>"
        f"<meta property='og:site_name' content='The Example Times'>{head}{script}</head>"
        f"<body><header><a href='/'>The Example Times</a></header><article><h1>Regulator blocks messenger</h1>"
        f"{byline}{paragraphs}{extra}</article></body></html>"
    )


def test_fields_from_json_ld() -> None:
    page = article_page(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": "Regulator blocks messenger",
            "datePublished": "2026-02-12 09:30:00",
            "author": [
                {"@type": "Person", "name": "Jane Roe (jr)"},
                {"@type": "Organization", "name": "Example Wire"},
            ],
        },
        head="<meta property='article:published_time' content='2026-02-12T09:30:00+03:00'>",
        extra="<p>Follow us on Telegram</p>",
    )
    article = extract_article(page, "https://example.org/2026/02/12/story.html")
    assert article.title == "Regulator blocks messenger"
    assert article.authors == ["Jane Roe"]
    assert article.published == "2026-02-12T09:30:00+03:00"
    assert article.language == "en"
    assert article.body.startswith(TEXT.strip())
    assert article.body.endswith("Paragraph 5.")
    assert "Follow us" not in article.body


def test_fields_without_structured_data() -> None:
    page = article_page(
        byline="<p class='byline'>By Jane Roe and John Doe</p><time datetime='2026-02-12'>12 Feb</time>"
    )
    hints = PageHints(published="2026-02-12T09:30:00Z")
    article = extract_article(page, "https://example.org/story", hints)
    assert article.title == "Regulator blocks messenger"
    assert article.authors == ["Jane Roe", "John Doe"]
    assert article.published == "2026-02-12T09:30:00+00:00"


def test_persian_zero_width_non_joiner_survives() -> None:
    text = "رفع فیلتر واتس‌اپ و گوگل‌پلی با مصوبه شورای عالی فضای مجازی اعلام شد و کاربران از سه‌شنبه دسترسی دارند. "
    page = f"<html lang='fa'><body><article><h1>رفع فیلتر</h1><p>{text * 4}</p><p>{text * 3}</p></article></body></html>"
    article = extract_article(page, "https://example.org/fa/story")
    assert "واتس\u200cاپ" in article.body
    assert article.language == "fa"


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "\x00\x01\x02",
        "<html>",
        "not html at all",
        "<?xml version='1.0'?><rss><channel></channel></rss>",
        "<html><body>" + "<div>" * 3000 + "deep" + "</div>" * 3000 + "</body></html>",
        article_page(
            {
                "@type": "NewsArticle",
                "headline": {"x": 1},
                "author": {"name": {"a": [1]}},
                "datePublished": {"@value": 5},
                "articleBody": ["a", "b"],
            }
        ),
        article_page(
            {"@type": ["NewsArticle", 5], "author": [None, 5, {"@type": 5}], "datePublished": "9999-99-99"}
        ),
        article_page(
            head="<meta name='author' content='@@@'><meta property='article:published_time' content='soon'>"
        ),
    ],
)
def test_bad_input_gives_an_article_or_not_an_article(html: str) -> None:
    try:
        article = extract_article(html, "https://example.org/x")
    except NotAnArticle as exc:
        assert exc.reason
    else:
        assert article.url == "https://example.org/x"


def test_random_markup_never_raises_anything_else() -> None:
    rnd = random.Random(7)
    pieces = [
        "<p>",
        "</p>",
        "<div class='byline'>",
        "</div>",
        "<a href='/author/x'>",
        "</a>",
        "<h1>",
        "</h1>",
        "<time datetime='2024-13-45'>",
        "<script type='application/ld+json'>{",
        "}</script>",
        "By",
        "word",
        "слово",
        "Related:",
        "2024",
        "<meta name='author' content='By, and'>",
        *string.punctuation,
    ]
    for _ in range(40):
        html = (
            "<html><body>"
            + " ".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 400)))
            + "</body></html>"
        )
        with contextlib.suppress(NotAnArticle):
            extract_article(html, "https://example.org/x")


def test_a_page_longer_than_the_bound_is_cut_before_parsing() -> None:
    paragraph = f"<p>{TEXT}</p>"
    html = article_page() + "<div>" + paragraph * 20_000 + "</div>"
    article = extract_article(html, "https://example.org/big", max_chars=200_000)
    assert len(article.body) < 200_000


def test_too_little_text_is_not_an_article() -> None:
    with pytest.raises(NotAnArticle, match="no article text"):
        extract_article("<html><body><p>Login</p></body></html>", "https://example.org/login")


def test_a_library_failure_is_reported_as_extraction_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("extruct said no")

    monkeypatch.setattr("crawler.extract.page.page_metadata", broken)
    with pytest.raises(ExtractionFailed, match="extraction failed: ValueError: extruct said no"):
        extract_article(article_page(), "https://example.org/story")


@pytest.mark.parametrize(
    "html",
    [
        article_page(),
        "<!DOCTYPE html PUBLIC '-//W3C//DTD XHTML 1.0//EN' '/x.dtd'/>\n<html><body><p>text</p></body></html>",
        "<html lang='en' />\n<head><title>t</title></head><body><p>text</p></body></html>",
        "<html><body><p>control\x00char\x0b and \ufffe non-characters</p></body></html>",
        "<?xml version='1.0' encoding='utf-8'?><html><body><p>declared encoding</p></body></html>",
        "<p>a fragment</p>",
        "plain text",
        "",
    ],
)
def test_parse_html_makes_the_tree_trafilatura_makes(html: str) -> None:
    """parse_html takes a shortcut through trafilatura's load_html: same tree, same rejections."""
    ours, theirs = parse_html(html), load_html(html)
    assert (ours is None) == (theirs is None)
    if ours is not None and theirs is not None:
        assert tostring(ours) == tostring(theirs)


def test_extruct_readers_load_without_the_syntaxes_never_used() -> None:
    """Extraction imports extruct's JSON-LD and microdata readers only (not mf2py, BeautifulSoup, rdflib: a fifth
    of a crawl's start-up), and the extruct package stays importable as usual afterwards."""
    script = (
        "import sys\n"
        "import crawler.extract.page\n"
        "print(sorted(m for m in ('mf2py', 'bs4', 'rdflib', 'requests', 'html5lib', 'extruct') if m in sys.modules))\n"
        "import extruct, extruct.jsonld\n"
        "from crawler.extract.metadata import JsonLdExtractor\n"
        "html = '<script type=\"application/ld+json\">{\"@type\": \"NewsArticle\"}</script>'\n"
        "print(extruct.extract(html, syntaxes=['json-ld'])['json-ld'], JsonLdExtractor().extract(html))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120)
    loaded, usable = result.stdout.splitlines()
    assert loaded == "[]"
    assert usable == "[{'@type': 'NewsArticle'}] [{'@type': 'NewsArticle'}]"
