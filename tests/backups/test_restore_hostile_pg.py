"""Plain pg_dump files with psql commands planted in them: the drill fails naming the line, and nothing else moves.

Each payload is the review's (reliability-2026-12, group 5): `SELECT 1; \\connect <db>` followed by an
INSERT, the same indented, `\\! touch FILE`, `\\c`, `\\o FILE`, `\\copy ... to program`, and plain SQL the
throwaway role may not run (`COPY ... TO PROGRAM`, `pg_read_file`). Another database on the same server
(the "victim") is checked by row count and checksum before and after; no file appears.
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from opsverify.checks.backup import pgscript
from opsverify.checks.backup.restore import restore_drill
from opsverify.result import Result, Status
from tests.backups.conftest import PG_URL, Shelf, Source, backup, context, pg_database, roles, throwaways, unique
from tests.backups.test_restore_pg import drill
from tests.services import POSTGRES, need

INTO = f"{PG_URL}/postgres"
ELSEWHERE = "a backup must not direct the drill to another database"
SHELL = "a backup must not run commands on the machine running the drill"
FILES = "a backup must not write files or start programs on the machine running the drill"


@pytest.fixture(scope="module")
def victim() -> Iterator[str]:
    """Another database on the scratch server, with 100 rows a hostile dump would like to change."""
    with pg_database("opsv_bk_victim", "CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL)",
                     "INSERT INTO users (email) SELECT 'user' || g || '@example.org' FROM generate_series(1, 100) g"
                     ) as name:
        yield name


def state(database: str) -> tuple[int, str]:
    """Row count and checksum of the victim's users."""
    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={database}") as conn:
        return conn.execute("SELECT count(*), md5(string_agg(email, ',' ORDER BY id)) FROM users").fetchone()


def planted(source: Source, payload: str) -> tuple[bytes, int]:
    """A real plain dump of the source with `payload` planted before its first CREATE TABLE; the payload's line."""
    text = source.dump().read_bytes()
    at = text.index(b"CREATE TABLE")
    return text[:at] + payload.encode() + text[at:], text[:at].count(b"\n") + 1


def hostile(shelf: Shelf, source: Source, victim: str, payload: str, item: str, **restore: Any) -> tuple[Result, int]:
    """The drill of a dump carrying `payload`; the payload's first line. The victim must not change, whatever happens."""
    before = state(victim)
    data, line = planted(source, payload)
    shelf.put("db-1.sql", data)
    result = restore_drill(backup(shelf.glob(), name=item, restore={"into": INTO, **restore}), context=context())
    assert state(victim) == before
    assert [name for name in throwaways("pg") if item.replace("-", "_") in name] == []
    return result, line


@pytest.mark.parametrize(("payload", "command", "why"), [
    ("SELECT 1; \\connect {victim}\nINSERT INTO users (email) VALUES ('injected');\n", "\\connect", ELSEWHERE),
    ("  \\connect {victim}\nINSERT INTO users (email) VALUES ('injected');\n", "\\connect", ELSEWHERE),
    ("\\c {victim}\nINSERT INTO users (email) VALUES ('injected');\n", "\\c", ELSEWHERE),
    ("\\! touch {marker}\n", "\\!", SHELL),
    ("\\o {marker}\nSELECT 1;\n", "\\o", FILES),
    ("\\copy (SELECT 1) to program 'touch {marker}'\n", "\\copy", FILES),
    ("SELECT 'harmless'; \\! touch {marker}\n", "\\!", SHELL),
], ids=["connect-after-select", "connect-indented", "c", "shell", "output", "copy-to-program", "shell-after-select"])
def test_a_psql_command_in_the_dump_fails_the_drill_and_runs_nowhere(shelf: Shelf, pg_source: Source, victim: str,
                                                                      tmp_path: Path, payload: str, command: str,
                                                                      why: str) -> None:
    marker = tmp_path / "PWNED"
    result, line = hostile(shelf, pg_source, victim, payload.format(victim=victim, marker=marker), "pg-hostile")
    assert result.status is Status.FAILED
    assert result.reason == (f"restore drill of db-1.sql: line {line} of db-1.sql: psql meta-command {command} is "
                             f"refused ({why})")
    assert not marker.exists()


@pytest.mark.parametrize(("payload", "error"), [
    ("COPY (SELECT 1) TO PROGRAM 'touch {marker}';\n",
     "ERROR:  must be superuser or have privileges of the pg_execute_server_program role to COPY to or from an "
     "external program"),
    ("SELECT pg_read_file('/etc/hostname');\n", "ERROR:  permission denied for function pg_read_file"),
    ("ALTER ROLE CURRENT_USER SUPERUSER;\n", "ERROR:  must be superuser to alter superuser roles or change "
                                              "superuser attribute"),
], ids=["copy-to-program", "read-server-file", "become-superuser"])
def test_sql_the_throwaway_role_may_not_run_fails_the_drill(shelf: Shelf, pg_source: Source, victim: str,
                                                            tmp_path: Path, payload: str, error: str) -> None:
    marker = tmp_path / "PWNED"
    result, line = hostile(shelf, pg_source, victim, payload.format(marker=marker), "pg-role")
    assert result.status is Status.FAILED
    assert result.reason.startswith(f"restore drill of db-1.sql: the restore failed: psql failed: line {line} of "
                                    f"db-1.sql: {error}")
    assert not marker.exists()


def test_without_psqls_restricted_mode_the_reader_and_the_role_still_hold(shelf: Shelf, pg_source: Source,
                                                                          victim: str, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pgscript, "restricts", lambda psql: None)  # as with a psql older than 15.14
    marker = tmp_path / "PWNED"
    result, line = hostile(shelf, pg_source, victim, f"SELECT 1; \\! touch {marker}\n", "pg-old-psql")
    assert result.status is Status.FAILED
    assert f"line {line} of db-1.sql: psql meta-command \\! is refused" in result.reason
    assert not marker.exists()
    result, _ = hostile(shelf, pg_source, victim, "SELECT 1;\n", "pg-old-psql", expect_min_rows={"orders": 500})
    assert result.status is Status.PASSED, result.reason
    assert any("does not know \\restrict" in note for note in result.evidence["safeguards"])


def test_psqls_restricted_mode_holds_against_the_dumps_own_key(pg_source: Source, tmp_path: Path) -> None:
    """The second layer alone: psql, restricted with the drill's key, refuses a command after the file's \\unrestrict."""
    marker = tmp_path / "PWNED"
    text = pg_source.dump().read_bytes()
    dump_key = text.split(b"\\restrict ", 1)[1].split(b"\n", 1)[0]
    script = (b"\\restrict " + secrets.token_hex(32).encode() + b"\n" + b"\\unrestrict " + dump_key + b"\n"
              + f"\\! touch {marker}\n".encode())
    done = subprocess.run(["psql", "-X", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-f", "-"],
                          input=script, capture_output=True, timeout=30)  # without ON_ERROR_STOP: psql goes on
    assert not marker.exists()
    assert b"psql:<stdin>:2: error: \\unrestrict: wrong key" in done.stderr
    assert b"psql:<stdin>:3: error: backslash commands are restricted; only \\unrestrict is allowed" in done.stderr


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    """A database whose rows, functions, view and comments are full of backslashes and quotes, with other roles' grants."""
    need("PostgreSQL", POSTGRES)
    owner, reader = unique("opsv_bk_owner"), unique("opsv_bk_reader")
    admin = "host=127.0.0.1 user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{owner}"')
        conn.execute(f'CREATE ROLE "{reader}"')
    try:
        with pg_database("opsv_bk_rich", RICH.replace("OWNER_ROLE", owner).replace("READER_ROLE", reader)) as name:
            yield Source(f"{PG_URL}/{name}", name, tmp_path_factory.mktemp("rich"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{owner}"')
            conn.execute(f'DROP ROLE IF EXISTS "{reader}"')


RICH = r"""
CREATE TABLE notes (id int PRIMARY KEY, body text, raw bytea);
INSERT INTO notes VALUES
  (1, E'back\\slash and \\N and \\. alone', '\x5c00ff'), (2, '\N', NULL), (3, 'C:\', E'\\x41'),
  (4, E'line one\nline two\\', E'\\x'), (5, E'\\.', NULL), (6, E'tab\there ''quoted'' \\! not a command', NULL),
  (7, '$$ dollar $$ and $a$', NULL), (8, '-- not a comment /* nor this', NULL);
CREATE FUNCTION shout(t text) RETURNS text LANGUAGE plpgsql AS $body$
BEGIN
  RETURN E'\\! ' || t || '; \connect nowhere';
END
$body$;
CREATE FUNCTION pair() RETURNS int LANGUAGE sql BEGIN ATOMIC; SELECT 1; SELECT 2; END;
CREATE VIEW paths AS SELECT 'C:\'::text AS path, E'a\\b'::text AS escaped FROM notes;
COMMENT ON TABLE notes IS E'has a \\ backslash; \\! and '' quotes';
ALTER TABLE notes OWNER TO OWNER_ROLE;
GRANT SELECT ON notes TO READER_ROLE;
REVOKE ALL ON FUNCTION shout(text) FROM PUBLIC;
"""


def test_a_real_dump_full_of_backslashes_restores_and_passes(shelf: Shelf, rich: Source) -> None:
    data = rich.dump().read_bytes()  # with ALTER ... OWNER TO, GRANT and REVOKE to a role the scratch role is not
    assert b"OWNER TO" in data and b"GRANT SELECT" in data and b"COPY public.notes" in data
    result = drill(shelf, rich, "db-1.sql", data, "pg-rich", max_row_drift="0%", expect_min_rows={"notes": 8})
    assert result.status is Status.PASSED, result.reason
    assert result.evidence["safeguards"][1].startswith("psql 15.") and "restricted mode" in result.evidence["safeguards"][1]
    assert result.evidence["safeguards"][2].startswith("as the throwaway role opsv_restore_pg_rich_")
    assert roles("pg", [result.evidence["database"]]) == []


@pytest.mark.parametrize("options", [("--no-owner",), ("--inserts",)], ids=["copy", "inserts"])
def test_the_reader_passes_the_data_on_exactly(rich: Source, options: tuple[str, ...]) -> None:
    """What psql receives restores to the same bytes: rows, function bodies and comments compared with the source."""
    data = rich.dump(*options).read_bytes()
    fed = b"".join(pgscript.Psql("db.sql", strict=False)([data[i:i + 997] for i in range(0, len(data), 997)]))
    assert fed.count(b"\n") == data.count(b"\n")  # pg_dump's \restrict lines are left out as empty lines
    with pg_database("opsv_bk_copy") as target:
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "postgres", "-d",
                        target, "-f", "-"], input=fed, check=True, capture_output=True, timeout=60)
        assert fingerprint(target) == fingerprint(rich.name)


def fingerprint(database: str) -> tuple[Any, ...]:
    """The rows, a function's body and output, and the table's comment."""
    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={database}") as conn:
        return (conn.execute("SELECT md5(string_agg(id || ':' || coalesce(body, '<null>') || ':' || "
                             "coalesce(encode(raw, 'hex'), '<null>'), '|' ORDER BY id)) FROM notes").fetchone(),
                conn.execute("SELECT shout('x'), pair(), obj_description('notes'::regclass)").fetchone(),
                conn.execute("SELECT * FROM paths LIMIT 1").fetchone())


def test_a_non_superuser_into_is_enough(shelf: Shelf, pg_source: Source) -> None:
    """restore.into as a role with CREATEDB and CREATEROLE only: the drill creates, hands over and drops everything."""
    admin = f"opsv_bk_admin_{secrets.token_hex(4)}"
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{admin}" LOGIN CREATEDB CREATEROLE')
    try:
        shelf.put("db-1.sql", pg_source.dump().read_bytes())
        item = backup(shelf.glob(), name="pg-admin", restore={
            "into": f"postgresql+psycopg://{admin}@127.0.0.1:5432/postgres", "expect_min_rows": {"orders": 500}})
        result = restore_drill(item, context=context())
        assert result.status is Status.PASSED, result.reason
        assert roles("pg", [result.evidence["database"]]) == []
    finally:
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{admin}"')


@pytest.mark.parametrize(("said", "knows"), [
    ("psql (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)", "15.20"), ("psql (PostgreSQL) 15.13", None),
    ("psql (PostgreSQL) 15.14", "15.14"), ("psql (PostgreSQL) 13.22", "13.22"), ("psql (PostgreSQL) 17.5", None),
    ("psql (PostgreSQL) 18.1", "18.1"), ("psql (PostgreSQL) 12.22", None), ("not a psql", None),
])
def test_which_psql_knows_restrict(tmp_path: Path, said: str, knows: str | None) -> None:
    """\\restrict came with 13.22, 14.19, 15.14, 16.10 and 17.6 (CVE-2025-8714); the version is asked of psql itself."""
    psql = tmp_path / "psql"
    psql.write_text(f"#!/bin/sh\necho '{said}'\n")
    psql.chmod(0o755)
    assert pgscript.restricts(str(psql)) == knows
