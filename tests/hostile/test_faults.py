"""One crawl over a web of faults (tests/hostile/faultweb.py): every test checks one fault. The crawl must finish,
collect every good article, and report each fault with one log line naming the URL and a count in the stats.

Limits are small so the crawl takes seconds: 1 MiB downloads, one retry, 5 s timeouts (not less: the crawl's
first extraction loads language and date models for about a second, during which no response is read, and a
tighter timeout would fail the downloads in flight).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

import pytest

from crawler.schema import record_errors
from tests.conftest import CrawlResult, run_crawl
from tests.hostile import faultweb as fw
from tests.hostile.articles import ArticleText, english, page, russian

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.slow

SETTINGS = {
    "CLASSIFY_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "DOWNLOAD_MAXSIZE": str(1024 * 1024),
    "DOWNLOAD_TIMEOUT": "5",
    "REDIRECT_MAX_TIMES": "5",
    "RETRY_BACKOFF_BASE": "1.5",
    "RETRY_BACKOFF_MAX": "1.5",
    "RETRY_TIMES": "1",
}

# path -> article text, for every page the crawl must write
GOOD = {f"/news/good-{n}.html": english(n - 1) for n in range(1, 5)}
ARTICLES: dict[str, ArticleText] = {
    **GOOD,
    "/news/flaky-500.html": english(4),
    "/news/flaky-503.html": english(5),
    "/news/rate-limited.html": english(6),
    "/news/after-redirects.html": english(7),
    "/news/malformed.html": english(8),
    "/news/truncated.html": english(9),
    "/news/plain.html": english(10),
    "/news/untyped.html": english(11),
    "/news/relative-link.html": english(12),
    "/arhiv/%E1%EB%EE%EA.html": english(13),
    "/новости/блокировка-мессенджера.html": english(14),
    "/news/from-bomb-feed.html": english(15),
    "/news/from-xxe-feed.html": english(16),
    "/news/from-bomb-sitemap.html": english(17),
    "/news/from-xxe-sitemap.html": english(18),
    "/ru/meta-cp1251.html": russian(0),
    "/ru/meta-koi8.html": russian(1),
    "/ru/lie-utf8-is-cp1251.html": russian(2),
    "/ru/lie-latin1-is-utf8.html": russian(3),
    "/ru/lie-latin1-is-koi8.html": russian(4),
}
LIES = ["/ru/lie-utf8-is-cp1251.html", "/ru/lie-latin1-is-utf8.html", "/ru/lie-latin1-is-koi8.html"]
XML_PAD = "<!--" + "padding " * 700 + "-->\n"  # pushes a DOCTYPE past the first 4 KiB
LAUGHS = '<!DOCTYPE lolz [<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">' for i in range(1, 10)) + "]>\n"


def xxe(web: fw.FaultWeb) -> str:
    return (f'<!DOCTYPE x [<!ENTITY file SYSTEM "file:///etc/passwd">'
            f'<!ENTITY net SYSTEM "{web.url("/xxe-probe")}">]>\n')


def rss(items: list[tuple[str, str]], encoding: str = "utf-8", prolog: str = "") -> str:
    entries = "\n".join(f"<item><title>{title}</title><link>{link}</link>"
                        "<pubDate>Tue, 10 Feb 2026 09:00:00 +0000</pubDate></item>" for link, title in items)
    return (f'<?xml version="1.0" encoding="{encoding}"?>\n{prolog}<rss version="2.0"><channel><title>Faults</title>'
            f"<link>http://faults.example/</link>\n{entries}\n</channel></rss>\n")


def sitemap(locs: list[str], prolog: str = "") -> str:
    urls = "".join(f"<url><loc>{loc}</loc><lastmod>2026-02-10</lastmod></url>\n" for loc in locs)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n')


def malformed(text: ArticleText) -> bytes:
    """Misnested and unclosed tags, stray closers, unquoted attributes, a NUL byte and invalid UTF-8."""
    first, second, third = text.paragraphs
    head, tail = second.split(" ", 1)
    return (f"<html><head><title>{text.title}</title><meta property=og:type content=article>"
            f"<meta property='og:title' content=\"{text.title}\"></head><body><div class=main><article>"
            f"<h1>{text.title}</h2><p>{first}<p><b><i>{head}</b></i> {tail}</div></div></span>"
            f"<p align=left>{third}<table><tr><td>cell</p></article>").encode() + b"\x00\xff\xfe broken</p></body>"


def truncated(text: ArticleText) -> bytes:
    full = page(text)
    return full[: full.index(text.paragraphs[2]) + 40].encode()  # cut in the middle of the last paragraph


def build(web: fw.FaultWeb) -> str:
    """Set up every route; return the sources file's text."""
    for path, text in ARTICLES.items():
        web.add(path, fw.html(page(text)))
    b = web.base
    web.add("/news/flaky-500.html", fw.failing_first([(500, {})], fw.html(page(ARTICLES["/news/flaky-500.html"]))))
    web.add("/news/flaky-503.html", fw.failing_first([(503, {})], fw.html(page(ARTICLES["/news/flaky-503.html"]))))
    web.add("/news/rate-limited.html", fw.failing_first([(429, {"Retry-After": "1"})],
                                                        fw.html(page(ARTICLES["/news/rate-limited.html"]))))
    web.add("/news/rate-limited-long.html", fw.status(429, {"Retry-After": "3600"}))
    web.add("/news/slow.html", fw.trickle())
    web.add("/news/gone-404.html", fw.status(404))
    web.add("/news/gone-410.html", fw.status(410))
    web.add("/news/huge.html", fw.huge(50 * 1024 * 1024))
    web.add("/news/endless.html", fw.endless())
    web.add("/news/gzip-bomb.html", fw.bomb("gzip"))
    web.add("/news/deflate-bomb.html", fw.bomb("deflate"))
    web.add("/news/cut-transfer.html", fw.cut_transfer(page(english(19)).encode()[:300], 20_000))
    for n in (1, 2, 3):
        web.add(f"/redirect/chain-{n}", fw.redirect(f"/redirect/chain-{n + 1}" if n < 3 else "/news/after-redirects.html"))
    web.add("/redirect/loop-a", fw.redirect(b + "/redirect/loop-b"))
    web.add("/redirect/loop-b", fw.redirect("/redirect/loop-a", 301))
    for n in range(1, 21):
        web.add(f"/redirect/long-{n}", fw.redirect(f"/redirect/long-{n + 1}"))
    web.add("/news/malformed.html", fw.html(malformed(ARTICLES["/news/malformed.html"])))
    web.add("/news/truncated.html", fw.html(truncated(ARTICLES["/news/truncated.html"])))
    web.add("/news/plain.html", fw.html(page(ARTICLES["/news/plain.html"]), "text/plain; charset=utf-8"))
    web.add("/news/untyped.html", fw.html(page(ARTICLES["/news/untyped.html"]), None))
    web.add("/files/report.pdf", fw.html(b"%PDF-1.4\n" + b"0" * 1000, "application/pdf"))
    web.add("/images/photo.jpg", fw.html(b"\xff\xd8\xff" + b"0" * 1000, "image/jpeg"))
    web.add("/media/4815162342", fw.html(b"\x89PNG\r\n\x1a\n" + b"\x00" * 300_000, "image/png"))
    # charsets: declared only in the page, or a header that lies
    cp1251, koi8 = ARTICLES["/ru/meta-cp1251.html"], ARTICLES["/ru/meta-koi8.html"]
    web.add("/ru/meta-cp1251.html", fw.html(page(cp1251, head_extra='<meta charset="windows-1251">').encode("cp1251"),
                                            "text/html"))
    web.add("/ru/meta-koi8.html", fw.html(page(koi8, head_extra='<meta http-equiv="Content-Type" '
                                                                'content="text/html; charset=koi8-r">').encode("koi8-r"),
                                          "text/html"))
    web.add(LIES[0], fw.html(page(ARTICLES[LIES[0]], head_extra='<meta charset="windows-1251">').encode("cp1251"),
                             "text/html; charset=utf-8"))
    web.add(LIES[1], fw.html(page(ARTICLES[LIES[1]]).encode("utf-8"), "text/html; charset=iso-8859-1"))
    web.add(LIES[2], fw.html(page(ARTICLES[LIES[2]], head_extra='<meta http-equiv="Content-Type" '
                                                                 'content="text/html; charset=koi8-r">').encode("koi8-r"),
                             "text/html; charset=ISO-8859-1"))
    main_items = [(web.url(p), "good") for p in GOOD] + [
        (web.url("/news/good-1.html"), "duplicate"),
        (web.url("/news/good-1.html#comments"), "duplicate with a fragment"),
        (web.url("/news/good-1.html?utm_source=rss"), "duplicate with tracking"),
        ("/news/relative-link.html", "relative"),
        ("javascript:alert(1)", "script"), ("mailto:tips@faults.example", "mail"), ("data:text/html,hi", "data"),
        (web.url("/arhiv/%E1%EB%EE%EA.html"), "percent-encoded windows-1251 path"),
        *[(web.url(p), "fault") for p in (
            "/news/flaky-500.html", "/news/flaky-503.html", "/news/rate-limited.html", "/news/rate-limited-long.html",
            "/news/slow.html", "/news/gone-404.html", "/news/gone-410.html", "/news/huge.html", "/news/endless.html",
            "/news/gzip-bomb.html", "/news/deflate-bomb.html", "/news/cut-transfer.html", "/redirect/chain-1",
            "/redirect/loop-a", "/redirect/long-1", "/news/malformed.html", "/news/truncated.html", "/news/plain.html",
            "/news/untyped.html", "/files/report.pdf", "/images/photo.jpg", "/media/4815162342",
            "/ru/meta-cp1251.html", "/ru/meta-koi8.html", *LIES)],
        (web.silent_base + "/news/silent.html", "never answers"),
    ]
    web.add("/feed.xml", fw.html(rss(main_items), "application/rss+xml"))
    web.add("/feed-cp1251.xml", fw.html(
        rss([(web.url("/новости/блокировка-мессенджера.html"), "Блокировка")], "windows-1251").encode("cp1251"),
        "application/rss+xml"))
    web.add("/bomb-feed.xml", fw.html(rss([(web.url("/news/bomb-&lol9;.html"), "&lol9;"),
                                           (web.url("/news/from-bomb-feed.html"), "good")], prolog=XML_PAD + LAUGHS),
                                      "application/rss+xml"))
    web.add("/xxe-feed.xml", fw.html(rss([(web.url("/news/x-&file;-&net;.html"), "&file; &net;"),
                                          (web.url("/news/from-xxe-feed.html"), "good &file;")],
                                         prolog=XML_PAD + xxe(web)), "application/rss+xml"))
    web.add("/bomb-sitemap.xml", fw.html(sitemap([web.url("/&lol9;"), web.url("/news/from-bomb-sitemap.html")],
                                                 prolog=LAUGHS), "application/xml"))
    web.add("/xxe-sitemap.xml", fw.html(sitemap([web.url("/x/&file;&net;"), web.url("/news/from-xxe-sitemap.html")],
                                                prolog=XML_PAD + xxe(web)), "application/xml"))
    web.add("/empty.xml", fw.html(b"", "application/rss+xml"))
    sources = [("faults", "/feed.xml", "feed"), ("legacy-feed", "/feed-cp1251.xml", "feed"),
               ("bomb-feed", "/bomb-feed.xml", "feed"), ("xxe-feed", "/xxe-feed.xml", "feed"),
               ("bomb-sitemap", "/bomb-sitemap.xml", "sitemap"), ("xxe-sitemap", "/xxe-sitemap.xml", "sitemap"),
               ("empty-feed", "/empty.xml", "feed")]
    return "".join(f'[[sources]]\nname = "{name}"\nurl = "{web.url(path)}"\nkind = "{kind}"\n'
                   for name, path, kind in sources)


@dataclass
class FaultCrawl:
    web: fw.FaultWeb
    result: CrawlResult
    seconds: float

    @property
    def stats(self) -> dict[str, Any]:
        return self.result.stats

    @property
    def log(self) -> str:
        return self.result.log

    def written(self, path: str) -> list[dict[str, Any]]:
        """Records fetched from ``path`` (compared decoded, so IRIs match their percent-encoded form)."""
        return [r for r in self.result.records if unquote(urlsplit(r["url"]).path) == unquote(path)]

    def stat(self, key: str) -> int:
        return int(self.stats.get(key, 0))

    def logged(self, *parts: str) -> bool:
        """Whether one log line contains every part."""
        return any(all(p in line for p in parts) for line in self.log.splitlines())


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultCrawl]:
    tmp = tmp_path_factory.mktemp("faults")
    with fw.FaultWeb() as web:
        sources = tmp / "sources.toml"
        sources.write_text(build(web), encoding="utf-8")
        started = time.monotonic()
        result = run_crawl(tmp, "-a", f"sources={sources}", settings=SETTINGS, timeout=150)
        yield FaultCrawl(web, result, time.monotonic() - started)


def survived(crawl: FaultCrawl) -> None:
    """The crawl finished normally and wrote every good article."""
    assert crawl.result.returncode == 0, crawl.log[-3000:]
    assert crawl.stats.get("finish_reason") == "finished"
    missing = [p for p in GOOD if len(crawl.written(p)) != 1]
    assert not missing, f"good articles not written: {missing}"


def test_the_crawl_survives_every_fault_and_writes_exactly_the_good_pages(crawl: FaultCrawl) -> None:
    survived(crawl)
    got = sorted(unquote(urlsplit(r["url"]).path) for r in crawl.result.records)
    assert got == sorted(unquote(p) for p in ARTICLES)
    assert all(record_errors(r) == [] for r in crawl.result.records)
    assert "Traceback" not in crawl.log
    assert not [k for k in crawl.stats if k.startswith("spider_exceptions")]
    assert crawl.seconds < 60


def test_every_article_is_extracted_whole(crawl: FaultCrawl) -> None:
    for path, text in ARTICLES.items():
        if path in ("/news/truncated.html", "/news/malformed.html"):
            continue  # checked below: part of their text is lost in the tag soup
        (record,) = crawl.written(path)
        assert record["title"] == text.title, path
        for paragraph in text.paragraphs:
            assert paragraph in record["body"], f"{path}: {paragraph[:40]!r} missing"
        assert "\ufffd" not in record["body"] + record["title"], path


@pytest.mark.parametrize(("path", "status", "reason"), [
    ("/news/flaky-500.html", 500, "500 Internal Server Error"),
    ("/news/flaky-503.html", 503, "503 Service Unavailable"),
])
def test_5xx_then_success_is_retried_after_a_backoff(crawl: FaultCrawl, path: str, status: int, reason: str) -> None:
    survived(crawl)
    assert len(crawl.written(path)) == 1
    (line,) = [x for x in crawl.log.splitlines() if f"Retrying {crawl.web.url(path)} in " in x]
    delay = float(line.split(" in ", 1)[1].split(" s ", 1)[0])
    assert 0.75 <= delay <= 1.5  # RETRY_BACKOFF_BASE 1.5 s, jitter 0.5..1
    assert reason in line
    first, second = crawl.web.requested(path)
    assert second.at - first.at >= delay - 0.05
    assert crawl.stat(f"retry/reason_count/{reason}") == 1


def test_429_waits_as_long_as_retry_after_says(crawl: FaultCrawl) -> None:
    survived(crawl)
    path = "/news/rate-limited.html"
    assert len(crawl.written(path)) == 1
    first, second = crawl.web.requested(path)
    assert second.at - first.at >= 0.95
    assert crawl.stat("blockradar/retry/retry_after") == 1
    assert crawl.logged("Retrying", crawl.web.url(path), "in 1.00 s", "Retry-After")


def test_429_asking_for_too_long_is_not_retried_in_this_run(crawl: FaultCrawl) -> None:
    survived(crawl)
    path = "/news/rate-limited-long.html"
    assert len(crawl.web.requested(path)) == 1
    assert crawl.stat("blockradar/retry/retry_after_too_long") == 1
    assert crawl.stat("blockradar/errors/http_429") == 1
    assert crawl.logged("Not retrying", crawl.web.url(path), "3600 s", "RETRY_AFTER_MAX")


def test_a_page_slower_than_the_timeout_is_given_up(crawl: FaultCrawl) -> None:
    survived(crawl)
    url = crawl.web.url("/news/slow.html")
    assert len(crawl.web.requested("/news/slow.html")) == 2  # one retry
    assert crawl.logged("Failed", url, "(source faults)", "timeout")
    assert crawl.stat("blockradar/errors/timeout") >= 2


def test_a_server_that_never_answers_is_given_up(crawl: FaultCrawl) -> None:
    survived(crawl)
    assert crawl.logged("Failed", crawl.web.silent_base + "/news/silent.html", "timeout")
    assert crawl.stat("blockradar/errors/timeout") >= 2


def test_a_redirect_chain_is_followed(crawl: FaultCrawl) -> None:
    survived(crawl)
    (record,) = crawl.written("/news/after-redirects.html")
    assert record["url"] == crawl.web.url("/news/after-redirects.html")
    assert all(len(crawl.web.requested(f"/redirect/chain-{n}")) == 1 for n in (1, 2, 3))


def test_a_redirect_loop_is_cut_and_reported(crawl: FaultCrawl) -> None:
    survived(crawl)
    a, b = crawl.web.url("/redirect/loop-a"), crawl.web.url("/redirect/loop-b")
    assert crawl.logged("Redirect loop (source faults):", f"{a} -> {b} -> {a}")
    assert crawl.stat("blockradar/errors/redirect_loop") == 1
    assert len(crawl.web.requested("/redirect/loop-a")) == 1


def test_a_redirect_chain_longer_than_the_limit_is_reported(crawl: FaultCrawl) -> None:
    survived(crawl)
    assert crawl.stat("blockradar/errors/too_many_redirects") == 1
    assert crawl.logged("Failed", "/redirect/long-", "too_many_redirects")
    assert not crawl.web.requested("/redirect/long-8")  # REDIRECT_MAX_TIMES = 5


@pytest.mark.parametrize("status", [404, 410])
def test_gone_feed_entries_are_reported(crawl: FaultCrawl, status: int) -> None:
    survived(crawl)
    assert crawl.logged(f"HTTP {status} for", crawl.web.url(f"/news/gone-{status}.html"), "(source faults)")
    assert crawl.stat(f"blockradar/errors/http_{status}") >= 1  # the XML-bomb documents link to junk pages too


@pytest.mark.parametrize("path", ["/news/huge.html", "/news/endless.html"])
def test_downloads_over_the_size_limit_are_cut(crawl: FaultCrawl, path: str) -> None:
    survived(crawl)
    assert crawl.logged("Failed", crawl.web.url(path), "too_large")
    assert crawl.stat("blockradar/errors/too_large") == 2
    assert len(crawl.web.requested(path)) == 1  # not retried


@pytest.mark.parametrize("path", ["/news/gzip-bomb.html", "/news/deflate-bomb.html"])
def test_compression_bombs_stop_at_the_size_limit(crawl: FaultCrawl, path: str) -> None:
    survived(crawl)
    assert crawl.logged("Failed", crawl.web.url(path), "decompression_bomb")
    assert crawl.stat("blockradar/errors/decompression_bomb") == 2


def test_a_cut_transfer_is_retried_then_reported(crawl: FaultCrawl) -> None:
    survived(crawl)
    path = "/news/cut-transfer.html"
    assert len(crawl.web.requested(path)) == 2
    assert crawl.logged("Failed", crawl.web.url(path), "data_loss")
    assert crawl.stat("blockradar/errors/data_loss") == 1


@pytest.mark.parametrize(("source", "path"), [
    ("bomb-feed", "/bomb-feed.xml"),
    ("bomb-sitemap", "/bomb-sitemap.xml"),
])
def test_xml_bombs_are_never_expanded(crawl: FaultCrawl, source: str, path: str) -> None:
    survived(crawl)
    assert len(crawl.written(f"/news/from-{source}.html")) == 1
    assert crawl.logged(crawl.web.url(path), "declares a DOCTYPE")
    assert crawl.stat("blockradar/discovery/doctype_removed") == 4
    assert "lollollol" not in crawl.log


@pytest.mark.parametrize(("source", "path"), [
    ("xxe-feed", "/xxe-feed.xml"),
    ("xxe-sitemap", "/xxe-sitemap.xml"),
])
def test_external_entities_read_no_file_and_fetch_nothing(crawl: FaultCrawl, source: str, path: str) -> None:
    survived(crawl)
    assert len(crawl.written(f"/news/from-{source}.html")) == 1
    assert crawl.logged(crawl.web.url(path), "declares a DOCTYPE")
    assert not crawl.web.requested("/xxe-probe")
    assert "root:" not in crawl.log
    assert all("root:" not in str(r) for r in crawl.result.records)


@pytest.mark.parametrize("path", ["/news/malformed.html", "/news/truncated.html"])
def test_malformed_and_truncated_html_is_still_extracted(crawl: FaultCrawl, path: str) -> None:
    survived(crawl)
    (record,) = crawl.written(path)
    text = ARTICLES[path]
    assert record["title"] == text.title
    assert text.paragraphs[0] in record["body"] and text.paragraphs[1] in record["body"]


@pytest.mark.parametrize("path", ["/ru/meta-cp1251.html", "/ru/meta-koi8.html", *LIES])
def test_pages_are_read_in_their_real_charset(crawl: FaultCrawl, path: str) -> None:
    survived(crawl)
    (record,) = crawl.written(path)
    text = ARTICLES[path]
    assert record["title"] == text.title
    assert text.paragraphs[0] in record["body"]
    assert record["language"] == "ru"
    if path in LIES:
        assert crawl.logged(crawl.web.url(path), "the HTTP header says charset")
        assert crawl.stat("blockradar/content/charset_corrected") == len(LIES)


@pytest.mark.parametrize(("path", "served_as"), [
    ("/news/plain.html", "'text/plain; charset=utf-8'"),
    ("/news/untyped.html", "no Content-Type"),
])
def test_html_without_an_html_content_type_is_read_as_html(crawl: FaultCrawl, path: str, served_as: str) -> None:
    survived(crawl)
    assert len(crawl.written(path)) == 1
    assert crawl.logged(crawl.web.url(path), served_as if "plain" in path else "no Content-Type", "read as HTML")
    assert crawl.stat("blockradar/content/html_sniffed") == 2


def test_pdfs_and_images_linked_from_a_feed_are_not_downloaded(crawl: FaultCrawl) -> None:
    survived(crawl)
    assert not crawl.web.requested("/files/report.pdf")
    assert not crawl.web.requested("/images/photo.jpg")
    assert crawl.stat("blockradar/discovery/skipped/binary") == 2
    # a file without an extension is known by its Content-Type: its body is not downloaded
    assert len(crawl.web.requested("/media/4815162342")) == 1
    assert crawl.stat("blockradar/content/binary_stopped") == 1
    assert crawl.logged("Skipping", crawl.web.url("/media/4815162342"), "image/png")
    assert crawl.logged(crawl.web.url("/feed.xml"), "2 link(s) to images, PDFs")


def test_duplicate_links_are_fetched_and_written_once(crawl: FaultCrawl) -> None:
    survived(crawl)
    assert len(crawl.web.requested("/news/good-1.html")) == 1
    assert crawl.stat("blockradar/discovery/skipped/duplicate") == 3
    assert crawl.logged(crawl.web.url("/feed.xml"), "skipped 3 duplicate link(s)")


def test_relative_links_are_resolved(crawl: FaultCrawl) -> None:
    survived(crawl)
    (record,) = crawl.written("/news/relative-link.html")
    assert record["url"] == crawl.web.url("/news/relative-link.html")


def test_javascript_and_other_non_http_links_are_skipped(crawl: FaultCrawl) -> None:
    survived(crawl)
    assert crawl.stat("blockradar/discovery/skipped/bad_link") == 3
    assert crawl.logged(crawl.web.url("/feed.xml"), "3 link(s) skipped: not http(s) URLs")


@pytest.mark.parametrize("path", ["/новости/блокировка-мессенджера.html", "/arhiv/%E1%EB%EE%EA.html"])
def test_non_utf8_and_non_ascii_urls_are_fetched(crawl: FaultCrawl, path: str) -> None:
    survived(crawl)
    (record,) = crawl.written(path)
    assert record["url"] == crawl.web.url(quote(path, safe="/%"))
    assert len(crawl.web.requested(path)) == 1


def test_an_empty_feed_is_reported(crawl: FaultCrawl) -> None:
    survived(crawl)
    assert crawl.logged("Empty document (HTTP 200, 0 bytes) at", crawl.web.url("/empty.xml"), "(source empty-feed)")
    assert crawl.stat("blockradar/errors/empty_document") == 1
    assert crawl.stat("blockradar/source/empty-feed/empty") == 1


def test_the_crawl_ends_with_one_error_summary_line(crawl: FaultCrawl) -> None:
    survived(crawl)
    (line,) = [line for line in crawl.log.splitlines() if "Errors in this crawl:" in line]
    for kind in ("timeout", "http_404", "http_410", "too_large", "decompression_bomb", "redirect_loop",
                 "too_many_redirects", "data_loss", "empty_document"):
        assert f"{kind} " in line, kind
