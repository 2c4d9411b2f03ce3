"""What went wrong with a request, in a word a person can act on: the kinds counted as ``blockradar/errors/<kind>``.

Every failed request is reported once, by the spider's errback, as one line naming the URL, the source and the
problem, and counted under its kind; the crawl ends with one summary line of all kinds (see ``error_summary``).
Components that refuse a request themselves (the address guard, the redirect-loop check) log and count it when
they do, and raise a ``ReportedIgnore`` so that the errback does not report it a second time.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.defer import CancelledError
from twisted.internet.error import (
    ConnectError,
    ConnectionDone,
    ConnectionLost,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)

from crawler.stats import stat_key

if TYPE_CHECKING:
    from scrapy.statscollectors import StatsCollector
    from twisted.python.failure import Failure

ERRORS = "errors"

# Kinds, most specific first. HTTP errors are 'http_<status>'.
TIMEOUT = "timeout"
DNS = "dns"
CONNECTION = "connection"
DATA_LOSS = "data_loss"
TOO_LARGE = "too_large"
DECOMPRESSION_BOMB = "decompression_bomb"
TOO_MANY_REDIRECTS = "too_many_redirects"
REDIRECT_LOOP = "redirect_loop"
BAD_REDIRECT = "bad_redirect"
BLOCKED_ADDRESS = "blocked_address"
BAD_DOCUMENT = "bad_document"
EMPTY_DOCUMENT = "empty_document"
EXTRACTION = "extraction"
OTHER = "other"

_TIMEOUTS = (DownloadTimeoutError, TimeoutError, TCPTimedOutError)
_DNS = (CannotResolveHostError, DNSLookupError)
_CONNECTION = (DownloadConnectionRefusedError, DownloadFailedError, ConnectError, ConnectionLost, ConnectionDone)


class ReportedIgnore(IgnoreRequest):
    """A request refused by a component that has already logged and counted why (under ``kind``)."""

    kind = OTHER


def is_a(failure: Failure, *types: type[BaseException]) -> bool:
    """``failure.check(*types)``, typed."""
    return failure.check(*types) is not None  # type: ignore[no-untyped-call]


def failure_kind(failure: Failure) -> str:
    """The error kind of a failed request: 'http_404', 'timeout', 'too_large', ... ('other' when unknown)."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}"
    if isinstance(exc, ReportedIgnore):
        return exc.kind
    if isinstance(exc, _TIMEOUTS):
        return TIMEOUT
    if isinstance(exc, _DNS):
        return DNS
    if isinstance(exc, ResponseDataLossError):
        return DATA_LOSS
    message = str(exc)
    # Scrapy cancels a download past DOWNLOAD_MAXSIZE (DownloadCancelledError when the size was announced, a plain
    # cancellation when it was streamed) and refuses a body that decompresses past it (IgnoreRequest).
    if isinstance(exc, (DownloadCancelledError, CancelledError)):
        return TOO_LARGE
    if isinstance(exc, IgnoreRequest):
        if "decompression" in message:
            return DECOMPRESSION_BOMB
        if "max redirections" in message:
            return TOO_MANY_REDIRECTS
        return OTHER
    if isinstance(exc, _CONNECTION):
        return CONNECTION
    return OTHER


def failure_reason(failure: Failure) -> str:
    """A short human reason for a failed request (the exception's message, else its type)."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"HTTP {exc.response.status}"
    message = failure.getErrorMessage() if exc is not None else ""
    if isinstance(exc, (DownloadCancelledError, CancelledError)) and not message:
        return "download cancelled (over DOWNLOAD_MAXSIZE)"
    return " ".join(message.split())[:300] or type(exc).__name__


def count_error(stats: StatsCollector | None, kind: str) -> None:
    """Count one error of ``kind`` as ``blockradar/errors/<kind>``."""
    if stats is not None:
        stats.inc_value(stat_key(ERRORS, kind))


def error_counts(stats: dict[str, object]) -> dict[str, int]:
    """{kind: count} of the ``blockradar/errors/<kind>`` stats of a crawl."""
    prefix = stat_key(ERRORS) + "/"
    return {k[len(prefix):]: int(v) for k, v in sorted(stats.items())
            if k.startswith(prefix) and isinstance(v, int)}


def error_summary(counts: dict[str, int]) -> str:
    """'http_404 2, timeout 1' (most frequent first), or '' when there was none."""
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{kind} {n}" for kind, n in ordered if n)


class NetworkErrorsInOneLine(logging.Filter):
    """Drop the traceback Scrapy attaches to some network failures (RobotsTxtMiddleware logs a robots.txt timeout
    with one): the line already names the request and the error, and a traceback of Twisted internals tells a person
    nothing more."""

    _EXPECTED = (*_TIMEOUTS, *_DNS, *_CONNECTION, ResponseDataLossError, DownloadCancelledError, CancelledError)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], self._EXPECTED):
            record.exc_info = None
            record.exc_text = None
        return True


def install_log_filters(logger_names: tuple[str, ...] = ("scrapy.downloadermiddlewares.robotstxt",)) -> None:
    """Attach NetworkErrorsInOneLine to these loggers (once)."""
    for name in logger_names:
        target = logging.getLogger(name)
        if not any(isinstance(f, NetworkErrorsInOneLine) for f in target.filters):
            target.addFilter(NetworkErrorsInOneLine())
