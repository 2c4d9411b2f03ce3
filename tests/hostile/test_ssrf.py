"""A feed on 127.0.0.1 whose links and redirects aim at other non-public addresses: the crawler may read its own
source's host (any port) and nothing else that is not public, unless ALLOW_PRIVATE_HOSTS says so."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from tests.conftest import CrawlResult, run_crawl
from tests.hostile import faultweb as fw
from tests.hostile.articles import english, page

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.slow

SETTINGS = {"CLASSIFY_ENABLED": "False", "DOWNLOAD_TIMEOUT": "5", "RETRY_TIMES": "0"}
BLOCKED = ["name-for-loopback", "decimal-loopback", "ipv6-loopback", "unspecified", "cloud-metadata", "private",
           "redirect-to-name", "redirect-to-metadata"]


@dataclass
class Web:
    home: fw.FaultWeb
    other: fw.FaultWeb
    """The same host, another port."""

    def blocked_links(self) -> dict[str, str]:
        """name -> URL of every link the crawl must refuse (by default)."""
        port = self.home.port
        links = {
            "name-for-loopback": f"http://localhost:{port}/news/by-name.html",
            "decimal-loopback": f"http://2130706433:{port}/news/decimal-ip.html",
            "ipv6-loopback": f"http://[::1]:{port}/news/ipv6.html",
            "unspecified": f"http://0.0.0.0:{port}/news/zero.html",
            "cloud-metadata": "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
            "private": "http://10.0.0.1/internal/admin-panel-page",
            "redirect-to-name": self.home.url("/redirect/to-localhost"),
            "redirect-to-metadata": self.home.url("/redirect/to-metadata"),
        }
        assert list(links) == BLOCKED
        return links


@pytest.fixture(scope="module")
def web() -> Iterator[Web]:
    with fw.FaultWeb() as home, fw.FaultWeb() as other:
        served = Web(home, other)
        for n, path in enumerate(["/news/own-host.html", "/news/by-name.html", "/news/decimal-ip.html",
                                  "/news/redirect-target.html"]):
            home.add(path, fw.html(page(english(n))))
        other.add("/news/other-port.html", fw.html(page(english(10))))
        home.add("/redirect/to-localhost", fw.redirect(f"http://localhost:{home.port}/news/redirect-target.html"))
        home.add("/redirect/to-metadata", fw.redirect("http://169.254.169.254/latest/meta-data/"))
        home.add("/redirect/to-file", fw.redirect("file:///etc/passwd"))
        links = [home.url("/news/own-host.html"), other.url("/news/other-port.html"), home.url("/redirect/to-file"),
                 *served.blocked_links().values()]
        items = "".join(f"<item><title>t</title><link>{link}</link></item>" for link in links)
        home.add("/feed.xml", fw.html(f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>',
                                      "application/rss+xml"))
        yield served


def crawl(web: Web, tmp: Path, **settings: str) -> CrawlResult:
    sources = tmp / "sources.toml"
    sources.write_text(f'[[sources]]\nname = "local"\nurl = "{web.home.url("/feed.xml")}"\n', encoding="utf-8")
    return run_crawl(tmp, "-a", f"sources={sources}", settings={**SETTINGS, **settings}, timeout=120)


def paths(result: CrawlResult) -> set[str]:
    return {urlsplit(r["url"]).path for r in result.records}


@pytest.fixture(scope="module")
def default(web: Web, tmp_path_factory: pytest.TempPathFactory) -> tuple[CrawlResult, float]:
    started = time.monotonic()
    result = crawl(web, tmp_path_factory.mktemp("ssrf"))
    return result, time.monotonic() - started


def test_the_source_host_is_crawled_on_any_port(default: tuple[CrawlResult, float]) -> None:
    result, _ = default
    assert result.returncode == 0, result.log[-3000:]
    assert paths(result) == {"/news/own-host.html", "/news/other-port.html"}


@pytest.mark.parametrize("name", BLOCKED)
def test_links_and_redirects_to_non_public_addresses_are_blocked(name: str, web: Web,
                                                                 default: tuple[CrawlResult, float]) -> None:
    result, _ = default
    url = web.blocked_links()[name]
    target = {"redirect-to-name": f"http://localhost:{web.home.port}/news/redirect-target.html",
              "redirect-to-metadata": "http://169.254.169.254/latest/meta-data/"}.get(name, url)
    lines = [line for line in result.log.splitlines() if f"Blocked {target} (" in line]
    assert len(lines) == 1, f"no single line for {target}"
    assert "(source local)" in lines[0] and "not a public address" in lines[0]
    if name.startswith("redirect"):
        assert f"(redirected from {url})" in lines[0]
    if name == "name-for-loopback":
        assert "localhost resolves to 127.0.0.1 (loopback)" in lines[0]
    assert result.stats["blockradar/security/blocked"] == len(web.blocked_links())
    assert result.stats["blockradar/errors/blocked_address"] == len(web.blocked_links())
    # nothing reached the server through the blocked names
    assert not web.home.requested("/news/by-name.html")
    assert not web.home.requested("/news/redirect-target.html")
    assert not web.home.requested("/news/decimal-ip.html")


def test_a_redirect_to_a_file_url_is_refused(web: Web, default: tuple[CrawlResult, float]) -> None:
    result, _ = default
    assert f"Refused a redirect (source local): {web.home.url('/redirect/to-file')} -> file:///etc/passwd" in result.log
    assert result.stats["blockradar/errors/bad_redirect"] == 1
    assert "root:" not in result.log
    assert all("root:" not in str(record) for record in result.records)


def test_allow_private_hosts_widens_the_allowance(web: Web, tmp_path: Path) -> None:
    before = len(web.home.hits)
    result = crawl(web, tmp_path, ALLOW_PRIVATE_HOSTS="localhost,127.0.0.0/8")
    assert result.returncode == 0, result.log[-3000:]
    assert paths(result) == {"/news/own-host.html", "/news/other-port.html", "/news/by-name.html",
                             "/news/decimal-ip.html", "/news/redirect-target.html"}
    hosts = {urlsplit(r["url"]).hostname for r in result.records}
    assert hosts == {"127.0.0.1", "localhost", "2130706433"}
    # still refused: ::1 (not in 127.0.0.0/8), 0.0.0.0, the metadata service and 10.0.0.1, directly and redirected
    assert result.stats["blockradar/security/blocked"] == 5
    assert len(web.home.hits) > before


def test_the_guard_adds_no_noticeable_time(default: tuple[CrawlResult, float]) -> None:
    _, seconds = default
    assert seconds < 30
