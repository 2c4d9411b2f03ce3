"""Serve the fixture news web (``crawler/demo/site/<site>/``) on 127.0.0.1, each site on its own port.

Files may say ``{{base}}`` (this site's base URL) and ``{{site:NAME}}`` (another site's); ``.gz`` files are stored
compressed and served compressed. Responses carry ETag and Last-Modified and honour conditional GETs (304), and
HTML is gzip-encoded for clients that accept it, as real news sites do. Every request is recorded.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Self
from urllib.parse import unquote, urlsplit

logger = logging.getLogger(__name__)

_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".rdf": "application/rdf+xml",
    ".atom": "application/atom+xml",
    ".txt": "text/plain",
    ".json": "application/json",
}


def default_site_root() -> Path:
    """The fixture web shipped inside the package."""
    return Path(str(resources.files("crawler.demo") / "site"))


@dataclass
class Hit:
    """One request the fixture web answered."""

    site: str
    path: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)


class FixtureWeb:
    """A set of small web sites on 127.0.0.1 (one port each), started in background threads.

    Use as a context manager, or call ``start()`` and ``stop()``. ``root`` holds one directory per site; files are
    read at every request, so tests may change a site while it is served.
    """

    def __init__(self, root: Path | None = None, *, gzip_html: bool = True, latency: float = 0.0) -> None:
        self.root = Path(root) if root else default_site_root()
        self.gzip_html = gzip_html
        self.latency = latency
        """Seconds every response is delayed (a slow or distant site); may be changed while serving."""
        self.sites: dict[str, str] = {}
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        self._servers: list[ThreadingHTTPServer] = []

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        names = sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
        if not names:
            raise FileNotFoundError(f"{self.root}: no site directories to serve")
        for name in names:
            server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self, name))
            server.daemon_threads = True
            self._servers.append(server)
            self.sites[name] = f"http://127.0.0.1:{server.server_address[1]}"
            threading.Thread(target=server.serve_forever, name=f"fixture-{name}", daemon=True).start()

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def url(self, site: str, path: str = "/") -> str:
        """Absolute URL of ``path`` on ``site``."""
        return self.sites[site] + path

    def render(self, text: str, site: str) -> str:
        """Replace the ``{{base}}`` and ``{{site:NAME}}`` placeholders of a file."""
        text = text.replace("{{base}}", self.sites[site])
        for name, base in self.sites.items():
            text = text.replace(f"{{{{site:{name}}}}}", base)
        return text

    def requested(self, site: str | None = None) -> list[str]:
        """Paths requested so far (of one site, or all as 'site:path')."""
        with self._lock:
            return [h.path if site else f"{h.site}:{h.path}" for h in self.hits if site in (None, h.site)]

    def _record(self, hit: Hit) -> None:
        with self._lock:
            self.hits.append(hit)


def _make_handler(web: FixtureWeb, site: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "fixture-web/1"
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            logger.debug("%s %s", site, format % args)

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            if web.latency:
                time.sleep(web.latency)
            path = unquote(urlsplit(self.path).path)
            file = self._resolve(path)
            if file is None:
                self._send(404, b"not found", "text/plain", path)
                return
            raw = file.read_bytes()
            content_type = _TYPES.get(file.suffix.lower(), "application/octet-stream")
            if file.name == "robots.txt":
                content_type = "text/plain"
            if file.suffix == ".gz":
                body = gzip.compress(web.render(gzip.decompress(raw).decode("utf-8"), site).encode("utf-8"), mtime=0)
                content_type = "application/x-gzip"
            else:
                try:
                    body = web.render(raw.decode("utf-8"), site).encode("utf-8")
                    if content_type.startswith("text/"):
                        content_type += "; charset=utf-8"
                except UnicodeDecodeError:
                    # Legacy encodings (windows-1251 pages) are sent as stored, declared only inside the page.
                    body = web.render(raw.decode("latin-1"), site).encode("latin-1")
            etag = f'"{hashlib.sha1(body).hexdigest()[:16]}"'
            modified = email.utils.formatdate(file.stat().st_mtime, usegmt=True)
            if self.headers.get("If-None-Match") == etag or (
                not self.headers.get("If-None-Match") and self.headers.get("If-Modified-Since") == modified
            ):
                self._send(304, b"", content_type, path, {"ETag": etag, "Last-Modified": modified})
                return
            headers = {"ETag": etag, "Last-Modified": modified}
            if web.gzip_html and content_type.startswith("text/html") and "gzip" in self.headers.get("Accept-Encoding", ""):
                body = gzip.compress(body, mtime=0)
                headers["Content-Encoding"] = "gzip"
            self._send(200, body, content_type, path, headers)

        def _resolve(self, path: str) -> Path | None:
            base = (web.root / site).resolve()
            target = (base / path.lstrip("/")).resolve()
            if not target.is_relative_to(base):
                return None
            if target.is_dir():
                target = target / "index.html"
            return target if target.is_file() else None

        def _send(self, status: int, body: bytes, content_type: str, path: str,
                  headers: dict[str, str] | None = None) -> None:
            web._record(Hit(site, path, status, dict(self.headers.items())))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body) if status != 304 else 0))
            self.end_headers()
            if status != 304 and self.command != "HEAD":
                self.wfile.write(body)

    return Handler
