from __future__ import annotations

import gzip

import pytest

from spiders import discovery

BASE = "https://news.example/"

RSS2 = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>News</title>
<item><title>First &amp; good</title><link>https://news.example/2026/02/12/first-story.html</link>
<pubDate>Thu, 12 Feb 2026 09:30:00 +0300</pubDate></item>
<item><title>Broken &nbsp; entity &mdash; here</title><link>https://news.example/2026/02/12/second-story.html</link></item>
<item><title>Relative</title><link>/2026/02/13/third-story.html?utm_source=rss#top</link></item>
<item><title>Script</title><link>javascript:alert(1)</link></item>
</channel></rss>"""

RSS1 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://news.example/"><title>T</title><link>https://news.example/</link></channel>
<item rdf:about="https://news.example/a/one-two-three"><title>One</title><link>https://news.example/a/one-two-three</link>
<dc:date>2026-02-10T08:00:00Z</dc:date></item>
</rdf:RDF>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
<entry><title>Atom one</title><link rel="alternate" href="https://news.example/world/2025/11/29/atom-one/"/>
<id>tag:news.example,2025:1</id><updated>2025-11-29T10:00:00+01:00</updated></entry>
<entry><title>Atom two</title><link href="https://news.example/world/2025/11/30/atom-two/"/><id>x</id></entry>
</feed>"""

SITEMAP_INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://news.example/sitemaps/2025.xml.gz</loc></sitemap>
<sitemap><loc>https://news.example/sitemaps/2026.xml</loc></sitemap>
</sitemapindex>"""

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://news.example/2026/02/12/x-blocked.html</loc>
<news:news><news:publication><news:name>N</news:name><news:language>en</news:language></news:publication>
<news:publication_date>2026-02-12T09:30:00+03:00</news:publication_date><news:title>X blocked</news:title></news:news></url>
<url><loc>https://news.example/2026/02/11/y.html</loc><lastmod>2026-02-11</lastmod></url>
</urlset>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><item><title>&lol3; &xxe;</title><link>https://news.example/2026/01/01/safe-item.html</link></item>
</channel></rss>"""


def test_rss2_keeps_the_other_entries_around_a_malformed_one() -> None:
    links = discovery.parse_feed(RSS2, BASE)
    urls = [link.url for link in links]
    assert urls == [
        "https://news.example/2026/02/12/first-story.html",
        "https://news.example/2026/02/12/second-story.html",
        "https://news.example/2026/02/13/third-story.html?utm_source=rss",
    ]
    assert links[0].title == "First & good"
    assert links[0].published == "Thu, 12 Feb 2026 09:30:00 +0300"


def test_rss1_and_atom() -> None:
    (one,) = discovery.parse_feed(RSS1, BASE)
    assert one.url == "https://news.example/a/one-two-three"
    assert one.published.startswith("2026-02-10T08:00")
    atom = discovery.parse_feed(ATOM, BASE)
    assert [a.url for a in atom] == [
        "https://news.example/world/2025/11/29/atom-one/",
        "https://news.example/world/2025/11/30/atom-two/",
    ]
    assert atom[0].published == "2025-11-29T10:00:00+01:00"


def test_sitemap_index_and_news_sitemap() -> None:
    index = discovery.parse_sitemap(SITEMAP_INDEX, BASE)
    assert index.sitemaps == ["https://news.example/sitemaps/2025.xml.gz", "https://news.example/sitemaps/2026.xml"]
    assert index.links == []
    news = discovery.parse_sitemap(NEWS_SITEMAP, BASE)
    assert [(l.url, l.title, l.published) for l in news.links] == [
        ("https://news.example/2026/02/12/x-blocked.html", "X blocked", "2026-02-12T09:30:00+03:00"),
        ("https://news.example/2026/02/11/y.html", "", "2026-02-11"),
    ]


def test_gzip_sitemap_and_bomb_limit() -> None:
    packed = gzip.compress(NEWS_SITEMAP)
    assert discovery.maybe_gunzip(packed, 1_000_000) == NEWS_SITEMAP
    bomb = gzip.compress(b"\0" * 5_000_000)
    with pytest.raises(ValueError):
        discovery.maybe_gunzip(bomb, 1_000_000)


def test_entities_are_never_expanded() -> None:
    links = discovery.parse_feed(BILLION_LAUGHS, BASE)
    assert [l.url for l in links] == ["https://news.example/2026/01/01/safe-item.html"]
    assert "root:" not in links[0].title and "lollol" not in links[0].title
    doc = discovery.parse_sitemap(BILLION_LAUGHS.replace(b"<rss", b"<urlset").replace(b"</rss>", b"</urlset>"), BASE)
    assert doc.links == []


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (RSS2, "feed"),
        (RSS1, "feed"),
        (ATOM, "feed"),
        (SITEMAP_INDEX, "sitemap"),
        (NEWS_SITEMAP, "sitemap"),
        (b"\xef\xbb\xbf<!-- c --><?xml-stylesheet href='x'?><rss></rss>", "feed"),
        (b"<!DOCTYPE html><html><body><a href='/x'>x</a></body></html>", "listing"),
        (b"", "listing"),
    ],
)
def test_detect_kind(body: bytes, kind: str) -> None:
    assert discovery.detect_kind(body) == kind


@pytest.mark.parametrize(
    ("url", "article"),
    [
        ("https://n.example/2026/02/12/whatsapp-removed-from-dns.html", True),
        ("https://n.example/world/2025/11/29/some-story/", True),
        ("https://n.example/news/russia-slows-down-youtube-again", True),
        ("https://n.example/news/123456", True),
        ("https://n.example/2026/02/12/", False),
        ("https://n.example/tag/whatsapp-block-news/", False),
        ("https://n.example/author/jane-roe-smith/", False),
        ("https://n.example/about/", False),
        ("https://n.example/world/page/2/", False),
        ("https://n.example/files/report-on-blocks-2026.pdf", False),
        ("https://n.example/world/", False),
        ("https://n.example/", False),
    ],
)
def test_looks_like_article(url: str, article: bool) -> None:
    assert discovery.looks_like_article(url) is article


@pytest.mark.parametrize(
    ("text", "rel", "href", "current", "expected"),
    [
        ("Next", "", "https://n.example/world/page/2/", "https://n.example/world/", True),
        ("Siguiente »", "", "https://n.example/noticias/?p=2", "https://n.example/noticias/", True),
        ("", "next", "https://n.example/x", "https://n.example/", True),
        ("3", "", "https://n.example/world/page/3/", "https://n.example/world/page/2/", True),
        ("5", "", "https://n.example/world/page/5/", "https://n.example/world/page/2/", False),
        ("Previous", "prev", "https://n.example/world/", "https://n.example/world/page/2/", False),
    ],
)
def test_next_link(text: str, rel: str, href: str, current: str, expected: bool) -> None:
    assert discovery.is_next_link(text, rel, href, current) is expected


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/a/b", "https://news.example/a/b"),
        ("b#frag", "https://news.example/b"),
        ("javascript:void(0)", ""),
        ("mailto:x@y", ""),
        ("#top", ""),
        ("https://x.example:99999/", ""),
        ("/путь/статья", "https://news.example/%D0%BF%D1%83%D1%82%D1%8C/%D1%81%D1%82%D0%B0%D1%82%D1%8C%D1%8F"),
    ],
)
def test_absolute_http_url(href: str, expected: str) -> None:
    assert discovery.absolute_http_url(href, BASE) == expected
