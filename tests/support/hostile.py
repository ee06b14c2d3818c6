"""Hostile targets on loopback: a server that trickles its answer, a PostgreSQL that logs in and then
stalls, an HTTP server with a body without end. Each is a context manager yielding its port."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tests.support.net import LOOPBACK

Conversation = Callable[[socket.socket, threading.Event], None]


@contextmanager
def serving(talk: Conversation, host: str = LOOPBACK) -> Iterator[int]:
    """Yield the port of a listener that runs `talk(connection, stop)` in a thread per connection."""
    listener = socket.create_server((host, 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def talk_then_close(conn: socket.socket) -> None:
        """One connection: the conversation, then close (a peer that left is not an error)."""
        with conn:
            try:
                talk(conn, stop)
            except OSError:
                pass

    def accept() -> None:
        """Accept until stopped."""
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=talk_then_close, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, name="hostile-server", daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()


def trickle(payload: bytes, *, first: bytes = b"", every: float = 1.0, listens: bool = True) -> Conversation:
    """Read the request (when the client speaks first), send `first` at once, then `payload` a byte per `every`."""

    def talk(conn: socket.socket, stop: threading.Event) -> None:
        if listens:
            conn.recv(65536)
        conn.sendall(first)
        for byte in payload:
            if stop.wait(every):
                return
            conn.sendall(bytes([byte]))

    return talk


def http_headers_trickle(every: float = 1.0) -> Conversation:
    """An HTTP server that sends its status line and headers a byte per `every`."""
    return trickle(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 600 + b"\r\n\r\n", every=every)


def http_body_trickle(every: float = 1.0) -> Conversation:
    """An HTTP server that sends its headers at once (Content-Length: 1000), then the body a byte per `every`."""
    return trickle(b"x" * 1000, first=b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", every=every)


def smtp_banner_trickle(every: float = 1.0) -> Conversation:
    """A mail relay that sends its banner a byte per `every`."""
    return trickle(b"220 " + b"a" * 600 + b"\r\n", every=every, listens=False)


def redis_reply_trickle(every: float = 1.0) -> Conversation:
    """A Redis that answers the first command a byte per `every`."""
    return trickle(b"+" + b"P" * 600 + b"\r\n", every=every)


def mysql_greeting_trickle(every: float = 1.0) -> Conversation:
    """A MariaDB that sends its greeting packet (74 bytes announced) a byte per `every`."""
    return trickle(b"\x4a\x00\x00\x00\x0a5.5.5-10.11.6-MariaDB\x00" + b"x" * 51, every=every, listens=False)


def endless_body(size: int = 1 << 30) -> Conversation:
    """An HTTP server that answers 200 with a body of `size` zero bytes, sent as fast as loopback takes them."""
    block = bytes(1 << 20)

    def talk(conn: socket.socket, stop: threading.Event) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                     b"Content-Length: %d\r\n\r\n" % size)
        sent = 0
        while sent < size and not stop.is_set():
            conn.sendall(block[:size - sent])
            sent += len(block)

    return talk


def _message(kind: bytes, body: bytes) -> bytes:
    """One PostgreSQL backend message: type byte, length, body."""
    return kind + struct.pack("!I", len(body) + 4) + body


_NEGOTIATIONS = (80877103, 80877104)  # SSLRequest, GSSENCRequest: answered "N" (not supported)
_PARAMETERS = {"server_version": "16.0", "server_encoding": "UTF8", "client_encoding": "UTF8",
               "DateStyle": "ISO, MDY", "integer_datetimes": "on", "standard_conforming_strings": "on"}


def postgres_silent_after_login() -> Conversation:
    """A PostgreSQL that logs any user in (AuthenticationOk … ReadyForQuery) and then never answers a query."""

    def talk(conn: socket.socket, stop: threading.Event) -> None:
        while True:
            length = struct.unpack("!I", _read(conn, 4))[0]
            packet = _read(conn, length - 4)
            if struct.unpack("!I", packet[:4])[0] not in _NEGOTIATIONS:
                break  # the StartupMessage
            conn.sendall(b"N")
        greeting = _message(b"R", struct.pack("!I", 0))
        greeting += b"".join(_message(b"S", f"{k}\0{v}\0".encode()) for k, v in _PARAMETERS.items())
        greeting += _message(b"K", struct.pack("!II", 4242, 1234)) + _message(b"Z", b"I")
        conn.sendall(greeting)
        conn.settimeout(0.1)
        while not stop.is_set():  # read every query, answer none
            try:
                if not conn.recv(65536):
                    return
            except TimeoutError:
                continue

    return talk


def _read(conn: socket.socket, size: int) -> bytes:
    """Exactly `size` bytes."""
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the client left")
        data += chunk
    return data
