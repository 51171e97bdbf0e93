"""An HTTP server that answers like the S3 *website* endpoint, over a folder or a bucket.

Why imitate the endpoint rather than serve files naively: what a user previews locally must be
what CloudFront/the website endpoint will do with the same objects — pretty URLs resolved to
``index.html``, ``/dir`` redirected to ``/dir/``, the custom ``404.html`` with status 404, the
stored ``Content-Type``/``Cache-Control``/ETag, 304 on a matching ``If-None-Match``, and the
private ``_notes/`` prefix refused (the bucket policy denies it to the public).

The rules live in :meth:`WebsiteApp.respond`, a plain function of (method, target, headers), so
they are easy to test; :class:`WebsiteServer` only moves bytes (stdlib ``ThreadingHTTPServer``).
"""

from __future__ import annotations

import errno
import socket
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import quote, unquote, urlsplit

from site_builder.core.bucket_config import ERROR_DOCUMENT, INDEX_DOCUMENT, PRIVATE_PREFIX
from site_builder.core.errors import NotesError
from site_builder.serve.livereload import LiveReload
from site_builder.serve.stores import Store, StoredObject

PLAIN = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Response:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""


def _plain(status: int, text: str, *extra: tuple[str, str]) -> Response:
    body = (text + "\n").encode()
    return Response(
        status, (("Content-Type", PLAIN), ("Content-Length", str(len(body))), *extra), body
    )


def check_port_free(host: str, port: int, flag: str) -> None:
    """Fail with a one-line error (naming the flag to change) when ``host:port`` is taken."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            busy = exc.errno == errno.EADDRINUSE
            what = "is already in use" if busy else f"cannot be used ({exc.strerror})"
            raise NotesError(f"port {port} on {host} {what} (pass {flag} N)") from exc


def is_private(key: str) -> bool:
    """Keys the public may never read (deploy records, the lock)."""
    return key.startswith(PRIVATE_PREFIX)


class WebsiteApp:
    """The S3 website endpoint's request rules over any :class:`Store`.

    With ``livereload`` set (``notes serve``/``notes up`` only), HTML responses get the reload
    script injected at response time; the stored objects themselves are never changed.
    """

    def __init__(self, store: Store, *, livereload: LiveReload | None = None):
        self.store = store
        self.livereload = livereload

    def respond(self, method: str, target: str, headers: Mapping[str, str]) -> Response:
        if method not in ("GET", "HEAD"):
            return _plain(405, "405 Method Not Allowed", ("Allow", "GET, HEAD"))
        key = unquote(urlsplit(target).path).lstrip("/")
        head = method == "HEAD"
        is_dir = key == "" or key.endswith("/")
        if is_dir:
            key += INDEX_DOCUMENT
        if is_private(key):
            return self._error(403, "403 Forbidden (AccessDenied)", head)
        inm = headers.get("If-None-Match")
        if self.livereload is not None:
            inm = self.livereload.translate_if_none_match(inm)
        found = self.store.get(key, if_none_match=inm, body=not head)
        if found is None:
            index = f"{key}/{INDEX_DOCUMENT}"
            if not is_dir and not is_private(index) and self.store.exists(index):
                location = "/" + quote(key, safe="/~") + "/"
                return _plain(302, f"302 Found: {location}", ("Location", location))
            return self._error(404, "404 Not Found", head)
        return self._object(200, found, head)

    def _object(self, status: int, obj: StoredObject, head: bool, *, etag: bool = True) -> Response:
        html = obj.content_type.startswith("text/html")
        inject = self.livereload is not None and html
        tag = self.livereload.etag(obj.etag) if inject else obj.etag
        headers: list[tuple[str, str]] = []
        if etag:
            headers.append(("ETag", tag))
        if obj.cache_control:
            headers.append(("Cache-Control", obj.cache_control))
        if obj.not_modified:
            return Response(304, tuple(headers))
        body = obj.body or b""
        length = obj.content_length
        if inject:
            body = self.livereload.inject(body) if not head else b""
            length = len(body) if not head else length + len(self.livereload.snippet())
        headers[:0] = [("Content-Type", obj.content_type), ("Content-Length", str(length))]
        return Response(status, tuple(headers), b"" if head else body)

    def _error(self, status: int, text: str, head: bool) -> Response:
        """S3 answers errors with the bucket's error document (if any) and the error status."""
        doc = self.store.get(ERROR_DOCUMENT, body=not head)
        if doc is None:
            response = _plain(status, text)
            return Response(status, response.headers, b"" if head else response.body)
        return self._object(status, doc, head, etag=False)


def _handler_class(app: WebsiteApp, quiet: bool) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "notes-website"

        def _handle(self) -> None:
            lr = app.livereload
            if lr is not None and urlsplit(self.path).path == lr.PATH and self.command == "GET":
                self._stream_events(lr)
                return
            try:
                response = app.respond(self.command, self.path, self.headers)
            # One failing request (e.g. the S3 endpoint went away) must not kill the server.
            except Exception as exc:  # noqa: BLE001
                print(f"website: {self.command} {self.path}: {exc}", file=sys.stderr)
                response = _plain(503, f"503 Service Unavailable: {exc}")
            self.send_response(response.status)
            for name, value in response.headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD" and response.body:
                self.wfile.write(response.body)

        do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _handle

        def _stream_events(self, lr: LiveReload) -> None:
            self.close_connection = True
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for chunk in lr.events():
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return

        def log_message(self, format: str, *args: object) -> None:
            if not quiet:
                super().log_message(format, *args)

    return Handler


class WebsiteServer:
    """``WebsiteApp`` on a socket, served from a background thread; use as a context manager
    (or call :meth:`close`) so the port is always released."""

    def __init__(self, app: WebsiteApp, host: str = "127.0.0.1", port: int = 0, *, quiet=True):
        self.app = app
        self.httpd = ThreadingHTTPServer((host, port), _handler_class(app, quiet))
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # shutdown() waits up to one poll
            name="notes-website",
            daemon=True,
        )

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        host = self.httpd.server_address[0]
        return f"http://{host}:{self.port}/"

    def start(self) -> Self:
        self._thread.start()
        return self

    def close(self) -> None:
        if self.app.livereload is not None:
            self.app.livereload.close()
        if self._thread.is_alive():
            self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
