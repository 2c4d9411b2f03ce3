"""Security limits and hostile-input helpers, in process: the address policy (SSRF), the sources file as data,
paths built from source names, Retry-After, charsets, redirects, the feed file and the error summary."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import time
from email.utils import formatdate
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy import Request, Spider
from scrapy.exceptions import CannotResolveHostError, DownloadTimeoutError, IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler import errors
from crawler.content import corrected_encoding, header_charset, looks_like_html
from crawler.feeds import UnbufferedFileFeedStorage, _WholeWriteFile, drop_unfinished_line
from crawler.redirects import RedirectGuardMiddleware, RedirectLoop, redirect_target
from crawler.retry import backoff_delay, parse_retry_after
from crawler.security import AddressGuardMiddleware, AddressPolicy, BlockedAddress, non_public
from crawler.sources import NAME_RE, Source, SourcesError, load_sources
from crawler.state.base import RunRecord
from crawler.status import format_table, source_health
from spiders.discovery import defuse, has_doctype, parse_feed

if TYPE_CHECKING:
    from crawler.security import Address


# --- addresses ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("10.1.2.3", "private"), ("172.16.0.1", "private"),
    ("192.168.1.1", "private"), ("169.254.169.254", "cloud metadata"), ("169.254.1.1", "link-local"),
    ("100.100.100.200", "cloud metadata"), ("100.64.0.1", "not public"), ("0.0.0.0", "unspecified"),
    ("224.0.0.1", "multicast"), ("255.255.255.255", "private"), ("::1", "loopback"), ("fe80::1", "link-local"),
    ("fc00::1", "private"), ("fd00:ec2::254", "cloud metadata"), ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.0.0.1", "private"), ("2002:7f00:1::", "loopback"), ("::", "unspecified"),
    ("8.8.8.8", None), ("93.184.216.34", None), ("2606:4700:4700::1111", None),
])
def test_non_public_addresses(address: str, reason: str | None) -> None:
    assert non_public(ipaddress.ip_address(address)) == reason


def test_allow_private_hosts_setting() -> None:
    policy = AddressPolicy.from_setting(["10.0.0.0/8", "Intranet.Example.", "192.168.1.5", "fd00::/8", ""])
    assert policy.names == {"intranet.example"}
    assert policy.refusal([ipaddress.ip_address("10.9.8.7")]) is None
    assert policy.refusal([ipaddress.ip_address("192.168.1.5")]) is None
    assert policy.refusal([ipaddress.ip_address("192.168.1.6")]) == "192.168.1.6 (private)"
    assert policy.refusal([ipaddress.ip_address("fd12::1")]) is None
    assert policy.allows_name("INTRANET.example", own_host="news.example")
    assert policy.allows_name("feeds.local", own_host="Feeds.Local.")
    assert not policy.allows_name("other.local", own_host="feeds.local")
    with pytest.raises(ValueError, match="ALLOW_PRIVATE_HOSTS: 'not a host!'"):
        AddressPolicy.from_setting(["not a host!"])


def _guard(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]], allow: list[str] | None = None,
           ) -> AddressGuardMiddleware:
    async def fake_resolve(host: str) -> list[Address]:
        literal = host.strip("[]")
        if re.fullmatch(r"[\d.]+|[0-9a-f:]+", literal) and (":" in literal or literal.count(".") == 3):
            return [ipaddress.ip_address(literal)]
        return [ipaddress.ip_address(a) for a in answers.get(host, [])]

    monkeypatch.setattr("crawler.security.resolve", fake_resolve)
    crawler = get_crawler(settings_dict={"ADDRESS_GUARD_ENABLED": True, "ALLOW_PRIVATE_HOSTS": allow or []})
    guard = AddressGuardMiddleware.from_crawler(crawler)

    class Spider:
        sources: ClassVar[list[Source]] = [Source(name="public", url="https://news.example/feed.xml"),
                   Source(name="intranet", url="http://wiki.corp.internal:8080/feed")]

    guard.spider_opened(Spider())  # type: ignore[arg-type]
    return guard


def _check(guard: AddressGuardMiddleware, url: str, **meta: object) -> None:
    asyncio.run(guard.process_request(Request(url, meta=meta)))


ANSWERS = {"news.example": ["93.184.216.34"], "rebind.example": ["127.0.0.1"], "cdn.example": ["151.101.1.1"],
           "wiki.corp.internal": ["10.1.1.1"], "mixed.example": ["151.101.1.1", "10.0.0.1"],
           "localhost": ["127.0.0.1"]}


@pytest.mark.parametrize(("url", "meta", "blocked"), [
    ("https://cdn.example/story", {"source": "public"}, False),
    ("https://rebind.example/story", {"source": "public"}, True),  # a public name pointing at 127.0.0.1
    ("https://mixed.example/story", {"source": "public"}, True),  # one private answer is enough
    ("http://169.254.169.254/latest/meta-data/", {"source": "public"}, True),
    ("http://[::1]/x", {"source": "public"}, True),
    ("http://wiki.corp.internal:8080/page", {"source": "intranet"}, False),  # its own host
    ("http://wiki.corp.internal:9999/other-port", {"source": "intranet"}, False),
    ("http://wiki.corp.internal/page", {"source": "public"}, True),  # another source's private host
    ("http://10.1.1.2/page", {"source": "intranet"}, True),  # the same network is not the same host
    ("http://localhost/admin", {}, False),  # a request the user made (scrapy parse URL)
    ("http://localhost/admin", {"redirect_urls": ["https://cdn.example/a"]}, True),  # ... but not its redirects
    ("http://localhost/admin", {"source": "public", "redirect_urls": ["https://news.example/a"]}, True),
])
def test_the_guard_decides_by_source_and_dns_answer(monkeypatch: pytest.MonkeyPatch, url: str,
                                                    meta: dict[str, object], blocked: bool) -> None:
    guard = _guard(monkeypatch, ANSWERS)
    if blocked:
        with pytest.raises(BlockedAddress):
            _check(guard, url, **meta)
        assert guard.stats is not None and guard.stats.get_value("blockradar/security/blocked") == 1
    else:
        _check(guard, url, **meta)


def test_the_guard_allows_what_the_setting_allows(monkeypatch: pytest.MonkeyPatch) -> None:
    guard = _guard(monkeypatch, ANSWERS, allow=["10.0.0.0/8", "localhost"])
    _check(guard, "http://wiki.corp.internal/page", source="public")
    _check(guard, "http://localhost/x", source="public")
    with pytest.raises(BlockedAddress):
        _check(guard, "https://rebind.example/story", source="public")


def test_an_unresolvable_name_fails_like_a_dns_error(monkeypatch: pytest.MonkeyPatch) -> None:
    guard = _guard(monkeypatch, ANSWERS)
    with pytest.raises(CannotResolveHostError):
        _check(guard, "https://nowhere.example/x", source="public")


def test_the_guard_can_be_switched_off() -> None:
    from scrapy.exceptions import NotConfigured  # noqa: PLC0415

    with pytest.raises(NotConfigured):
        AddressGuardMiddleware.from_crawler(get_crawler(settings_dict={"ADDRESS_GUARD_ENABLED": False}))


# --- the sources file is data; names never escape a directory ---------------------------------------------------
@pytest.mark.parametrize("name", ["../../etc/passwd", "..", ".", "a/b", "/abs", "a\\\\b", "logs/../x", "x.log", "x\\u0000y",
                                  "UPPER", "-lead", "trail-", "a" * 65, "", " sp", "name\\n"])
def test_hostile_source_names_are_rejected_by_the_loader(tmp_path: Path, name: str) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(f'[[sources]]\nname = "{name}"\nurl = "https://news.example/feed"\n', encoding="utf-8")
    with pytest.raises(SourcesError, match="bad name"):
        load_sources(path)


@settings(max_examples=200, deadline=None)
@given(st.from_regex(NAME_RE, fullmatch=True))
def test_every_valid_name_stays_inside_the_output_directory(name: str) -> None:
    # the daemon writes DIR/logs/<name>.log and DIR/.runs/<id>-<name>.jsonl (crawler/runner.py)
    out = Path("/srv/blockradar/output")
    for path in (out / "logs" / f"{name}.log", out / ".runs" / f"12-{name}.jsonl", out / ".runs" / f"12-{name}.stats.json"):
        assert path.resolve().parent in (out / "logs", out / ".runs")


@pytest.mark.parametrize(("text", "message"), [
    ('import os\nos.system("touch {marker}")\n', "not valid TOML"),
    ('[[sources]]\nname = __import__("os").system("touch {marker}")\nurl = "https://a.example/"\n', "not valid TOML"),
    ('exec("open(\'{marker}\', \'w\')")\n', "not valid TOML"),
    ('[[sources]]\nname = "__import__(\'os\').system(\'touch {marker}\')"\nurl = "https://a.example/"\n', "bad name"),
    ('[[sources]]\nname = "ok"\nurl = "javascript:open(\'{marker}\')"\n', "bad url"),
    ('[[sources]]\nname = "ok"\nurl = "https://a.example/"\n__class__ = "{marker}"\n', "unknown key"),
])
def test_a_sources_file_with_code_in_it_is_only_invalid_data(tmp_path: Path, text: str, message: str) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "sources.toml"
    path.write_text(text.format(marker=marker), encoding="utf-8")
    with pytest.raises(SourcesError, match=message) as info:
        load_sources(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)
    assert not marker.exists()


# --- retries ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "expected"), [
    ("120", 120.0), (b"0", 0.0), ("  7 ", 7.0), ("-5", None), ("soon", None), ("", None), (None, None),
    ("1.5", None), ("Wed, 21 Oct 2015 07:28:00", None),  # a date without its zone is no HTTP date
])
def test_parse_retry_after(value: str | bytes | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_dates() -> None:
    now = time.time()
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30, abs=1)
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now=now) == 0.0


def test_backoff_grows_and_is_bounded() -> None:
    import random  # noqa: PLC0415

    rng = random.Random(1)
    delays = [backoff_delay(n, 1.0, 30.0, rng) for n in range(1, 12)]
    assert all(0.5 * min(30, 2 ** (n - 1)) <= d <= min(30, 2 ** (n - 1)) for n, d in enumerate(delays, start=1))
    assert backoff_delay(1000, 1.0, 30.0) <= 30.0
    assert backoff_delay(3, 0.0, 30.0) == 0.0


# --- charsets and content types -----------------------------------------------------------------------------------
RU = "<html><body><p>Роскомнадзор заблокировал мессенджер</p></body></html>"


@pytest.mark.parametrize(("body", "declared", "meta", "expected"), [
    (RU.encode("cp1251"), "utf-8", "windows-1251", "cp1251"),  # header says UTF-8, the bytes are not
    (b"<!-- " + b"x" * 40_000 + b" -->" + RU.encode("cp1251"), "utf-8", "windows-1251", "cp1251"),  # ... far down
    (RU.encode("cp1251"), "utf-8", None, None),  # ... but nothing says what they are: keep the header
    (RU.encode("utf-8"), "iso-8859-1", None, "utf-8"),  # header says latin-1, the bytes are valid UTF-8
    (RU.encode("koi8-r"), "iso-8859-1", "koi8-r", "koi8-r"),  # a server default loses to the page's meta
    (RU.encode("cp1251"), "windows-1251", "koi8-r", None),  # a specific header charset wins over the meta
    (RU.encode("utf-8"), "utf-8", "windows-1251", None),  # valid UTF-8 as declared
    (b"<html>ascii only</html>", "utf-8", "koi8-r", None),
    (b"\xef\xbb\xbf" + RU.encode("utf-8"), "iso-8859-1", None, None),  # a BOM wins (Scrapy reads it first)
    (None, None, None, None),
])
def test_corrected_encoding(body: bytes | None, declared: str | None, meta: str | None, expected: str | None) -> None:
    from w3lib.encoding import resolve_encoding  # noqa: PLC0415

    fix = corrected_encoding(body or b"", resolve_encoding(declared) if declared else None, meta)
    assert (fix[0] if fix else None) == expected
    if fix:
        assert "\ufffd" not in (body or b"").decode(fix[0], errors="replace")


def test_header_charset_and_html_sniffing() -> None:
    assert header_charset("text/html; charset=ISO-8859-1") == "cp1252"
    assert header_charset('text/html; charset="koi8-r"') == "koi8-r"
    assert header_charset("text/html") is None
    assert header_charset("text/html; charset=no-such-codec") is None
    assert looks_like_html(b"\n\n<!DOCTYPE html><p>x")
    assert looks_like_html(b"<!-- generated -->\n<HTML lang=en>")
    assert not looks_like_html(b"User-agent: *\nDisallow: /")
    assert not looks_like_html(b'{"html": "<p>"}')


# --- redirects ----------------------------------------------------------------------------------------------------
def test_redirect_target() -> None:
    assert redirect_target("http://a.example/x/y", b"../z#frag") == "http://a.example/z"
    assert redirect_target("https://a.example/x", b"//b.example/p") == "https://b.example/p"
    assert redirect_target("http://a.example/", "/новости".encode()) == "http://a.example/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8"


def test_a_redirect_loop_is_refused_at_the_response_that_closes_it() -> None:
    guard = RedirectGuardMiddleware.from_crawler(get_crawler())
    request = Request("http://a.example/b", meta={"redirect_urls": ["http://a.example/a"]})
    back = Response("http://a.example/b", status=301, headers={"Location": "/a#top"})
    with pytest.raises(RedirectLoop, match=re.escape("http://a.example/a -> http://a.example/b -> http://a.example/a")):
        guard.process_response(request, back)
    onward = Response("http://a.example/b", status=302, headers={"Location": "/c"})
    assert guard.process_response(request, onward) is onward


# --- errors -------------------------------------------------------------------------------------------------------
def _failure(exc: Exception) -> Failure:
    try:
        raise exc
    except Exception:  # noqa: BLE001
        return Failure()


@pytest.mark.parametrize(("exc", "kind"), [
    (HttpError(Response("http://a.example/", status=404), "x"), "http_404"),
    (DownloadTimeoutError("slow"), "timeout"),
    (CannotResolveHostError("no"), "dns"),
    (IgnoreRequest("Ignored response because its body exceeded DOWNLOAD_MAXSIZE during decompression."),
     "decompression_bomb"),
    (IgnoreRequest("max redirections reached"), "too_many_redirects"),
    (IgnoreRequest("Forbidden by robots.txt"), "other"),
    (BlockedAddress("blocked"), "blocked_address"),
    (RuntimeError("?"), "other"),
])
def test_failure_kind(exc: Exception, kind: str) -> None:
    assert errors.failure_kind(_failure(exc)) == kind


def test_error_summary() -> None:
    counts = errors.error_counts({"blockradar/errors/timeout": 2, "blockradar/errors/http_404": 3, "other": 1})
    assert counts == {"http_404": 3, "timeout": 2}
    assert errors.error_summary(counts) == "http_404 3, timeout 2"
    assert errors.error_summary({}) == ""


def test_status_shows_the_errors_of_the_last_run() -> None:
    now = time.time()
    runs = [RunRecord(2, "s", now - 10, now - 5, "ok", items=1, errors=3,
                      stats={"errors": {"timeout": 2, "http_404": 1, "junk": "x"}}),
            RunRecord(1, "s", now - 100, now - 90, "ok", errors=0)]
    row = source_health("s", runs, now, 2, 3)
    assert (row.errors, row.error_kinds) == (3, {"timeout": 2, "http_404": 1})
    table = format_table([row, source_health("t", [], now, 2, 3)])
    header, first, second = table.splitlines()
    assert "ERRORS" in header.split()
    assert "3 (timeout 2, http_404 1)" in first
    assert second.split()[-2:] == ["0", "new"]


# --- XML and the feed file ----------------------------------------------------------------------------------------
def test_a_doctype_is_removed_however_long_the_prolog() -> None:
    doctype = b'<!DOCTYPE rss [<!ENTITY a "]>"><!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    body = b'<?xml version="1.0"?>\n<!--' + b"x" * 10_000 + b"-->\n<?pi x?>\n" + doctype + b"\n<rss><channel/></rss>"
    assert has_doctype(body)
    cleaned = defuse(body)
    assert b"ENTITY" not in cleaned and b"DOCTYPE" not in cleaned
    assert cleaned.endswith(b"<rss><channel/></rss>") and cleaned.count(b"x" * 10_000) == 1
    plain = b'<?xml version="1.0"?><rss/>'
    assert defuse(plain) is plain and not has_doctype(plain)


def test_unusable_feed_links_are_reported() -> None:
    rejected: list[str] = []
    feed = (b'<rss version="2.0"><channel><item><link>javascript:alert(1)</link></item>'
            b"<item><link>mailto:x@y.example</link></item><item><link>https://a.example/ok-story-here</link></item>"
            b"</channel></rss>")
    assert [link.url for link in parse_feed(feed, "https://a.example/feed", rejected)] == ["https://a.example/ok-story-here"]
    assert rejected == ["javascript:alert(1)", "mailto:x@y.example"]


@pytest.mark.parametrize(("content", "kept"), [
    (b"", b""), (b'{"a": 1}\n', b'{"a": 1}\n'), (b'{"a": 1}\n{"b": 2', b'{"a": 1}\n'),
    (b'{"b": 2', b""), (b'{"a": 1}\n' + b"x" * 200_000, b'{"a": 1}\n'),
])
def test_an_unfinished_last_line_is_cut_off(tmp_path: Path, content: bytes, kept: bytes) -> None:
    path = tmp_path / "out.jsonl"
    path.write_bytes(content)
    assert drop_unfinished_line(path) == len(content) - len(kept)
    assert path.read_bytes() == kept


def test_appending_to_a_feed_file_repairs_it_first(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_bytes(b'{"id": "a"}\n{"id": "b", "ti')  # a crawl killed in mid-write
    storage = UnbufferedFileFeedStorage(str(path), feed_options={"overwrite": False, "format": "jsonl"})
    handle = storage.open(None)  # type: ignore[arg-type]
    handle.write(b'{"id": "c"}\n')
    handle.close()
    assert path.read_bytes() == b'{"id": "a"}\n{"id": "c"}\n'
    # a feed in another format is no list of lines: it is never cut
    other = tmp_path / "out.json"
    other.write_bytes(b'[\n{"id": "a"}\n]')
    UnbufferedFileFeedStorage(str(other), feed_options={"overwrite": False, "format": "json"}).open(None).close()  # type: ignore[arg-type]
    assert other.read_bytes() == b'[\n{"id": "a"}\n]'


def test_whole_writes_survive_short_writes(tmp_path: Path) -> None:
    import io  # noqa: PLC0415

    class ShortWrites(io.FileIO):
        def write(self, data: bytes, /) -> int:  # type: ignore[override]
            return super().write(bytes(data)[:3])  # the kernel takes 3 bytes at a time

    class Whole(_WholeWriteFile, ShortWrites):
        pass

    path = tmp_path / "x"
    with Whole(path, "w") as handle:
        assert handle.write(b'{"id": "abcdefgh"}\n') == 19
    assert path.read_bytes() == b'{"id": "abcdefgh"}\n'


# --- the crawl survives an extractor bug ----------------------------------------------------------------------------
def test_an_extractor_crash_is_one_line_and_a_count(monkeypatch: pytest.MonkeyPatch,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    from scrapy.http import HtmlResponse  # noqa: PLC0415

    from spiders.news import NewsSpider  # noqa: PLC0415

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("lxml said no")

    monkeypatch.setattr("spiders.news.extract_article", broken)
    crawler = get_crawler(NewsSpider)
    spider = NewsSpider.from_crawler(crawler, url="https://news.example/feed")
    url = "https://news.example/2026/02/10/a-story.html"
    page = HtmlResponse(url, body=b"<html><p>x</p></html>", request=Request(url, meta={"source": "news-example"}))
    assert list(spider.parse_article(page)) == []
    assert crawler.stats is not None and crawler.stats.get_value("blockradar/errors/extraction") == 1
    assert "Extraction failed for https://news.example/2026/02/10/a-story.html (source news-example): " \
           "RuntimeError: lxml said no" in caplog.text


def test_a_discovery_crash_is_one_line_and_a_count(monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    from scrapy.http import XmlResponse  # noqa: PLC0415

    from spiders.news import NewsSpider  # noqa: PLC0415

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("feedparser said no")

    monkeypatch.setattr("spiders.discovery.parse_feed", broken)
    crawler = get_crawler(NewsSpider)
    spider = NewsSpider.from_crawler(crawler, url="https://news.example/feed")
    url = "https://news.example/feed"
    feed = XmlResponse(url, body=b'<rss version="2.0"><channel/></rss>',
                       request=Request(url, meta={"source": "news-example", "kind": "feed"}))
    assert list(spider.parse_source(feed)) == []
    assert crawler.stats is not None and crawler.stats.get_value("blockradar/errors/bad_document") == 1
    assert ("Cannot read https://news.example/feed (source news-example) as a feed: RuntimeError: feedparser said no"
            in caplog.text)


def test_a_bad_link_in_a_feed_costs_only_that_link(monkeypatch: pytest.MonkeyPatch) -> None:
    from scrapy.http import XmlResponse  # noqa: PLC0415

    import spiders.news  # noqa: PLC0415
    from spiders.news import NewsSpider  # noqa: PLC0415

    real = spiders.news.canonical_url

    def picky(url: str) -> str:
        if "bad" in url:
            raise ValueError("unparsable")
        return real(url)

    monkeypatch.setattr("spiders.news.canonical_url", picky)
    crawler = get_crawler(NewsSpider, settings_dict={"DISCOVERY_MAX_LINKS": 500})
    spider = NewsSpider.from_crawler(crawler, url="https://news.example/feed")
    url = "https://news.example/feed"
    body = (b'<rss version="2.0"><channel><item><link>https://news.example/2026/02/10/bad-story</link></item>'
            b"<item><link>https://news.example/2026/02/10/good-story</link></item></channel></rss>")
    feed = XmlResponse(url, body=body, request=Request(url, meta={"source": "news-example", "kind": "feed"}))
    assert [r.url for r in spider.parse_source(feed)] == ["https://news.example/2026/02/10/good-story"]
    assert crawler.stats is not None and crawler.stats.get_value("blockradar/discovery/skipped/bad_link") == 1


@pytest.mark.parametrize("feed", [
    (b'<rss version="2.0"><channel><title>&#xD800;&#x110000;&#0;</title>'
    b"<item><title>t &#xDFFF;</title><link>https://news.example/a-b-c-d</link></item></channel></rss>"),
    (b'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><subtitle>&#x110000;</subtitle>'
    b'<entry><title>t</title><link href="https://news.example/a-b-c-d"/><id>x</id></entry></feed>'),
    (b'<?xml version="1.0" encoding="\x80utf-8"?><rss><channel><item><link>https://news.example/a-b-c-d</link></item>'
    b"</channel></rss>"),
    (b'<?xml version="1.0" encoding="utf\x00-8"?><rss><channel><item><link>https://news.example/a-b-c-d</link></item>'
    b"</channel></rss>"),
])
def test_a_feed_with_impossible_characters_or_encoding_keeps_its_entries(feed: bytes) -> None:
    assert [link.url for link in parse_feed(feed, "https://news.example/")] == ["https://news.example/a-b-c-d"]


def test_retries_wait_for_the_backoff_and_for_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    from crawler.retry import BackoffRetryMiddleware  # noqa: PLC0415

    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr("crawler.retry.sleep", fake_sleep)
    crawler = get_crawler(settings_dict={"RETRY_TIMES": 3, "RETRY_BACKOFF_BASE": 2.0, "RETRY_BACKOFF_MAX": 5.0,
                                         "RETRY_AFTER_MAX": 60.0})
    crawler.spider = Spider.from_crawler(crawler, "test")
    middleware = BackoffRetryMiddleware.from_crawler(crawler)
    request = Request("https://news.example/a")
    for _ in range(3):
        retry = asyncio.run(middleware.process_response(request, Response(request.url, status=503)))
        assert isinstance(retry, Request)
        request = retry
    assert 1.0 <= waits[0] <= 2.0 and 2.0 <= waits[1] <= 4.0 and 2.5 <= waits[2] <= 5.0  # doubled, capped, jittered
    gave_up = Response(request.url, status=503)
    assert asyncio.run(middleware.process_response(request, gave_up)) is gave_up  # RETRY_TIMES reached

    waits.clear()
    limited = Request("https://news.example/b")
    retry = asyncio.run(middleware.process_response(limited, Response(limited.url, status=429,
                                                                      headers={"Retry-After": "7"})))
    assert isinstance(retry, Request) and waits == [7.0]
    too_long = Response(limited.url, status=429, headers={"Retry-After": "3600"})
    assert asyncio.run(middleware.process_response(limited, too_long)) is too_long
    assert waits == [7.0]
    assert crawler.stats is not None and crawler.stats.get_value("blockradar/retry/retry_after_too_long") == 1

    waits.clear()
    timed_out = Request("https://news.example/c")
    retry = asyncio.run(middleware.process_exception(timed_out, DownloadTimeoutError("slow")))
    assert isinstance(retry, Request) and len(waits) == 1 and 1.0 <= waits[0] <= 2.0


def test_the_spider_enforces_the_minimum_body_length(caplog: pytest.LogCaptureFixture) -> None:
    from scrapy.http import HtmlResponse  # noqa: PLC0415

    from spiders.news import NewsSpider  # noqa: PLC0415

    crawler = get_crawler(NewsSpider, settings_dict={"EXTRACT_MIN_BODY_CHARS": 40, "EXTRACT_MAX_CHARS": 100_000})
    spider = NewsSpider.from_crawler(crawler, url="https://news.example/feed")
    url = "https://news.example/a/b-c-d"
    html = b"<html><body><h1>Roskomnadzor blocks the messenger nationwide today</h1><p>ok</p></body></html>"
    page = HtmlResponse(url, body=html, request=Request(url, meta={"source": "news-example"}))
    assert list(spider.parse_article(page)) == []
    assert crawler.stats is not None and crawler.stats.get_value("blockradar/skipped/not_an_article") == 1
