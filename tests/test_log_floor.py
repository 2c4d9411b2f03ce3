"""LogLevelFloor (crawler/extensions.py): below every handler's level, a log call makes no record during a crawl."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import TYPE_CHECKING

from scrapy.utils.test import get_crawler

from crawler.extensions import LogLevelFloor
from spiders.news import NewsSpider

if TYPE_CHECKING:
    from collections.abc import Iterator


@contextmanager
def records() -> Iterator[list[logging.LogRecord]]:
    """Every log record made, under handlers like a crawl's at INFO (pytest's own capture handlers, which take
    everything and are put back at each phase of a test, set aside); the root logger, its handlers and the record
    factory restored after."""
    root = logging.root
    saved_handlers, saved_level, saved_factory = root.handlers[:], root.level, logging.getLogRecordFactory()
    made: list[logging.LogRecord] = []

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = saved_factory(*args, **kwargs)
        if record.name.startswith("blockradar.test."):  # (not Scrapy's own, made when a crawler is)
            made.append(record)
        return record

    root.handlers = [logging.StreamHandler()]
    root.handlers[0].setLevel(logging.INFO)
    root.setLevel(logging.NOTSET)  # as Scrapy leaves it
    logging.setLogRecordFactory(factory)
    try:
        yield made
    finally:
        logging.setLogRecordFactory(saved_factory)
        root.handlers = saved_handlers
        root.setLevel(saved_level)


def _crawl_extension() -> tuple[LogLevelFloor, object]:
    crawler = get_crawler(NewsSpider)
    return LogLevelFloor.from_crawler(crawler), crawler.spider


def test_during_a_crawl_calls_below_every_handler_make_no_record() -> None:
    with records() as made:
        _check_no_record(made)


def _check_no_record(records: list[logging.LogRecord]) -> None:
    log = logging.getLogger("blockradar.test.floor")
    log.debug("made and dropped")
    assert len(records) == 1  # before: a record each call, that the handler drops
    extension, spider = _crawl_extension()
    extension.engine_started()
    try:
        assert logging.root.level == logging.INFO
        log.debug("not made")
        logging.getLogger("trafilatura.core").debug("nor this")
        assert len(records) == 1
        log.info("still logged")
        assert [r.getMessage() for r in records[1:]] == ["still logged"]
    finally:
        extension.spider_closed(spider, "finished")  # type: ignore[arg-type]
    assert logging.root.level == logging.NOTSET
    log.debug("made again")
    assert len(records) == 3


@contextmanager
def handler_on(name: str, handler: logging.Handler) -> Iterator[logging.Handler]:
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def test_a_handler_that_takes_everything_keeps_every_record() -> None:
    # (a StreamHandler without a level: it takes every record of its logger)
    with handler_on("blockradar.test.verbose", logging.StreamHandler()), records() as made:
        extension, spider = _crawl_extension()
        extension.engine_started()
        assert logging.root.level == logging.NOTSET
        logging.getLogger("blockradar.test.verbose").debug("wanted")
        assert [r.getMessage() for r in made] == ["wanted"]
        extension.spider_closed(spider, "finished")  # type: ignore[arg-type]


def test_a_debug_handler_lowers_the_floor_and_null_handlers_do_not_count() -> None:
    debug = logging.StreamHandler()
    debug.setLevel(logging.DEBUG)
    # (a library's NullHandler has no level, but takes nothing)
    with handler_on("blockradar.test.library", logging.NullHandler()), records():
        with handler_on("blockradar.test.debug", debug):
            assert LogLevelFloor.floor() == logging.DEBUG
        assert LogLevelFloor.floor() == logging.INFO
