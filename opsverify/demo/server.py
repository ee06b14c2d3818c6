"""The stdlib HTTP(S) servers that carry the demo app: keep-alive, TLS per connection, a clean stop."""

from __future__ import annotations

import logging
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opsverify.demo.app import App, Request, Response

log = logging.getLogger("opsverify.demo")

HOST = "127.0.0.1"
SERVER_HEADER = "opsverify-demo"
CONNECTION_TIMEOUT = 10.0  # an idle or stalled connection is closed after this many seconds
MAX_BODY = 64 * 1024
TLS_HANDSHAKE = b"\x16"  # the first byte of a TLS ClientHello record
POLL_INTERVAL = 0.02  # how quickly serve_forever notices shutdown()


class Handler(BaseHTTPRequestHandler):
    """Adapts one HTTP/1.1 connection to the app's Request and Response."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # without it every keep-alive request stalls ~40 ms
    timeout = CONNECTION_TIMEOUT
    server: DemoServer

    def version_string(self) -> str:
        """A bland Server header: no product version, no Python version."""
        return SERVER_HEADER

    def log_message(self, fmt: str, *args: Any) -> None:
        """Access and error lines go to the `opsverify.demo` logger, not stderr."""
        if log.isEnabledFor(logging.INFO):
            log.info("%s %s", "https" if self._secure else "http", fmt % args)

    @property
    def _secure(self) -> bool:
        """Whether this connection is TLS."""
        return isinstance(self.connection, ssl.SSLSocket)

    def _handle(self) -> None:
        """Read the request body, ask the app, write its answer (or drop the connection)."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.send_error(400 if length < 0 else 413)
            return
        request = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                          self.rfile.read(length), secure=self._secure)
        response = self.server.app.respond(request)
        if response is None:
            self.close_connection = True
            return
        self._write(response)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_TRACE = _handle

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors the stdlib raises itself (bad request line, unknown method) look like the app's."""
        self.close_connection = True
        self._write(self.server.app.reject(code))

    def _write(self, response: Response) -> None:
        """Send a response; HEAD gets the headers only."""
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)


class DemoServer(ThreadingHTTPServer):
    """One port of the demo on 127.0.0.1: plain HTTP, or HTTPS when given a TLS context."""

    daemon_threads = True
    app: App  # set by start()

    def __init__(self, port: int, context: ssl.SSLContext | None = None) -> None:
        """Bind the port now (0: any free port); serve later with start()."""
        self.context = context
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        super().__init__((HOST, port), Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the address."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def start(self, app: App) -> None:
        """Serve app from a daemon thread."""
        self.app = app
        self._thread = threading.Thread(target=self.serve_forever, args=(POLL_INTERVAL,), daemon=True,
                                        name=f"opsverify-demo-{self.server_port}")
        self._thread.start()

    def finish_request(self, request: Any, client_address: Any) -> None:
        """Handle one connection in its own thread: the TLS handshake here, then HTTP.

        Plain HTTP sent to the HTTPS port is answered as on the HTTP port (a redirect to HTTPS),
        like nginx's `error_page 497` idiom, so http:// on the HTTPS URL's port redirects too.
        """
        threading.current_thread().name = f"opsverify-demo-{self.server_port}-connection"
        request.settimeout(CONNECTION_TIMEOUT)
        connection = request
        with self._tracked(request):
            try:
                if self.context is not None and request.recv(1, socket.MSG_PEEK) == TLS_HANDSHAKE:
                    connection = self.context.wrap_socket(request, server_side=True,
                                                          do_handshake_on_connect=False)
                with self._tracked(connection):
                    if isinstance(connection, ssl.SSLSocket):
                        connection.do_handshake()
                    self.RequestHandlerClass(connection, client_address, self)
            finally:
                connection.close()

    @contextmanager
    def _tracked(self, connection: socket.socket) -> Iterator[None]:
        """Keep the connection where stop() can cut it while the block runs."""
        with self._lock:
            self._open.add(connection)
        try:
            yield
        finally:
            with self._lock:
                self._open.discard(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A failed connection (client gone, TLS refused, timeout) is logged, not printed."""
        log.debug("connection from %s:%s ended with an error", *client_address[:2], exc_info=True)

    def stop(self) -> None:
        """Stop accepting, free the port and cut every open connection."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
        self.server_close()
        with self._lock:
            connections = list(self._open)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
