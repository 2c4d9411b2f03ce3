"""The article body: JSON-LD articleBody as a reference, second passes, boilerplate removal."""

from __future__ import annotations

import json

import pytest
from lxml.html import fromstring, tostring

import crawler.extract.body as body_module
from crawler.extract.body import (
    chrome_detached,
    coverage,
    extract_body,
    is_complete,
    jsonld_text,
    paragraph_chars,
    story_alone,
    story_element,
)
from crawler.extract.elements import PageElements
from crawler.extract.page import parse_html
from crawler.extract.processors import clean_body, clean_text

PARAGRAPHS = [
    f"Paragraph {i} says that the regulator ordered operators to restrict the messaging service in region {i}, "
    f"citing a court decision, and that users reported failed calls and slow downloads for several hours."
    for i in range(1, 9)
]


def page(visible: list[str], *, jsonld_body: str = "", extra: str = "") -> str:
    script = ""
    if jsonld_body:
        document = {"@context": "https://schema.org", "@type": "NewsArticle", "articleBody": jsonld_body}
        script = f'<script type="application/ld+json">{json.dumps(document)}</script>'
    paragraphs = "".join(f"<p>{p}</p>" for p in visible)
    return (
        f"<html><head><title>Story</title>{script}</head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>Story</h1>{paragraphs}{extra}</article><footer>© Example</footer></body></html>"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<p>One &amp; two.</p><p>Three.</p>", "One & two.\nThree."),
        ("Plain text,<br/>with a break", "Plain text,\nwith a break"),
        ("No markup at all.", "No markup at all."),
    ],
)
def test_jsonld_text(value: str, expected: str) -> None:
    assert jsonld_text(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" ".join(PARAGRAPHS), True),
        (" ".join(PARAGRAPHS) + "...", False),
        (PARAGRAPHS[0][:150] + "…", False),
        ("Too short.", False),
    ],
)
def test_is_complete(text: str, expected: bool) -> None:
    assert is_complete(text) is expected


def test_coverage() -> None:
    words = [f"w{i}" for i in range(200)]
    reference = " ".join(words)
    assert coverage(reference, reference) == 1.0
    assert coverage(" ".join(words[:100]).upper(), reference) == pytest.approx(97 / 197)  # case does not matter
    assert coverage(" ".join(words[100:]) + ". " + " ".join(words[:100]), reference) == pytest.approx(194 / 197)
    assert coverage("", reference) == 0.0
    assert coverage(reference, "") == 0.0
    # Of the template-like PARAGRAPHS, two of four share most of their 4-grams with the other two: distinct
    # 4-grams are counted, each once.
    assert 0.5 < coverage(" ".join(PARAGRAPHS[:2]), " ".join(PARAGRAPHS[:4])) < 1.0


def test_paragraph_chars_counts_each_paragraph_once() -> None:
    tree = fromstring(page(PARAGRAPHS[:2] + PARAGRAPHS[:1] + ["Short caption."]))
    assert paragraph_chars(tree) == len(PARAGRAPHS[0]) + len(PARAGRAPHS[1])


def paragraphs_of(body: str) -> list[str]:
    """The body's lines from the first paragraph on (trafilatura keeps the <h1>; the page extractor drops it)."""
    lines = body.split("\n")
    return lines[lines.index(PARAGRAPHS[0]) :] if PARAGRAPHS[0] in lines else lines


def test_body_is_the_article_without_promotions() -> None:
    extra = "<p>Sign up for our daily newsletter</p><p>Follow us on Telegram</p>"
    body = extract_body(fromstring(page(PARAGRAPHS[:4], extra=extra)), "https://example.org/a")
    assert paragraphs_of(body) == PARAGRAPHS[:4]


def test_complete_jsonld_body_replaces_a_cut_short_text() -> None:
    # the page shows two paragraphs (a paywall), its JSON-LD has all eight
    tree = fromstring(page(PARAGRAPHS[:2], jsonld_body="\n".join(PARAGRAPHS)))
    assert paragraphs_of(extract_body(tree, "https://example.org/a", "\n".join(PARAGRAPHS))) == PARAGRAPHS


def test_teaser_jsonld_body_is_not_trusted() -> None:
    teaser = PARAGRAPHS[0][:180] + "…"
    tree = fromstring(page(PARAGRAPHS[:4], jsonld_body=teaser))
    assert paragraphs_of(extract_body(tree, "https://example.org/a", teaser)) == PARAGRAPHS[:4]


@pytest.mark.parametrize("jsonld_body", ["", " ".join(PARAGRAPHS[:2])])
def test_extract_body_leaves_the_tree_whole(jsonld_body: str) -> None:
    """The tree is shared with the metadata, title and date steps: no trafilatura pass (first, second, default
    mode) may prune it. trafilatura >= 2.3.1 copies what it is given, so extract_body no longer copies it."""
    html = page(PARAGRAPHS[:2], jsonld_body=jsonld_body, extra="<aside><p>Related: another story</p></aside>")
    tree = parse_html(html)
    before = tostring(tree)
    assert extract_body(tree, "https://example.com/story", jsonld_body)
    assert tostring(tree) == before


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  one \u00a0 line \t ",
        "first\r\nsecond\rstill second\n\n\nthird",
        "zero\u200bwidth space, soft\u00adhyphen, \ufeffbom",
        "entities &amp; &nbsp;nbsp &#8203;zwsp &shy;shy &#10;newline",
        "e\u0301 composed, \u2028 line separator \x1c\x85 and \u3000 ideographic space\n\u2005\n",
    ],
)
def test_clean_body_is_clean_text_with_lines_collapsed(text: str) -> None:
    """clean_body does in one pass what clean_text and a whitespace collapse per line do."""
    lines = (" ".join(line.split()) for line in clean_text(text).split("\n"))
    assert clean_body(text) == "\n\n".join(line for line in lines if line)


CHROME_PAGE = (
    "<html><head><title>Story - Site</title><meta name='description' content='About it'></head>"
    "<body><header><nav><a href='/'>Home</a><menu><li>World</li></menu></nav><h1>Story</h1></header>"
    "<article><p>First paragraph.</p><aside>Sidebar<aside>Nested box</aside></aside> tail of the sidebar."
    "<p>Second paragraph.</p><div><aside aria-label='Related'><a href='/r'>Related story</a></aside> after.</div>"
    "</article><footer>Imprint</footer> end.</body></html>"
)
CHROME_TAGS = ("aside", "footer", "head", "menu", "nav")


def test_chrome_is_out_for_the_block_with_its_tails_kept_then_back_as_it_was() -> None:
    tree = fromstring(CHROME_PAGE)
    before = tostring(tree)
    with chrome_detached(tree) as pruned:
        assert pruned is tree
        # all of them, also the box after a sidebar holding another (trafilatura's own deletion loop stops there)
        assert [e.tag for e in tree.iter(CHROME_TAGS)] == []
        text = " ".join(tree.text_content().split())
        assert text == "StoryFirst paragraph. tail of the sidebar.Second paragraph. after. end."
    assert tostring(tree) == before  # the page is whole again for the readers that come after


def test_chrome_is_put_back_when_the_block_fails() -> None:
    tree = fromstring(CHROME_PAGE)
    before = tostring(tree)
    with pytest.raises(RuntimeError), chrome_detached(tree):
        raise RuntimeError("extractor failed")
    assert tostring(tree) == before


def test_a_page_without_chrome_is_left_alone() -> None:
    tree = fromstring("<html><body><article><p>Only text.</p></article></body></html>")
    before = tostring(tree)
    with chrome_detached(tree):
        assert tostring(tree) == before
    assert tostring(tree) == before


def test_many_chrome_siblings_join_their_tails_in_order_and_come_back() -> None:
    """A run of chrome elements between two paragraphs (thousands, as a hostile page may have): their tails join
    the text before them in page order, and every element comes back in its place."""
    runs = "".join(f"<nav><a href='/{i}'>link {i}</a></nav>t{i} " for i in range(3000))
    tree = fromstring(f"<html><body><div>start <nav>first</nav>a <p>one</p>{runs}<p>two</p></div></body></html>")
    before = tostring(tree)
    with chrome_detached(tree):
        assert next(tree.iter("nav"), None) is None
        div = tree.find(".//div")
        assert div.text == "start a "
        assert div[0].tail == "".join(f"t{i} " for i in range(3000))
    assert tostring(tree) == before


ARTICLE_PAGE = (
    "<html><head><title>Story</title></head><body>before <div id='top'>Top <b>news</b></div> after top"
    "<main><section>Most read<p>Another story entirely.</p></section> between "
    "<div class='wrap'><span>Share</span> lead <article><h1>Story</h1><p>First paragraph.</p></article> tail "
    "<div>More from the site</div> end</div></main><div id='bottom'>Bottom</div> last</body></html>"
)


def test_the_article_is_alone_for_the_block_then_everything_is_back_with_its_tails() -> None:
    tree = fromstring(ARTICLE_PAGE)
    before = tostring(tree)
    article = tree.find(".//article")
    with story_alone(tree, article) as alone:
        assert alone is tree
        # the article and its ancestors, with their own text before their first child and the article's tail
        assert [e.tag for e in tree.iter()] == ["html", "body", "main", "div", "article", "h1", "p"]
        assert " ".join(tree.text_content().split()) == "before StoryFirst paragraph. tail"
    assert tostring(tree) == before


def test_the_article_is_put_back_when_the_block_fails() -> None:
    tree = fromstring(ARTICLE_PAGE)
    before = tostring(tree)
    with pytest.raises(RuntimeError), story_alone(tree, tree.find(".//article")):
        raise RuntimeError("extractor failed")
    assert tostring(tree) == before


def test_no_article_or_one_taken_out_with_the_chrome_leaves_the_page_whole() -> None:
    tree = fromstring("<html><body><aside><article><p>Teaser.</p></article></aside><p>Story.</p></body></html>")
    before = tostring(tree)
    with story_alone(tree, None):
        assert tostring(tree) == before
    with chrome_detached(tree), story_alone(tree, tree.find(".//article")):
        assert [e.tag for e in tree.iter()] == ["html", "body", "p"]
    aside_article = fromstring(ARTICLE_PAGE.replace("<article>", "<aside><article>").replace("</article>",
                                                                                          "</article></aside>"))
    before = tostring(aside_article)
    article = aside_article.find(".//article")
    with chrome_detached(aside_article), story_alone(aside_article, article):
        assert aside_article.find(".//main") is not None  # nothing taken out but the chrome
    assert tostring(aside_article) == before


def _passes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The text of the tree each trafilatura pass of extract_body reads (the real passes run)."""
    seen: list[str] = []
    real = body_module.trafilatura_text

    def recording(tree: object, url: str, **options: bool) -> str:
        seen.append(" ".join(tree.text_content().split()))  # type: ignore[attr-defined]
        return real(tree, url, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(body_module, "trafilatura_text", recording)
    return seen


def test_the_first_pass_reads_the_one_story_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    outside = "Most read elsewhere: the lottery draw, the weather, the football results of the week and more."
    html = page(PARAGRAPHS[:6]).replace("<article>", f"<div class='most-read'><p>{outside}</p></div><article>")
    seen = _passes(monkeypatch)
    body = extract_body(parse_html(html), "https://example.org/story")
    assert all(p in body for p in PARAGRAPHS[:6]) and outside not in body
    assert len(seen) == 1 and outside not in seen[0] and PARAGRAPHS[0] in seen[0]


def test_a_teaser_article_sends_the_pass_back_to_the_whole_page(monkeypatch: pytest.MonkeyPatch) -> None:
    story = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:6])
    html = ("<html><head><title>Story</title></head><body><div class='story'><h1>Story</h1>" + story + "</div>"
            "<article class='teaser'><p>Read also: a short teaser.</p></article></body></html>")
    seen = _passes(monkeypatch)
    body = extract_body(parse_html(html), "https://example.org/story")
    assert PARAGRAPHS[0] not in seen[0]  # the teaser alone first ...
    assert all(p in body for p in PARAGRAPHS[:6])  # ... then the whole page


def _teasers(count: int) -> str:
    return "".join(f"<article class='teaser'><h2>Other story {i}</h2><p>Teaser {i}.</p></article>" for i in range(count))


@pytest.mark.parametrize(
    ("html", "story"),
    [
        ("<body><article id='s'><h1>T</h1><p>x</p></article></body>", True),  # the only one
        (f"<body><div>{_teasers(3)}</div><main><article id='s'><h1>T</h1></article></main>{_teasers(2)}</body>", True),
        (f"<body><h1>T</h1>{_teasers(3)}</body>", False),  # the <h1> in none of them
        ("<body><article><h1>A</h1></article><article><h1>B</h1></article></body>", False),  # two <h1>s
        ("<body><article><article id='s'><h1>T</h1></article></article></body>", False),  # nested: both hold it
        ("<body><p>No article.</p></body>", False),
        ("<body><nav>x</nav><main id='s'><h1>T</h1><p>x</p></main></body>", True),  # no <article>: the one <main>
        (f"<body><main id='s'><h1>A</h1>{_teasers(1)}</main><article><h1>B</h1></article></body>", True),
        ("<body><main><p>a</p></main><main><p>b</p></main></body>", False),  # two <main>s
    ],
)
def test_the_story_element_is_the_article_holding_it_or_the_main(html: str, story: bool) -> None:
    tree = fromstring(f"<html>{html}</html>")
    found = story_element(tree)
    assert (found is not None and found.get("id") == "s") if story else found is None
    assert story_element(tree, PageElements.of(tree)) is found  # the same from the elements gathered already


def test_the_first_pass_reads_the_article_holding_the_headline_among_teasers(monkeypatch: pytest.MonkeyPatch) -> None:
    story = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:6])
    html = (f"<html><head><title>Story</title></head><body><div class='rail'>{_teasers(4)}</div>"
            f"<article><h1>Story</h1>{story}</article>{_teasers(2)}</body></html>")
    seen = _passes(monkeypatch)
    body = extract_body(parse_html(html), "https://example.org/story")
    assert all(p in body for p in PARAGRAPHS[:6])
    assert len(seen) == 1 and "Teaser" not in seen[0] and PARAGRAPHS[0] in seen[0]
