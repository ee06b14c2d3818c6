"""The watchdog that drops a drill's throwaway database if the process running the drill dies.

The drill starts `python -m opsverify.checks.backup.reaper` in its own session (so Ctrl-C in the
terminal does not reach it) and writes to its stdin: one JSON line naming the scratch database and
the drill's private folder, then `pid N` for each client tool it starts, then `done` once it has
dropped the database itself. When stdin ends without `done` (the drill was killed, even with
SIGKILL), the watchdog kills the client tools, removes the folder and drops the database, retrying
for a while if the server does not answer.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from typing import IO

RETRY_FOR = 600.0  # seconds the watchdog keeps trying to drop the database
RETRY_EVERY = 5.0


class Watchdog:
    """The drill's side of the watchdog: start it, tell it about child processes, release it."""

    def __init__(self, spec: dict[str, object]) -> None:
        """Start the watchdog in its own session and tell it which database to look after."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "opsverify.checks.backup.reaper"], stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self._send(json.dumps(spec))

    def _send(self, line: str) -> None:
        """One line to the watchdog (ignored when it is gone already)."""
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(line.encode() + b"\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def watch(self, pid: int) -> None:
        """A client tool the watchdog must kill before it drops the database."""
        self._send(f"pid {pid}")

    def release(self, dropped: bool) -> None:
        """Close the watchdog's stdin; with dropped=False it drops the database itself. It exits on its own."""
        if dropped:
            self._send("done")
        try:
            assert self.process.stdin is not None
            self.process.stdin.close()
        except OSError:
            pass


def _kill(pids: list[int]) -> None:
    """SIGTERM, then SIGKILL, the client tools that may still hold the database open."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.5)


def main(stdin: IO[bytes]) -> int:
    """Wait for the drill to finish or die; clean up after it when it dies."""
    first = stdin.readline()
    if not first:
        return 0
    spec, pids = json.loads(first), []
    for line in iter(stdin.readline, b""):
        word, _, value = line.decode().strip().partition(" ")
        if word == "done":
            return 0
        if word == "pid":
            pids.append(int(value))
    _kill(pids)
    if spec.get("folder"):  # the drill's private folder (a client defaults file may hold a password)
        shutil.rmtree(str(spec["folder"]), ignore_errors=True)
    from sqlalchemy import make_url

    from opsverify.checks.backup.scratch import Scratch

    scratch = Scratch(make_url(spec["url"]), spec["name"], float(spec.get("timeout", 10)))
    deadline = time.monotonic() + RETRY_FOR
    while True:
        try:
            scratch.drop()
            return 0
        except Exception:  # noqa: BLE001 - the server may be restarting: try again
            if time.monotonic() > deadline:
                return 1
            time.sleep(RETRY_EVERY)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    sys.exit(main(sys.stdin.buffer))
