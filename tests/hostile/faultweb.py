"""A fault-injecting web server on 127.0.0.1 for the hostile tests: every path is a small function that may answer
well, badly, slowly, endlessly or not at all. Raw sockets cover what HTTP cannot express (a server that accepts a
connection and never answers).
"""

from __future__ import annotations

import socket
import threading
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Self
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from collections.abc import Callable

    Route = Callable[["FaultHandler", int], None]
    """A path's behaviour: called with the request handler and the attempt number (1 for the first request)."""

# Stop endless and huge answers after this long even if the client never hangs up.
_MAX_SECONDS = 30.0


@dataclass
class Hit:
    """One request the fault web received."""

    path: str
    at: float
    headers: dict[str, str] = field(default_factory=dict)


class FaultHandler(BaseHTTPRequestHandler):
    server_version = "fault-web/1"
    protocol_version = "HTTP/1.1"
    web: FaultWeb

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        raw_path = urlsplit(self.path).path
        key, route = self.web.lookup(raw_path)
        attempt = self.web.record(key, dict(self.headers.items()))
        try:
            if route is None:
                self.send(404, b"not found", "text/plain")
            else:
                route(self, attempt)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True

    # --- answers ---------------------------------------------------------------------------------------------
    def send(self, status: int, body: bytes, content_type: str | None = "text/html; charset=utf-8",
             headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def stream(self, chunk: bytes, *, length: int | None, pause: float = 0.0, content_type: str = "text/html") -> None:
        """Send ``chunk`` again and again (announcing ``length``, or chunked without it) until the client hangs up."""
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        sent, deadline = 0, time.monotonic() + _MAX_SECONDS
        while time.monotonic() < deadline and (length is None or sent < length):
            if length is None:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            else:
                self.wfile.write(chunk)
            self.wfile.flush()
            sent += len(chunk)
            if pause:
                time.sleep(pause)

    def cut(self, body: bytes, announced: int, content_type: str = "text/html; charset=utf-8") -> None:
        """Announce ``announced`` bytes, send ``body`` (fewer), then close the connection."""
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(announced))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up on endless answers is the point


class FaultWeb:
    """The server: ``add(path, route)``, then ``start()`` (or use as a context manager); ``hits`` records requests."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self.attempts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server: _QuietServer | None = None
        self._silent: socket.socket | None = None
        self.base = ""
        self.silent_base = ""
        """A port that accepts connections (the kernel does) and never answers: nothing ever reads them."""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        handler = type("BoundFaultHandler", (FaultHandler,), {"web": self})
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, name="fault-web", daemon=True).start()
        self._silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._silent.bind(("127.0.0.1", 0))
        self._silent.listen(64)
        self.silent_base = f"http://127.0.0.1:{self._silent.getsockname()[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._silent is not None:
            self._silent.close()
            self._silent = None

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, route: Route) -> str:
        """Serve ``path`` (raw, percent-encoded as sent, or decoded UTF-8) with ``route``; returns its URL."""
        self.routes[path] = route
        return self.url(path)

    def lookup(self, raw_path: str) -> tuple[str, Route | None]:
        if raw_path in self.routes:
            return raw_path, self.routes[raw_path]
        try:
            decoded = unquote(raw_path, errors="strict")
        except UnicodeDecodeError:
            return raw_path, None
        return decoded, self.routes.get(decoded)

    def record(self, key: str, headers: dict[str, str]) -> int:
        with self._lock:
            self.hits.append(Hit(key, time.monotonic(), headers))
            self.attempts[key] += 1
            return self.attempts[key]

    def requested(self, path: str) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if h.path == path]


# --- routes ------------------------------------------------------------------------------------------------------
def html(body: str | bytes, content_type: str | None = "text/html; charset=utf-8", status: int = 200) -> Route:
    """A fixed answer."""
    data = body.encode("utf-8") if isinstance(body, str) else body

    def route(handler: FaultHandler, attempt: int) -> None:
        handler.send(status, data, content_type)

    return route


def status(code: int, headers: dict[str, str] | None = None) -> Route:
    def route(handler: FaultHandler, attempt: int) -> None:
        handler.send(code, f"HTTP {code}".encode(), "text/plain", headers)

    return route


def failing_first(failures: list[tuple[int, dict[str, str]]], then: Route) -> Route:
    """Answer with these (status, headers) on the first attempts, then as ``then``."""

    def route(handler: FaultHandler, attempt: int) -> None:
        if attempt <= len(failures):
            code, headers = failures[attempt - 1]
            handler.send(code, f"HTTP {code}".encode(), "text/plain", headers)
        else:
            then(handler, attempt)

    return route


def redirect(target: str, code: int = 302) -> Route:
    def route(handler: FaultHandler, attempt: int) -> None:
        handler.send(code, b"", "text/plain", {"Location": target})

    return route


def trickle(pause: float = 0.3) -> Route:
    """Announce a page, then send it one byte at a time, slower than any timeout."""

    def route(handler: FaultHandler, attempt: int) -> None:
        handler.stream(b"<", length=100_000, pause=pause)

    return route


def huge(size: int) -> Route:
    """A page that announces ``size`` bytes (and would send them)."""

    def route(handler: FaultHandler, attempt: int) -> None:
        handler.stream(b"<p>" + b"x" * 65_530 + b"</p>", length=size)

    return route


def endless() -> Route:
    """A chunked page that never ends."""

    def route(handler: FaultHandler, attempt: int) -> None:
        handler.stream(b"<p>" + b"endless " * 8000 + b"</p>\n", length=None)

    return route


def bomb(encoding: str, size: int = 64 * 1024 * 1024) -> Route:
    """A small body that decompresses (Content-Encoding gzip or deflate) to ``size`` bytes of HTML."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31 if encoding == "gzip" else 15)
    parts = [compressor.compress(b"<html><body><p>")]
    block = b" " * (1024 * 1024)
    parts.extend(compressor.compress(block) for _ in range(size // len(block)))
    parts.append(compressor.flush())
    body = b"".join(parts)

    def route(handler: FaultHandler, attempt: int) -> None:
        handler.send(200, body, "text/html; charset=utf-8", {"Content-Encoding": encoding})

    return route


def cut_transfer(body: bytes, announced: int) -> Route:
    def route(handler: FaultHandler, attempt: int) -> None:
        handler.cut(body, announced)

    return route
