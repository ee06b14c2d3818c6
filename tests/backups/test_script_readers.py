"""The dump readers against the real clients: what a reader passes on, the client runs no command in.

Each input carries `\\! touch M` (or `system touch M`) somewhere among quotes, comments, dollar quotes, COPY
data and DELIMITER changes. When the reader refuses it, the drill feeds the client nothing more; when the
reader passes it on (with pg_dump's \\restrict lines, GRANTs and DEFINER clauses left out), the client,
with no fence of its own (no restricted mode, no --binary-mode), runs what the reader passed on, and M
must not appear. The reader's verdict must not depend on where the input is cut into chunks.
"""

from __future__ import annotations

import random
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from opsverify.checks.backup.mysqlscript import Mariadb
from opsverify.checks.backup.pgscript import Psql
from opsverify.checks.backup.vetting import Refused, Vetting
from tests.backups.conftest import pg_database
from tests.services import MARIADB, need

PG_CASES = [
    "SELECT 'a\\'; \\! touch M\n", "SELECT E'a\\'; \\! touch M';\n", "SELECT E'a\\\\'; \\! touch M\n",
    "SELECT $$ \\! touch M $$;\n", "SELECT $a$ $$ $a$; \\! touch M\n", "SELECT abc$a$ x $a$; \\! touch M\n",
    "SELECT 1$a$ x $a$; \\! touch M; $a$;\n", "/* /* */ \\! touch M */\n", "/* /* */ */ \\! touch M\n",
    "-- comment\r\\! touch M\n", "-- comment \\! touch M\n", "SELECT E'a'\r'\\' \\! touch M';\n",
    "SELECT E'a'\n'\\' \\! touch M';\n", "SELECT \"a\\\" \\! touch M\";\n", "COPY t FROM stdin;\n\\! touch M\n\\.\n",
    "COPY t FROM stdin (;\n\\! touch M\n\\.\n", "CREATE FUNCTION BEGIN; COPY t FROM stdin;\n\\! touch M\n",
    "COPY t FROM stdin; SELECT $$\nrow\n\\.\n$$; \\! touch M\n", "SELECT U&'\\' \\! touch M';\n",
    "SELECT B'\\' \\! touch M';\n", "SELECT 'a''\\' \\! touch M';\n", "\\restrict abc\n\\! touch M\n",
]
PG_FRAGMENTS = ["'", "E'", "e'", '"', "$$", "$a$", "--", "/*", "*/", "\r", "\n", "\n", ";", "(", ")", " ", " ",
                "COPY t FROM stdin;", "\n\\.\n", "\\.", "SELECT ", "BEGIN ", "END ", "CASE ", "CREATE FUNCTION ",
                "1", "E", "x", "''", "\\'", "\\\\", "\\", "U&'", "B'", ":", "::", "-", "/", "*", "a$", "$1"]
MARIA_CASES = [
    "SELECT 'a\\'; \\! touch M';\n", "SELECT 'a\\\\'; \\! touch M\n", "SELECT `a\\` \\! touch M`;\n",
    "SELECT \"a\\\" \\! touch M\";\n", "# \\! touch M\n", "--\\! touch M\n", "-- \\! touch M\n", "/* \\! touch M */\n",
    "/*!40101 \\! touch M */\n", "DELIMITER ;;\nSELECT 1;\n\\! touch M\n", "SELECT 1;\nsystem touch M\n",
    "SELECT 1; system touch M\n", "SELECT 'a\nsystem touch M\n';\n", "/*\nsystem touch M\n*/\n",
    "--x /*\nsystem touch M\n", "SELECT 1; --x /*\n\\! touch M\n", "/*!40101 /* x */ ' */ \\! touch M\n",
    "/* /*/ ' */ \\! touch M\n", "/* /*!*/ ' */ \\! touch M\n", "\ufeff--x /*\nsystem touch M\n",
]
MARIA_FRAGMENTS = ["--x", "(1,'a\\\\'),\n", "INSERT INTO t VALUES\n", "DEFINER=`a`@`b` ", "'", '"', "`", "--", "-- ", "#", "/*", "*/", "/*!40101 ", "/*M!100 ", "/*!", "\r", "\n", "\n", ";", ";;", " ",
                   "DELIMITER ;;\n", "DELIMITER ;\n", "SELECT ", "x", "1", "\\'", "\\\\", "\\", "''", "\t", "-", "*"]


def generated(fragments: list[str], payloads: list[str], count: int, seed: int) -> list[str]:
    """Random inputs from fragments, each with one payload somewhere."""
    rng = random.Random(seed)
    inputs = []
    for _ in range(count):
        parts = [rng.choice(fragments) for _ in range(rng.randint(2, 12))]
        parts.insert(rng.randint(0, len(parts)), rng.choice(payloads))
        inputs.append("".join(parts) + "\n")
    return inputs


def verdict(reader: type[Vetting], text: str, size: int) -> str:
    """The reader's output, or its refusal, for `text` cut into chunks of `size` bytes."""
    data = text.encode()
    make = (lambda: Psql("f", strict=False)) if reader is Psql else (lambda: Mariadb("f"))
    try:
        return b"".join(make()([data[i:i + size] for i in range(0, len(data), size)])).decode()
    except Refused as exc:
        return f"refused: {exc}"


@pytest.fixture(scope="module")
def pg_scratch() -> Iterator[str]:
    """A database with a table t for the COPY statements."""
    with pg_database("opsv_bk_lex", "CREATE TABLE t (a text)") as name:
        yield name


@pytest.fixture(scope="module")
def maria_database() -> Iterator[str]:
    """A database for the mariadb client."""
    need("MariaDB", MARIADB)
    name = f"opsv_bk_lex_{secrets.token_hex(4)}"
    conn = pymysql.connect(host="127.0.0.1", user="root", autocommit=True)
    with conn.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}`")
    yield name
    with conn.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    conn.close()


def ran(argv: list[str], text: str, folder: Path) -> bool:
    """Whether the client, fed `text` in `folder`, ran the payload (created M)."""
    marker = folder / "M"
    marker.unlink(missing_ok=True)
    subprocess.run(argv, input=text.encode(), cwd=folder, capture_output=True, timeout=30)
    return marker.exists()


def psql(database: str) -> list[str]:
    """psql as the drill runs it, but without restricted mode: the reader is all there is."""
    return ["psql", "--no-psqlrc", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "postgres", "-d", database,
            "-f", "-"]


def mariadb(database: str) -> list[str]:
    """The mariadb client without --binary-mode and --sandbox: the reader is all there is."""
    return ["mariadb", "--batch", "-h", "127.0.0.1", "-u", "root", database]


@pytest.mark.parametrize("text", PG_CASES + generated(PG_FRAGMENTS, ["\\! touch M\n", "\\! touch M "], 120, 20261207))
def test_the_psql_reader_refuses_whatever_psql_would_run(pg_scratch: str, tmp_path: Path, text: str) -> None:
    verdicts = {verdict(Psql, text, size) for size in (1, 2, 3, 5, 64, 1 << 20)}
    assert len(verdicts) == 1, verdicts
    passed_on = verdicts.pop()
    assert passed_on.startswith("refused: ") or not ran(psql(pg_scratch), passed_on, tmp_path), text


@pytest.mark.parametrize("text", MARIA_CASES + generated(MARIA_FRAGMENTS, ["\\! touch M\n", "\\! touch M ",
                                                                            "\nsystem touch M\n"], 120, 20261207))
def test_the_mariadb_reader_refuses_whatever_the_client_would_run(maria_database: str, tmp_path: Path,
                                                                  text: str) -> None:
    verdicts = {verdict(Mariadb, text, size) for size in (1, 2, 3, 5, 64, 1 << 20)}
    assert len(verdicts) == 1, verdicts
    passed_on = verdicts.pop()
    assert passed_on.startswith("refused: ") or not ran(mariadb(maria_database), passed_on, tmp_path), text


@pytest.mark.parametrize(("reader", "text"), [
    (Psql, "SELECT E'\\\\! not a command', $$ \\connect x $$, '\\N';\n-- \\! no\n/* \\! no */\n"),
    (Psql, "COPY t (a) FROM stdin;\na\\\\b\n\\N\n\\! data, not a command\n\\.\nSELECT 1;\n"),
    (Mariadb, "INSERT INTO t VALUES ('a\\\\b', 'it\\'s', \"\\\\! no\", '\\0');\n# \\! no\n/* \\! no */\n"),
], ids=["psql-strings-and-comments", "psql-copy-data", "mariadb-strings-and-comments"])
def test_backslashes_in_data_and_comments_pass_unchanged(reader: type[Vetting], text: str) -> None:
    assert verdict(reader, text, 3) == text
