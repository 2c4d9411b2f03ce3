"""Start the daemon's crawl processes warm: forked from a process that has the crawl's code and data loaded.

A crawl run as ``python -m scrapy crawl news`` spends about a second of CPU before it fetches anything: importing
Scrapy, Twisted, lxml, trafilatura, dateparser and the project (0.6 s), compiling the taxonomy, mapping the
language model, then the first page pays for what the libraries load on first use. The daemon starts such a crawl
for every source at every interval, so on a server with a thousand sources that start-up, not the articles, is
most of its CPU.

With ``DAEMON_PRELOAD`` on (the default) the daemon starts a forkserver (``multiprocessing``'s, a fresh Python
process, not a fork of the daemon and its threads) that imports ``crawler.preload`` once: every module a crawl
uses, the taxonomy, the language model and one extraction, classification and fingerprint of a small page. Each
crawl is then forked from it and runs ``scrapy crawl news`` in-process, with the same arguments, environment,
working directory and log file as the subprocess it replaces, in a session of its own (so SIGTERM and SIGKILL reach
it and whatever it starts), named ``blockradar crawl SOURCE`` in ``ps``. Its memory is the forkserver's,
shared copy-on-write, until it writes to it. The code a crawl runs is the code the forkserver loaded: restart the
daemon after an upgrade (as for the daemon itself).
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.context import ForkServerContext
    from multiprocessing.process import BaseProcess

logger = logging.getLogger(__name__)

PRELOAD_MODULE = "crawler.preload"
COLD_WARNING = "blockradar: the crawl process starts without the preloaded modules (importing crawler.preload failed)"

# The status multiprocessing reports when the forkserver's pipe closed without one.
UNKNOWN_STATUS = 255
# Seconds between looks at a crawl whose forkserver went away.
ORPHAN_POLL = 0.5
_PROC = Path("/proc/self/stat").exists()

_lock = threading.Lock()
_context: ForkServerContext | None = None


def forkserver_available() -> bool:
    return "forkserver" in multiprocessing.get_all_start_methods()


def _forkserver() -> ForkServerContext:
    """The forkserver context, its preload set (the server itself starts with the first crawl)."""
    global _context
    with _lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([PRELOAD_MODULE])
            _context = context
        return _context


class ForkedCrawl:
    """A crawl forked from the forkserver, with the part of ``subprocess.Popen``'s interface the runner uses; safe
    to wait for from several threads (the runner's, and the one stopping every crawl at shutdown)."""

    def __init__(self, process: BaseProcess, args: list[str]) -> None:
        self._process = process
        self._sentinel = process.sentinel
        self._lock = threading.Lock()
        self._code: int | None = None
        self._orphaned = False
        self.args = args
        self.title = process.name
        pid = process.pid
        assert pid is not None  # (started)
        self.pid: int = pid

    @property
    def returncode(self) -> int | None:
        """The exit status; minus the signal's number when a signal ended it, as ``Popen.returncode``."""
        return self.poll()

    def poll(self) -> int | None:
        # One thread at a time: the forkserver writes the exit status once to a pipe, which only one may read.
        with self._lock:
            if self._code is None and (code := self._process.exitcode) is not None:
                if code == UNKNOWN_STATUS and _alive(self.pid):
                    # The forkserver went away (its pipe closed) while the crawl runs on: the crawl's end is watched
                    # directly, and its records are published when it ends, whatever its status.
                    if not self._orphaned:
                        self._orphaned = True
                        logger.warning("The forkserver went away while %(title)s (pid %(pid)d) runs: waiting for "
                                       "it; its exit status will be unknown", {"title": self.title, "pid": self.pid})
                    return None
                self._code = code
                # Out of multiprocessing's list of children; its pipe's descriptor is closed with this object (not
                # here: another thread may be waiting on it).
                self._process.join(0)
            return self._code

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if self._code is None and not multiprocessing.connection.wait([self._sentinel], left):
                raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
            code = self.poll()
            if code is not None:
                return code
            if deadline is not None and time.monotonic() >= deadline:  # an orphaned crawl, still running
                raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
            time.sleep(ORPHAN_POLL if left is None else min(ORPHAN_POLL, left))


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, which an init that does not reap may leave, does not)."""
    if _PROC:
        try:
            stat = Path(f"/proc/{pid}/stat").read_bytes()
        except OSError:
            return False
        return stat.rpartition(b")")[2].split()[:1] not in ([b"Z"], [b"X"])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def start_crawl(
    command: list[str], log: Path, env: dict[str, str], title: str, *, preload: bool
) -> subprocess.Popen[bytes] | ForkedCrawl:
    """Start ``command`` (``python -m scrapy ...``) in a session of its own, its output appended to ``log``: forked
    from the forkserver when ``preload`` is on (and the platform has one), else as a subprocess."""
    if preload and forkserver_available():
        argv = ["scrapy", *command[3:]] if command[1:3] == ["-m", "scrapy"] else command
        process = _forkserver().Process(target=_crawl_main, args=(argv, env, str(Path.cwd()), str(log), title),
                                        name=title)
        try:
            process.start()
            return ForkedCrawl(process, command)
        except (OSError, EOFError, ValueError) as exc:  # the forkserver could not be started or reached
            logger.warning("Could not fork %(title)s from the forkserver (%(error)s): starting it as a subprocess",
                           {"title": title, "error": exc})
    with log.open("ab") as output:
        return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, start_new_session=True)


def _crawl_main(argv: list[str], env: dict[str, str], cwd: str, log: str, title: str) -> Any:
    """The forked crawl: detached from the forkserver's session and output, then ``scrapy`` with ``argv``."""
    os.setsid()
    output = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    try:
        from setproctitle import setproctitle  # noqa: PLC0415

        setproctitle(title)
    except ImportError:
        pass
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    sys.argv = list(argv)
    if PRELOAD_MODULE not in sys.modules:
        print(COLD_WARNING, file=sys.stderr, flush=True)
    from scrapy.cmdline import execute  # noqa: PLC0415 - loaded already, but for a cold start

    return execute(argv)  # (raises SystemExit with the crawl's exit status)
