"""One walk for the elements several extractors read: the same elements, in the same order, as the walks and XPaths
it replaces, on whole pages and on the fragment element lxml.html.fromstring returns for a page without <html>."""

from __future__ import annotations

import pytest
from lxml.html import HtmlElement, document_fromstring, fromstring

from crawler.extract.body import paragraph_chars
from crawler.extract.boilerplate import link_texts
from crawler.extract.elements import PageElements, visible_text_start
from crawler.extract.metadata import page_metadata
from crawler.extract.page import parse_html
from crawler.extract.titles import visible_headings

_TEXT_XPATH = "//body//text()[not(ancestor::script) and not(ancestor::style)]"

PAGE = """<!DOCTYPE html>
<html lang="en"><head><title>Regulator blocks the app | Example News</title>
<meta property="og:title" content="Regulator blocks the app"><meta name="author" content="Jane Roe">
<link rel="stylesheet" href="/s.css"><link rel="canonical"><link rel="canonical" href="https://example.com/a">
<style>p { color: red }</style></head>
<body>Before <script>var x = "11 February 2026";</script>after the script
<header><time datetime="2026-02-11T10:00:00Z">11 February</time><h1>Site logo</h1></header>
<nav class="breadcrumb"><h1>Section</h1><a href="/news">News about the regulator and the app</a></nav>
<article><h1>Regulator blocks the app</h1><time datetime="2026-02-11T09:00:00Z"></time>
<p>The regulator ordered operators to block the messaging app on <b>Tuesday</b>, citing a court ruling.</p>
<p>Short.</p><p><a href="/x">A link inside a paragraph that is long enough to count</a> and some more text after.</p>
<svg><title>An icon</title></svg><style>.a{}</style>tail after style</article>
<time datetime="2026-02-10" class="published-at"></time><time datetime="2026-02-09" itemprop="datePublished"></time>
<time datetime="2026-01-01"></time><time pubdate datetime="2026-02-08"></time>
</body></html>"""


def _same_as_the_walks(tree: HtmlElement) -> None:
    elements = PageElements.of(tree)
    assert elements.anchors == list(tree.iter("a"))
    assert elements.paragraphs == list(tree.iter("p"))
    assert elements.articles == list(tree.iter("article"))
    assert elements.metas == list(tree.iter("meta"))
    assert elements.h1s == list(tree.getroottree().iter("h1"))
    assert elements.head_title(tree) == " ".join(tree.xpath("//head/title//text()"))
    assert link_texts(tree, elements) == link_texts(tree)
    assert paragraph_chars(tree, elements) == paragraph_chars(tree)
    assert visible_headings(tree, elements) == visible_headings(tree)
    assert page_metadata(tree, "https://example.com/a", elements) == page_metadata(tree, "https://example.com/a")


def test_page_elements_of_a_whole_page() -> None:
    tree = parse_html(PAGE)
    assert tree is not None
    _same_as_the_walks(tree)
    elements = PageElements.of(tree)
    assert elements.head_title(tree) == "Regulator blocks the app | Example News"
    assert len(elements.titles) == 2  # the <svg>'s too, which is not the page's title
    meta = page_metadata(tree, "https://example.com/a", elements)
    assert meta.canonical == "https://example.com/a"  # the first canonical link with an href
    # in <header>, in <article>, class 'publish...', itemprop: three at most, in page order
    assert meta.published_candidates[-3:] == ["2026-02-11T10:00:00Z", "2026-02-11T09:00:00Z", "2026-02-10"]


def test_page_elements_of_a_fragment_read_the_document_where_the_xpaths_did() -> None:
    # no <html>: lxml.html.fromstring returns the body's content, and '//h1', '//head/title' still read the page
    tree = fromstring(PAGE[PAGE.index("<body>") :].replace("<body>", "<body><head><title>T</title></head>"))
    assert tree.getroottree().getroot() is not tree
    _same_as_the_walks(tree)


@pytest.mark.parametrize(
    "head",
    [
        "<head></head>",
        "<head><title></title></head>",
        "<head><title>One</title><title>Two</title></head>",
        "<head><title>A <b>bold</b> title</title></head>",
    ],
)
def test_head_title_is_the_xpath(head: str) -> None:
    tree = document_fromstring(f"<html>{head}<body><svg><title>icon</title></svg><p>text</p></body></html>")
    assert PageElements.of(tree).head_title(tree) == " ".join(tree.xpath("//head/title//text()"))


@pytest.mark.parametrize("limit", [0, 1, 10, 40, 5000])
def test_visible_text_start_is_the_xpath_cut(limit: int) -> None:
    # lxml.html's own parser keeps comments and processing instructions: their tails are text, not their content
    html = PAGE.replace("<body>", "<body><!-- a comment -->comment tail <?pi x?>pi tail ")
    for tree in (parse_html(html), document_fromstring(html), fromstring(html[html.index("<body>") :])):
        assert tree is not None
        full = " ".join(tree.xpath(_TEXT_XPATH))
        assert visible_text_start(tree, limit) == full[:limit]
    tree = parse_html(PAGE)
    assert tree is not None
    text = visible_text_start(tree, 5000)
    assert "11 February 2026" not in text  # the script's
    assert "after the script" in text
    assert "tail after style" in text
    assert "p { color" not in text


def test_drop_code_keeps_data_scripts_and_every_tail() -> None:
    page = """<html><head><script type="application/ld+json">{"@type": "NewsArticle"}</script>
    <script>var state = {};</script><style>p {}</style></head><body>
    <p>First <script>track()</script>second</p><script id="__NEXT_DATA__" type="application/json">{"big": 1}</script>
    tail of the blob<script type="application/settings+json">{"date": "2026-02-11"}</script><style>.a{}</style>end
    </body></html>"""
    tree = document_fromstring(page)
    text_before = " ".join(tree.xpath(_TEXT_XPATH))
    elements = PageElements.of(tree)
    assert len(elements.code) == 7
    elements.drop_code()
    kept = [(s.tag, s.get("type")) for s in tree.iter("script", "style")]
    assert kept == [("script", "application/ld+json"), ("script", "application/settings+json")]
    assert tree.xpath("string(//p)") == "First second"
    body_text = " ".join(tree.xpath("//body//text()[not(ancestor::script)]"))
    assert "tail of the blob" in body_text
    assert body_text.split()[-1] == "end"
    # the visible text, as the date search reads it, is what it was
    assert " ".join(tree.xpath(_TEXT_XPATH)).split() == text_before.split()
