"""Property-based tests on random and mutated input: the extractor, feed/sitemap discovery and URL normalization
never let an unexpected exception escape into the crawl. Example counts are modest so this runs in seconds; set
FUZZ_EXAMPLES=5000 to search harder."""

from __future__ import annotations

import contextlib
import gzip
import os
from urllib.parse import urlsplit

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crawler.demo.server import default_site_root
from crawler.extract import NotAnArticle, extract_article
from crawler.normalize import canonical_url, choose_canonical, registered_domain
from spiders import discovery

FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
SITE = default_site_root()


def _samples(pattern: str, limit: int = 6) -> list[bytes]:
    files = sorted(SITE.glob(pattern))[:limit]
    return [gzip.decompress(f.read_bytes()) if f.suffix == ".gz" else f.read_bytes() for f in files]


ARTICLE_PAGES = _samples("*/*/20*/**/*.html") or _samples("**/*.html")
FEEDS = _samples("*/*.xml") + _samples("*/*.rdf") + _samples("*/feed/*.xml")
SITEMAPS = [b for b in FEEDS if b"<urlset" in b or b"<sitemapindex" in b]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A real document, cut, spliced with random bytes or markup, and partly deleted."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "truncate", "tag", "entity"]))
        if action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=40))
        elif action == "delete":
            del data[position:position + draw(st.integers(1, 2000))]
        elif action == "truncate":
            del data[position:]
        elif action == "tag":
            data[position:position] = draw(st.sampled_from(
                [b"<", b"</p>", b"<script>", b"<![CDATA[", b"<!--", b"]]>", b"<a href='javascript:x'>", b"\x00",
                 b"<!DOCTYPE x [<!ENTITY a 'b'>]>", b"<?xml version='1.0' encoding='utf-16'?>", b"&#xD800;", b"\xff\xfe"]))
        else:
            data[position:position] = draw(st.sampled_from([b"&lol;", b"&amp", b"&#0;", b"&#x110000;", b"&nbsp;"]))
    return bytes(data)


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


URL_PARTS = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda scheme, host, port, path, query: f"{scheme}://{host}{port}{path}{query}",
        st.sampled_from(["http", "https", "HTTP", "ftp", "javascript", ""]),
        st.one_of(st.text(max_size=20), st.sampled_from(
            ["news.example", "[::1]", "[fe80::1%25eth0]", "[", "127.0.0.1", "xn--d1acufc.xn--p1ai", "пример.рф",
             "a..b", "user:pass@host.example", "host.example."])),
        st.sampled_from(["", ":80", ":443", ":0", ":99999", ":abc", ":", ":-1"]),
        st.one_of(st.text(max_size=30), st.sampled_from(["/", "/a/../b", "/%E1%EB", "/%zz", "/путь", "/a b"])),
        st.sampled_from(["", "?utm_source=x&a=1", "?a=%FF", "?=&&=", "#frag", "?amp=1#x"]),
    ),
)


# --- extraction -------------------------------------------------------------------------------------------------
@FUZZ
@given(st.one_of(st.text(max_size=3000), mutated(ARTICLE_PAGES).map(_decode)), URL_PARTS)
@example("<html><body><p>" + "word " * 100 + "</p></body></html>", "http://[::1]:80/x")
@example("\x00" * 10, "")
def test_the_extractor_raises_only_not_an_article(html: str, url: str) -> None:
    try:
        article = extract_article(html, url, max_chars=200_000, min_body_chars=50)
    except NotAnArticle:
        return
    assert isinstance(article.body, str) and isinstance(article.title, str)


def test_an_article_body_is_never_shorter_than_the_minimum() -> None:
    """Found by fuzzing: '<?><H1>000...<P>0' once gave the body '0' (the length was checked with the headline)."""
    html = ("<html><body><h1>Roskomnadzor blocks the messenger nationwide today</h1>"
            "<p>ok</p></body></html>")
    try:
        article = extract_article(html, "https://news.example/a/b-c-d", min_body_chars=40)
    except NotAnArticle:
        return
    assert len(article.body) >= 40, repr(article.body)


# --- discovery --------------------------------------------------------------------------------------------------
@FUZZ
@given(st.one_of(st.binary(max_size=2000), mutated(FEEDS)), st.sampled_from(
    ["https://news.example/feed.xml", "http://[::1]:8080/rss", "https://пример.рф/лента"]))
@example(b"", "https://news.example/")
@example(b'<?xml version="1.0" encoding="x-no-such"?><rss><channel><item><link>/a</link></item></channel></rss>',
         "https://news.example/")
@example(b'<?xml version="1.0" encoding="\x80utf-8"?><rss><channel><item><link>/a-b-c-d</link></item></channel></rss>',
         "https://news.example/")
@example(b'<rss><channel><title>&#xD800;&#x110000;&#0;</title><item><link>/a-b-c-d</link></item></channel></rss>',
         "https://news.example/")
def test_feed_parsing_raises_only_value_error(body: bytes, base: str) -> None:
    rejected: list[str] = []
    try:
        links = discovery.parse_feed(body, base, rejected)
    except ValueError:
        return  # reported by the spider as a bad document
    if b"<item><link>/a-b-c-d</link>" in body:
        assert [link.url for link in links] == ["https://news.example/a-b-c-d"]
    for link in links:
        parts = urlsplit(link.url)
        assert parts.scheme in ("http", "https") and parts.hostname
        canonical_url(link.url)
    assert discovery.detect_kind(body, "application/rss+xml") in (discovery.FEED, discovery.SITEMAP, discovery.LISTING)


@FUZZ
@given(st.one_of(st.binary(max_size=2000), mutated(SITEMAPS or FEEDS)))
@example(b"")
@example(b"\x1f\x8b")
@example(b"<urlset><url><loc>http://[</loc></url></urlset>")
def test_sitemap_parsing_raises_only_value_error(body: bytes) -> None:
    try:
        doc = discovery.parse_sitemap(body, "https://news.example/sitemap.xml")
    except ValueError:
        return  # reported by the spider as a bad document
    for url in [*doc.sitemaps, *(link.url for link in doc.links)]:
        assert urlsplit(url).scheme in ("http", "https")
        canonical_url(url)


@FUZZ
@given(st.binary(max_size=300))
@example(b"")
def test_gunzip_is_bounded_and_raises_only_value_error(body: bytes) -> None:
    with contextlib.suppress(ValueError):
        assert len(discovery.maybe_gunzip(b"\x1f\x8b" + body, 10_000)) <= 10_000


@FUZZ
@given(st.text(max_size=200), URL_PARTS)
@example("http://[::1]:8080/x", "https://news.example/")
@example("//evil.example/x", "https://news.example/")
@example("http://a.example:99999/", "")
def test_link_resolution_never_raises(href: str, base: str) -> None:
    url = discovery.absolute_http_url(href, base)
    if url:
        parts = urlsplit(url)
        assert parts.scheme in ("http", "https") and parts.hostname and "#" not in url
        assert parts.port is None or 0 <= parts.port <= 65535
        discovery.looks_like_article(url)
        discovery.is_binary_link(url)
        discovery.same_site(url, base) if base.startswith("http") else None
        canonical_url(url)
    assert discovery.looks_like_article(href) in (True, False)
    assert discovery.is_next_link(href, href, href, base) in (True, False)


# --- normalization ----------------------------------------------------------------------------------------------
@FUZZ
@given(URL_PARTS)
@example("http://[::1]:8080/a")
@example("http://a.example:99999/x")
@example("https://Example.COM:443/a/./b/../c?utm_source=x&b=2&a=1#frag")
def test_canonical_url_never_raises_and_is_stable(url: str) -> None:
    try:
        canonical = canonical_url(url)
    except ValueError:
        # urlsplit itself refuses some garbage ('http://['): never a URL the crawl follows
        assert not discovery.absolute_http_url(url, "https://news.example/")
        return
    if discovery.absolute_http_url(url, "https://news.example/") == url:
        assert canonical_url(canonical) == canonical
        registered_domain(canonical)


@FUZZ
@given(URL_PARTS, URL_PARTS)
@example("https://news.example/2026/a-story", "http://[")
@example("https://news.example/2026/a-story", "javascript:alert(1)")
def test_choose_canonical_takes_any_hint(url: str, hint: str) -> None:
    fetched = discovery.absolute_http_url(url, "https://news.example/") or "https://news.example/a/b-c-d"
    chosen = choose_canonical(fetched, hint)
    assert urlsplit(chosen).scheme in ("http", "https")
    assert registered_domain(chosen) == registered_domain(canonical_url(fetched))


@FUZZ
@given(URL_PARTS)
@example("A://:[")
@example("http://[::1]:8080/")
def test_registered_domain_never_raises(url: str) -> None:
    assert isinstance(registered_domain(url), str)


def test_the_fuzz_corpus_is_real() -> None:
    assert len(ARTICLE_PAGES) >= 3 and len(FEEDS) >= 3 and SITEMAPS
