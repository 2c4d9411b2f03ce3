"""The normalization pipeline's shortcuts change no result: a body already clean is left as it is, and a plain host's
registered domain (cached) is the one tldextract gives for the whole URL."""

from __future__ import annotations

import re
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract.processors import clean_body
from crawler.items import Article
from crawler.normalize import (
    _CLEAN_BODY_RE,
    _extractor,
    _is_clean_body,
    _is_clean_spacing,
    choose_canonical,
    normalize_article,
    registered_domain,
)

_PIECES = st.sampled_from(
    [*"ab é\n\t\r&;#x", "\n\n", "  ", "\u00a0", "\u200b", "\u200c", "\u00ad", "\ufeff", "\u2028", "\x1c", "e\u0301",
     "&amp;", "&lt;", "&nbsp;", "ﬁ", "Å"]
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_a_body_taken_for_clean_is_what_clean_body_gives(text: str) -> None:
    if _is_clean_body(text):
        assert clean_body(text) == text
    cleaned = clean_body(text)
    if clean_body(cleaned) == cleaned and "&" not in cleaned:
        assert _is_clean_body(cleaned)


@settings(max_examples=1000, deadline=None)
@given(st.lists(_PIECES | st.sampled_from(["a b", " ", "\n", "\u3000", "\x85", "\u2029", "“", "中"]), max_size=40)
       .map("".join))
def test_clean_spacing_is_what_the_pattern_tells(text: str) -> None:
    assert _is_clean_spacing(text) == (_CLEAN_BODY_RE.fullmatch(text) is not None)


def test_every_character_kept_out_of_words_but_the_space_is_unprintable() -> None:
    """What _is_clean_spacing rests on: a printable character is a word character of _CLEAN_BODY_RE, or a space."""
    kept_out = [c for c in map(chr, range(sys.maxunicode + 1)) if re.fullmatch(r"[\s\u00ad\u200b\ufeff]", c)]
    assert [c for c in kept_out if c.isprintable()] == [" "]


def _tldextract_domain(url: str) -> str:
    result = _extractor()(url)
    return str(result.top_domain_under_public_suffix or result.domain or "")


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["http", "https"]),
    st.lists(st.sampled_from(["www", "news", "bbc", "co", "uk", "com", "blogspot", "127", "0", "1", "a-b", "xn--p1ai"]),
             min_size=1, max_size=4).map(".".join),
    st.sampled_from(["", ":80", ":8080", ":"]),
    st.sampled_from(["", "/", "/a/b", "/a?x=1"]),
)
def test_the_cached_domain_of_a_plain_host_is_tldextracts(scheme: str, host: str, port: str, path: str) -> None:
    url = f"{scheme}://{host}{port}{path}"
    assert registered_domain(url) == (_tldextract_domain(url) or host)


def test_normalizing_an_extracted_article_keeps_its_clean_body() -> None:
    body = "First paragraph of the story.\n\nSecond one, with an & in it."
    article = Article(url="https://www.bbc.co.uk/news/2026/story?utm_source=x", body=body,
                      canonical_hint="https://www.bbc.co.uk/news/2026/story")
    normalize_article(article)
    assert article.body == body
    assert article.canonical_url == "https://www.bbc.co.uk/news/2026/story"
    assert article.domain == "bbc.co.uk"
    assert choose_canonical(article.url, article.url) == "https://www.bbc.co.uk/news/2026/story"
