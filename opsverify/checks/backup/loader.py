"""Load a backup into the throwaway database: pg_restore, psql, the mariadb/mysql client, or SQLite itself.

The backup is streamed (decompressed on the way) into the tool's stdin; nothing is staged on disk except
for a SQLite database file, which is copied into the throwaway file. A dump that would leave the throwaway
database (`\\connect`, `USE`, `CREATE DATABASE`, `ATTACH`) is refused before the tool runs it.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from opsverify.checks import CheckError, show_seconds
from opsverify.checks.backup.reaper import Watchdog
from opsverify.checks.backup.scratch import Scratch, client, tool_environment
from opsverify.checks.backup.streams import Corrupt

GUARDS = {
    "pg_dump": re.compile(rb"(?mi)^(\\connect\b|\\c\s|CREATE DATABASE\b|DROP DATABASE\b)"),
    "mysqldump": re.compile(rb"(?mi)^(USE\s|CREATE (DATABASE|SCHEMA)\b|DROP (DATABASE|SCHEMA)\b)"),
    "sqlite_sql": re.compile(rb"(?mi)^\s*(ATTACH|DETACH)\b"),
}
GUARDS["text"] = re.compile(b"|".join(g.pattern.removeprefix(b"(?mi)") for g in GUARDS.values()), re.M | re.I)
POLL = 0.05
_stopping = threading.Event()
_hook_lock = threading.Lock()
_hooked: list[bool] = []  # one entry once the shutdown hook is registered


class Failed(CheckError):
    """The restore itself failed (the tool's error, a refused statement): the drill fails."""


class Stop(Exception):
    """The drill must stop now: its time limit passed, or the run is ending (Ctrl-C)."""

    def __init__(self, message: str, interrupted: bool = False) -> None:
        """Why it stopped; interrupted when the run is ending rather than the time being up."""
        super().__init__(message)
        self.interrupted = interrupted


def stop_on_exit() -> None:
    """Make running drills stop when the interpreter starts shutting down (after Ctrl-C, say).

    concurrent.futures joins its worker threads at exit; without this a drill would run to its end first.
    """
    with _hook_lock:
        if _hooked:
            return
        register = getattr(threading, "_register_atexit", None)  # what concurrent.futures itself uses
        if register is not None:
            try:
                register(_stopping.set)
            except RuntimeError:  # already shutting down
                _stopping.set()
        _hooked.append(True)


@dataclass
class Clock:
    """The drill's deadline (its RTO, or the default limit)."""

    started: float
    limit: float

    def check(self, during: str) -> None:
        """Stop when the run is ending or the deadline has passed."""
        if _stopping.is_set():
            raise Stop(f"the run was interrupted during {during}", interrupted=True)
        if time.monotonic() - self.started > self.limit:
            raise Stop(f"still {during} after {show_seconds(self.limit)}: the drill was stopped")

    def left(self) -> float:
        """Seconds until the deadline."""
        return max(0.0, self.limit - (time.monotonic() - self.started))


def guarded(chunks: Iterable[bytes], kind: str) -> Iterator[bytes]:
    """The chunks, refusing a statement that would leave the throwaway database."""
    guard, carry = GUARDS.get(kind), b""
    for chunk in chunks:
        if guard is not None:
            match = guard.search(carry + chunk)
            if match:
                statement = match.group(0).decode("utf-8", "replace").strip()
                raise Failed(f"the dump contains {statement!r}, which would leave the throwaway database; "
                                 "dumps for a drill must be of one database (no --create, --databases or ATTACH)")
            tail = chunk[chunk.rfind(b"\n") + 1:]
            carry = tail if len(tail) < 32 else b"#"  # only a short line start can still become a statement
        yield chunk


def load(scratch: Scratch, kind: str, chunks: Iterable[bytes], path: str | None, clock: Clock,
         watchdog: Watchdog, folder: str) -> str:
    """Restore into the throwaway database; the tool used. Corrupt, CheckError or Stop when it does not finish."""
    if scratch.dialect == "sqlite":
        return _into_sqlite(scratch, kind, chunks, clock)
    env, args = tool_environment(scratch, folder)
    if scratch.dialect == "postgresql" and kind == "pg_custom":
        argv = [client("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "-d", scratch.name]
        return _run(argv + ([path] if path else []), env, None if path else chunks, clock, watchdog, folder)
    if scratch.dialect == "postgresql" and kind in ("pg_dump", "text"):
        argv = [client("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", scratch.name, "-f", "-"]
        return _run(argv, env, guarded(chunks, kind), clock, watchdog, folder)
    if scratch.dialect == "mysql" and kind in ("mysqldump", "text"):
        argv = [client("mariadb", "mysql"), *args, "--batch", "--silent", scratch.name]
        return _run(argv, env, guarded(chunks, kind), clock, watchdog, folder)
    raise _cannot(kind, scratch.dialect)


def _cannot(kind: str, dialect: str) -> CheckError:
    """The error for a backup that cannot go into this kind of server."""
    from opsverify.checks.backup.formats import noun

    return CheckError(f"a drill cannot restore {noun(kind)} into {dialect}")


def _run(argv: list[str], env: dict[str, str], feed: Iterable[bytes] | None, clock: Clock, watchdog: Watchdog,
         folder: str) -> str:
    """Run a client tool, feeding it the stream, until it ends or the clock stops it."""
    errors = Path(folder) / "stderr"
    with open(errors, "wb") as stderr:
        process = subprocess.Popen(argv, stdin=subprocess.PIPE if feed is not None else subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=stderr, env=env)
    watchdog.watch(process.pid)
    failure: list[BaseException] = []
    feeder = None
    if feed is not None:
        feeder = threading.Thread(target=_feed, args=(feed, process.stdin, failure, process), daemon=True)
        feeder.start()
    try:
        while process.poll() is None:
            clock.check(f"restoring with {Path(argv[0]).name}")
            time.sleep(POLL)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        if feeder is not None:
            feeder.join(timeout=10)
    if failure:
        raise failure[0]
    if process.returncode != 0:
        raise Failed(f"{Path(argv[0]).name} failed: {_first_error(errors.read_text(errors='replace'))}")
    return Path(argv[0]).name


def _feed(chunks: Iterable[bytes], stdin: IO[bytes] | None, failure: list[BaseException],
          process: subprocess.Popen[bytes]) -> None:
    """Write the stream into the tool's stdin; a corrupt or refused stream kills the tool."""
    assert stdin is not None
    try:
        for chunk in chunks:
            stdin.write(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the tool stopped reading: its exit status says why
    except Exception as exc:  # noqa: BLE001 - Corrupt, a refused statement, a network error: report it
        failure.append(exc)
        process.kill()
    finally:
        try:
            stdin.close()
        except OSError:
            pass


def _first_error(text: str) -> str:
    """The first line saying ERROR (psql, pg_restore, mysql), else the last line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if "error" in line.lower():
            return line[:300]
    return lines[-1][:300] if lines else "no message"


def _into_sqlite(scratch: Scratch, kind: str, chunks: Iterable[bytes], clock: Clock) -> str:
    """A SQLite database file is copied; a .dump script is run statement by statement."""
    if kind == "sqlite":
        with open(scratch.name, "wb") as out:
            for chunk in chunks:
                clock.check("copying the database")
                out.write(chunk)
        return "copy"
    if kind not in ("sqlite_sql", "text"):
        raise _cannot(kind, "sqlite")
    with closing(sqlite3.connect(scratch.name, isolation_level=None)) as db:
        pending, count = "", 0
        for line in _lines(guarded(chunks, kind)):
            pending += line
            if sqlite3.complete_statement(pending):
                try:
                    db.execute(pending)
                except sqlite3.Error as exc:
                    raise Failed(f"SQLite stopped at statement {count + 1}: {exc}") from None
                pending, count = "", count + 1
                if count % 500 == 0:
                    clock.check("running the SQL script")
        if pending.strip() and not pending.strip().startswith("--"):
            raise Corrupt("the SQL script ends in the middle of a statement")
    return "sqlite3"


def _lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Decoded lines (with their newline) from byte chunks."""
    rest = b""
    for chunk in chunks:
        rest += chunk
        *lines, rest = rest.split(b"\n")
        for line in lines:
            yield line.decode("utf-8") + "\n"
    if rest:
        yield rest.decode("utf-8")
