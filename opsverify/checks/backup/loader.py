"""Load a backup into the throwaway database: pg_restore, psql, the mariadb/mysql client, or SQLite itself.

The backup is streamed (decompressed on the way) into the tool's stdin; nothing is staged on disk except
for a SQLite database file, which is copied into the throwaway file. The tool runs as the throwaway role,
and a SQL dump is first read as its client will read it (`pgscript`, `mysqlscript`): what would leave the
throwaway database or reach the machine running the drill is refused before the client sees it.
"""

from __future__ import annotations

import functools
import itertools
import re
import secrets
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from opsverify.checks import CheckError, show_seconds
from opsverify.checks.backup import pgscript, sqlitescript
from opsverify.checks.backup.mysqlscript import Mariadb
from opsverify.checks.backup.reaper import Watchdog
from opsverify.checks.backup.scratch import Scratch, client, tool_environment

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


def load(scratch: Scratch, kind: str, chunks: Iterable[bytes], path: str | None, clock: Clock,
         watchdog: Watchdog, folder: str, name: str) -> tuple[str, list[str]]:
    """Restore the backup file `name` into the throwaway database; the tool used and the safeguards it ran under.

    Corrupt, Refused, CheckError or Stop when it does not finish.
    """
    if scratch.dialect == "sqlite":
        return _into_sqlite(scratch, kind, chunks, clock, name)
    env, args = tool_environment(scratch, folder)
    role = f"as the throwaway role {scratch.name}, which owns the throwaway database and nothing else"
    if scratch.dialect == "postgresql" and kind == "pg_custom":
        argv = [client("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "-d", scratch.name]
        tool = _run(argv + ([path] if path else []), env, None if path else chunks, clock, watchdog, folder)
        return tool, [f"pg_restore --no-owner --no-privileges {role}"]
    if scratch.dialect == "postgresql" and kind in ("pg_dump", "text"):
        return _psql(chunks, env, scratch, (clock, watchdog, folder), name, role)
    if scratch.dialect == "mysql" and kind in ("mysqldump", "text"):
        tool = client("mariadb", "mysql")
        fenced = [option for option in ("--binary-mode", "--sandbox") if option in _help(tool)]
        argv = [tool, *args, *fenced, "--local-infile=0", "--default-character-set=utf8mb4", "--batch", "--silent",
                scratch.name]
        used = _run(argv, env, Mariadb(name)(chunks), clock, watchdog, folder, _explain_mariadb(name))
        unknown = [option for option in ("--binary-mode", "--sandbox") if option not in fenced]
        return used, ["every line read as the client reads it; client commands, USE and CREATE/DROP DATABASE refused",
                      f"{used} {' '.join(fenced)} --local-infile=0"
                      + (f" ({' and '.join(unknown)} unknown to this client)" if unknown else ""),
                      f"as the throwaway user {scratch.name}, with privileges on the throwaway database only"]
    raise _cannot(kind, scratch.dialect)


def _psql(chunks: Iterable[bytes], env: dict[str, str], scratch: Scratch, run: tuple[Clock, Watchdog, str],
          name: str, role: str) -> tuple[str, list[str]]:
    """A plain dump through psql: read by the reader first, psql restricted where it can be, as the role."""
    psql = client("psql")
    version = pgscript.restricts(psql)
    feed: Iterable[bytes] = pgscript.Psql(name, strict=version is None)(chunks)
    if version is not None:  # a key of its own, sent once: the file cannot lift the restriction
        feed = itertools.chain([b"\\restrict " + secrets.token_hex(32).encode() + b"\n"], feed)
        mode = f"psql {version} in restricted mode (\\restrict with a key of its own): it refuses every meta-command"
    else:
        mode = (f"{psql} does not know \\restrict (PostgreSQL 13.22, 14.19, 15.14, 16.10, 17.6 and later do): the "
                "reader alone refuses meta-commands, and strictly")
    argv = [psql, "--no-psqlrc", "-q", "-v", "ON_ERROR_STOP=1", "-d", scratch.name, "-f", "-"]
    used = _run(argv, env, feed, *run, _explain_psql(name, 1 if version is not None else 0))
    return used, ["every line read as psql reads it; meta-commands and CREATE/DROP DATABASE refused; OWNER TO, "
                  "GRANT and REVOKE left out", mode, role]


@functools.lru_cache(maxsize=8)
def _help(tool: str) -> str:
    """A client tool's --help text (cached), to know its options."""
    try:
        return subprocess.run([tool, "--help"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def _explain_psql(name: str, offset: int) -> Callable[[str], str]:
    """psql's "psql:<stdin>:12: ERROR: ..." as "line 11 of FILE: ERROR: ..." (less the line the drill put first)."""
    def explain(line: str) -> str:
        found = re.match(r"psql:<stdin>:(\d+): (?:error: )?(.*)", line)
        return f"line {int(found.group(1)) - offset} of {name}: {found.group(2)}" if found else line
    return explain


def _explain_mariadb(name: str) -> Callable[[str], str]:
    """The client's "ERROR 1142 (42000) at line 12: ..." as "line 12 of FILE: ... (error 1142)"."""
    def explain(line: str) -> str:
        found = re.match(r"ERROR (\d+) \(\w+\) at line (\d+)(?: in file: .*?)?: (.*)", line)
        return f"line {found.group(2)} of {name}: {found.group(3)} (error {found.group(1)})" if found else line
    return explain


def _cannot(kind: str, dialect: str) -> CheckError:
    """The error for a backup that cannot go into this kind of server."""
    from opsverify.checks.backup.formats import noun

    return CheckError(f"a drill cannot restore {noun(kind)} into {dialect}")


def _run(argv: list[str], env: dict[str, str], feed: Iterable[bytes] | None, clock: Clock, watchdog: Watchdog,
         folder: str, explain: Callable[[str], str] = str) -> str:
    """Run a client tool, feeding it the stream, until it ends or the clock stops it; `explain` words its error."""
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
        raise Failed(f"{Path(argv[0]).name} failed: {explain(_first_error(errors.read_text(errors='replace')))}")
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


def _into_sqlite(scratch: Scratch, kind: str, chunks: Iterable[bytes], clock: Clock,
                 name: str) -> tuple[str, list[str]]:
    """A SQLite database file is copied; a .dump script is run statement by statement."""
    if kind == "sqlite":
        with open(scratch.name, "wb") as out:
            for chunk in chunks:
                clock.check("copying the database")
                out.write(chunk)
        return "copy", []
    if kind not in ("sqlite_sql", "text"):
        raise _cannot(kind, "sqlite")
    try:
        sqlitescript.run(scratch.name, chunks, name, 500, lambda: clock.check("running the SQL script"))
    except sqlite3.Error as exc:
        raise Failed(str(exc)) from None
    return "sqlite3", ["SQL only, no dot-commands; ATTACH, VACUUM INTO and load_extension() denied"]
