"""A SQLite .dump script run statement by statement through Python's sqlite3, which has no dot-commands.

An authorizer denies what would reach past the throwaway file: ATTACH and DETACH (VACUUM INTO is an
attach too) and the load_extension() function. A dot-command line (`.shell`, `.system`, `.output`,
`.open`, `.load` ...) is refused by name, so a script written for the sqlite3 shell says why it cannot run.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing
from typing import Any

from opsverify.checks.backup.streams import Corrupt
from opsverify.checks.backup.vetting import Refused

DENIED = {sqlite3.SQLITE_ATTACH: "ATTACH (or VACUUM INTO)", sqlite3.SQLITE_DETACH: "DETACH"}
OUTSIDE = "a backup must not open or write other files on the machine running the drill"


class Denied:
    """The authorizer: remembers what it denied, for the refusal."""

    def __init__(self) -> None:
        """Nothing denied yet."""
        self.what = ""

    def __call__(self, action: int, first: Any, second: Any, _db: Any, _trigger: Any) -> int:
        """Deny attaching files and loading extensions; allow the rest."""
        if action in DENIED:
            self.what = DENIED[action]
        elif action == sqlite3.SQLITE_FUNCTION and str(second).lower() == "load_extension":
            self.what = "load_extension()"
        else:
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY


def run(path: str, chunks: Iterable[bytes], name: str, every: int, check: Any) -> None:
    """Run the script into the database file at `path`; `check` is called every `every` statements.

    Refused for what the drill must not run; sqlite3.Error naming the statement that failed; Corrupt for a
    script that stops in the middle of a statement.
    """
    denied = Denied()
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.set_authorizer(denied)
        pending, count, start = "", 0, 1
        for number, line in enumerate(_lines(chunks), 1):
            if not pending.strip():
                pending, start = "", number
                if line.lstrip().startswith("."):
                    command = line.split()[0]
                    raise Refused(f"line {number} of {name}: sqlite3 dot-command {command} is refused ({OUTSIDE}; "
                                  "a drill runs SQL only)")
            pending += line
            if not sqlite3.complete_statement(pending):
                continue
            for statement, offset in _statements(pending):
                try:
                    db.execute(statement)
                except sqlite3.Error as exc:
                    if denied.what:
                        raise Refused(f"line {start + offset} of {name}: {denied.what} is refused ({OUTSIDE})") from None
                    raise sqlite3.OperationalError(f"SQLite stopped at statement {count + 1}: {exc}") from None
                count += 1
                if count % every == 0:
                    check()
            pending = ""
        if pending.strip() and not pending.strip().startswith("--"):
            raise Corrupt("the SQL script ends in the middle of a statement")


def _statements(text: str) -> Iterator[tuple[str, int]]:
    """The statements of complete SQL text (several may share a line), each with the newlines before it."""
    start, end = 0, text.find(";")
    while end >= 0:
        piece = text[start:end + 1]
        if sqlite3.complete_statement(piece):
            if piece.strip(" \t\r\n;"):
                yield piece, text.count("\n", 0, start + len(piece) - len(piece.lstrip()))
            start = end + 1
        end = text.find(";", end + 1)


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
