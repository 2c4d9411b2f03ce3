"""PendingValidators (crawler/middlewares.py): the validators a crawl saves at its end wait on disk, not in memory."""

from __future__ import annotations

from crawler.middlewares import PendingValidators
from crawler.state.base import Validators


def test_every_page_comes_back_once_with_its_last_validators_in_bounded_batches() -> None:
    pending = PendingValidators()
    try:
        total = 2 * PendingValidators.BATCH + 345
        for n in range(total):
            pending.add(f"https://news.example/a/{n}", "news", "article", Validators(f'"{n}"', ""))
        pending.add("https://news.example/a/7", "news", "article", Validators('"seven again"', "Mon, 02 Mar 2026"))
        pending.add("https://news.example/feed.xml", "news", "feed", Validators("", "Mon, 02 Mar 2026"))
        batches = list(pending.batches(set()))
        assert all(len(batch) <= PendingValidators.BATCH for batch in batches)
        pages = {url: validators for batch in batches for url, validators in batch.items()}
        assert sum(map(len, batches)) == len(pages) == total + 1
        assert pages["https://news.example/a/7"] == Validators('"seven again"', "Mon, 02 Mar 2026")
        assert pages["https://news.example/a/8"] == Validators('"8"', "")
        assert pages["https://news.example/feed.xml"] == Validators("", "Mon, 02 Mar 2026")
    finally:
        pending.close()


def test_a_failed_sources_discovery_pages_are_left_out_but_not_its_articles() -> None:
    pending = PendingValidators()
    try:
        pending.add("https://a.example/feed.xml", "a", "feed", Validators('"f"', ""))
        pending.add("https://a.example/story", "a", "article", Validators('"s"', ""))
        pending.add("https://b.example/sitemap.xml", "b", "sitemap", Validators('"m"', ""))
        kept = {url for batch in pending.batches({"a"}) for url in batch}
        assert kept == {"https://a.example/story", "https://b.example/sitemap.xml"}
    finally:
        pending.close()
