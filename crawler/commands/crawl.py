"""``scrapy crawl``, with the news spider's arguments checked before the crawl starts.

A bad sources file or a bad ``-a`` argument then stops with one line naming the file, the source and the problem
(exit status 2), instead of a traceback from inside the engine.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from crawler.sources import SourcesError, resolve_sources

if TYPE_CHECKING:
    import argparse


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args and args[0] == "news" and self.settings is not None:
            spargs = opts.spargs
            unknown = set(spargs) - {"sources", "source", "url"}
            if unknown:
                self._fail(f"unknown spider argument(s) {', '.join(sorted(unknown))} (use sources, source or url)")
                return
            try:
                resolve_sources(
                    sources_file=spargs.get("sources") or self.settings.get("SOURCES_FILE") or None,
                    names=spargs.get("source"),
                    urls=spargs.get("url"),
                )
            except SourcesError as exc:
                self._fail(str(exc))
                return
        super().run(args, opts)

    def _fail(self, message: str) -> None:
        print(f"error: {message}", file=sys.stderr)
        self.exitcode = 2
