"""A stdlib HTTP(S) server on loopback with fixed or computed replies per path."""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.net import LOOPBACK


@dataclass(frozen=True)
class Request:
    """What the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    client: tuple[str, int]  # the client's address: one per connection, so keep-alive is visible


@dataclass(frozen=True)
class Reply:
    """What the server answers: a dict or list body is sent as JSON; `delay` seconds before it."""

    status: int = 200
    body: bytes | str | dict[str, Any] | list[Any] = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        """The body as bytes and the headers to send with it."""
        headers = dict(self.headers)
        if isinstance(self.body, (dict, list)):
            headers.setdefault("Content-Type", "application/json")
            return json.dumps(self.body).encode(), headers
        headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        return (self.body.encode() if isinstance(self.body, str) else self.body), headers


Route = Reply | Callable[[Request], Reply]
PLAIN_HEADERS = ("User-Agent", "Accept-Encoding", "Accept", "Connection", "Host")


def reflected(request: Request) -> str:
    """The request line and its headers (custom ones first), as a target's debug page echoes them."""
    headers = sorted(request.headers.items(), key=lambda h: h[0] in PLAIN_HEADERS)
    return f"{request.method} {request.path} HTTP/1.1\n" + "".join(f"{k}: {v}\n" for k, v in headers)


class HttpServer:
    """A ThreadingHTTPServer on loopback (HTTP/1.1 keep-alive, Nagle off), TLS when given a context.

    `routes` maps a path (without query) to a Reply or a function of the Request; others get
    `fallback` (a catch-all route), else 404.
    Every request is appended to `requests`. Use as a context manager, or start() and stop(); `listen_on`
    a port to start again where an earlier server stopped; `host` another loopback address (127.0.0.2).
    """

    def __init__(self, routes: Mapping[str, Route] | None = None, *, tls: ssl.SSLContext | None = None,
                 fallback: Route | None = None, listen_on: int = 0, host: str = LOOPBACK):
        self.routes: dict[str, Route] = dict(routes or {})
        self.host = host
        self.listen_on = listen_on
        self.fallback = fallback
        self.requests: list[Request] = []
        self.tls = tls
        self._server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        """The port it listens on (after start)."""
        if self._server is None:
            raise RuntimeError("the server is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """`http(s)://127.0.0.1:PORT`."""
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        """The full URL of a path on this server."""
        return self.base_url + path

    def start(self) -> HttpServer:
        """Listen on a free port and serve in a background thread."""
        self._server = _Server((self.host, self.listen_on), _handler(self), tls=self.tls)
        serve = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        serve.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> HttpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reply_to(self, request: Request) -> Reply:
        """The reply for a request: its route's, or 404."""
        self.requests.append(request)
        route = self.routes.get(request.path.split("?", 1)[0], self.fallback)
        if route is None:
            return Reply(404, "not found")
        return route(request) if callable(route) else route


class _Server(ThreadingHTTPServer):
    """Accepts plain or TLS connections; the TLS handshake happens in the request's own thread."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], handler: type, *, tls: ssl.SSLContext | None):
        self.tls = tls
        super().__init__(address, handler)

    def get_request(self) -> tuple[Any, Any]:
        """The accepted connection, wrapped in TLS (handshake deferred) when the server has a context."""
        conn, address = super().get_request()
        if self.tls is not None:
            conn = self.tls.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return conn, address


def _handler(server: HttpServer) -> type[BaseHTTPRequestHandler]:
    """A request handler class that answers from `server`'s routes."""

    class Handler(BaseHTTPRequestHandler):
        """HTTP/1.1 keep-alive, Nagle off; every method served the same way."""

        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        timeout = 10

        def handle(self) -> None:
            """Complete the TLS handshake here, in the connection's thread, then serve requests."""
            if isinstance(self.connection, ssl.SSLSocket):
                try:
                    self.connection.do_handshake()
                except (ssl.SSLError, OSError):
                    return
            super().handle()

        def _serve(self) -> None:
            """Read the request, record it, and send its route's reply."""
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(self.command, self.path, dict(self.headers), self.rfile.read(length),
                              self.client_address[:2])
            reply = server.reply_to(request)
            if reply.delay:
                time.sleep(reply.delay)
            body, headers = reply.encoded()
            self.send_response(reply.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = _serve

        def send_response(self, code: int, message: str | None = None) -> None:
            """The status line and Date, but no Server header of the stdlib's own (a reply may send one)."""
            self.send_response_only(code, message)
            self.send_header("Date", self.date_time_string())

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            """Stay quiet: tests read `requests` instead."""

    return Handler
