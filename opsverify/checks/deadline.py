"""A check's deadline: how long it may take in all, enforced by shutting its sockets down when it passes.

A socket timeout bounds each read, so a server that sends one byte a second never trips it. Here a
check (and each request inside it) runs `with Deadline(seconds)`; every socket it opens is `guard`ed,
and when the deadline passes a timer shuts the sockets down (shutdown(2) on a duplicate of the
descriptor, which wakes a read blocked in this thread or in a C driver). The interrupted read fails,
and leaving the block turns that failure into `no answer within 3s (1.2KiB received)`.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from opsverify.checks import C, CheckError, show_seconds, timeout_of
from opsverify.spec.units import format_bytes

GRACE = 1.0  # seconds the probe pool waits past a check's deadline for the check's own answer
SEVERAL = 10  # a check without a budget of its own (several calls, each with the timeout) may take this many timeouts
_TCP_INFO_RECEIVED = 128  # offset of tcpi_bytes_received (u64) in Linux's struct tcp_info (kernel 4.1+)

Budget = Callable[[Any], "float | None"]
_local = threading.local()


def budget(seconds: Budget) -> Callable[[C], C]:
    """Declare how long a check may take in all, from its item; None: no deadline (it ends by limits of its own)."""

    def declare(check: C) -> C:
        check.budget = seconds  # type: ignore[attr-defined]
        return check

    return declare


def budget_of(check: Callable[..., Any], item: Any) -> float | None:
    """A check's budget for an item: its declared one, else SEVERAL times the item's timeout."""
    declared: Budget | None = getattr(check, "budget", None)
    return declared(item) if declared is not None else SEVERAL * float(timeout_of(item))


def current() -> Deadline | None:
    """The innermost deadline this thread runs under, if any."""
    stack: list[Deadline] = getattr(_local, "stack", [])
    return stack[-1] if stack else None


def guard(sock: socket.socket | int) -> None:
    """Shut this socket (or descriptor) down when any deadline this thread runs under passes."""
    for deadline in getattr(_local, "stack", []):
        deadline.watch(sock)


class Deadline:
    """`with Deadline(3.0):` the block, its sockets shut down after 3 s (or when an enclosing deadline passes).

    On leaving: when the deadline fired, the block's exception, or a normal end whose data may have
    been cut short, becomes CheckError("no answer within 3s (… received)").
    """

    def __init__(self, seconds: float | None) -> None:
        """A deadline `seconds` (a Duration prints as written) from when it is entered; None: no deadline."""
        self.seconds = self.shown = seconds
        self.started = self.end = 0.0
        self.fired = False
        self._sockets: dict[int, tuple[socket.socket, int]] = {}  # socket inode -> (our duplicate, bytes before)
        self._received = 0
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def left(self) -> float:
        """Seconds until it passes; 0 once passed; infinite for a deadline without seconds."""
        if self.seconds is None:
            return float("inf")
        return max(0.0, self.end - time.monotonic())

    def received(self) -> int:
        """Bytes the guarded sockets received (where the platform tells): until the deadline fired, else so far."""
        with self._lock:
            return self._received if self.fired else self._count()

    def _count(self) -> int:
        """Bytes received by the sockets given up and those still guarded (called with the lock held)."""
        return self._received + sum(_bytes_received(dup) - before for dup, before in self._sockets.values())

    def reason(self) -> str:
        """`no answer within 3s`, with what arrived before the deadline: `(1.2KiB received)`."""
        received = self.received()
        shown = f"no answer within {show_seconds(self.shown)}" if self.shown is not None else "no answer"
        return f"{shown} ({format_bytes(received)} received)" if received else shown

    def watch(self, sock: socket.socket | int) -> None:
        """Shut this socket down when the deadline passes (at once when it has passed)."""
        if self.seconds is None:
            return
        fd = sock if isinstance(sock, int) else sock.fileno()
        if fd < 0:
            return
        key = os.fstat(fd).st_ino
        with self._lock:
            if key in self._sockets:
                return
            dup = socket.socket(fileno=os.dup(fd))
            self._sockets[key] = (dup, _bytes_received(dup))
            if self.fired:
                _shut(dup)
            elif self._timer is None:
                self._timer = threading.Timer(self.left(), self._fire)
                self._timer.daemon = True
                self._timer.start()

    def _fire(self) -> None:
        """Shut every guarded socket down: blocked reads return at once."""
        with self._lock:
            self._received, self.fired = self._count(), True  # before the peer's FIN, which counts as a byte
            for dup, _ in self._sockets.values():
                _shut(dup)

    def __enter__(self) -> Deadline:
        """Start the clock (never later than an enclosing deadline) and make this the thread's innermost."""
        self.started = time.monotonic()
        if self.seconds is not None:
            self.end = self.started + self.seconds
            outer = current()
            if outer is not None and outer.seconds is not None and outer.end < self.end:
                self.end, self.seconds, self.shown = outer.end, outer.end - self.started, outer.shown
        _local.stack = [*getattr(_local, "stack", []), self]
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        """Stop the timer, let go of the sockets, and name the deadline when it cut the block short."""
        _local.stack = [d for d in _local.stack if d is not self]
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            if not self.fired:
                self._received = self._count()
            for dup, _ in self._sockets.values():
                dup.close()
            self._sockets.clear()
        if self.fired and (error is None or isinstance(error, Exception)):
            raise CheckError(self.reason()) from error


def _shut(sock: socket.socket) -> None:
    """Shut a socket down both ways: a read blocked on it returns at once."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by its peer


def _bytes_received(sock: socket.socket) -> int:
    """Bytes a TCP socket has received (Linux TCP_INFO); 0 where that cannot be read."""
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    except (OSError, AttributeError):
        return 0
    if len(info) < _TCP_INFO_RECEIVED + 8:
        return 0
    return int(struct.unpack_from("=Q", info, _TCP_INFO_RECEIVED)[0])
