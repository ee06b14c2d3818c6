"""One run of an environment at a time: an exclusive, non-blocking flock beside the archive's manifest."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
from pathlib import Path
from types import TracebackType

from opsverify.archive import nofollow


class Busy(Exception):
    """Another run of the environment holds the lock; the message says which one and since when."""


class RunLock:
    """`with RunLock(reports, "production", "weekly"):` — raises Busy while another run holds it.

    The lock is the kernel's (flock), so it is released when its holder exits, even on a crash.
    """

    def __init__(self, reports: Path, environment: str, job: str = "") -> None:
        """Name the lock file of this environment in the archive folder."""
        self.path = reports / f".schedule-{environment}.lock"
        self.environment, self.job = environment, job
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        """Take the lock or raise Busy naming the holder; Planted when a link was put in its place."""
        with nofollow.folder(self.path.parent, create=True) as reports:
            fd = nofollow.open_file(reports, self.path.name, os.O_RDWR | os.O_CREAT, self.path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise Busy(f"a run of {self.environment} is already going on ({self._holder()}); "
                       "two runs of one environment never overlap") from None
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "job": self.job,
                  "since": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        """Release the lock."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _holder(self) -> str:
        """Who holds the lock, as its holder wrote it."""
        try:
            held = json.loads(self.path.read_text(encoding="utf-8"))
            return f"{held.get('job') or 'a run'} by pid {held['pid']} on {held['host']} since {held['since']}"
        except (OSError, ValueError, KeyError, TypeError):
            return "its holder did not say which"
