"""mariadb-dump files with client commands planted in them: the drill fails naming the line, and nothing else moves.

The review's payloads: `system touch FILE`, `\\! touch FILE`, `connect <db>`, `use <db>; insert ...`, and an
INSERT into another database that only the drill user's privileges stop. Another database on the server
(the "victim") is checked by row count and checksum before and after; no file appears.
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from opsverify.checks.backup.restore import restore_drill
from opsverify.result import Result, Status
from tests.backups.conftest import MARIA_URL, Shelf, Source, backup, context, roles, throwaways
from tests.backups.test_restore_mysql import drill
from tests.services import MARIADB, need

INTO = f"{MARIA_URL}/mysql"
ELSEWHERE = "a backup must not direct the drill to another database"
SHELL = "a backup must not run commands on the machine running the drill"


def execute(*statements: str, database: str | None = None) -> list[tuple]:
    """Run statements on the machine's MariaDB as root; the last one's rows."""
    conn = pymysql.connect(host="127.0.0.1", user="root", database=database, autocommit=True)
    try:
        with conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
            return list(cursor.fetchall())
    finally:
        conn.close()


@pytest.fixture(scope="module")
def victim() -> Iterator[str]:
    """Another database on the scratch server, with 100 rows a hostile dump would like to change."""
    need("MariaDB", MARIADB)
    name = f"opsv_bk_victim_{secrets.token_hex(4)}"
    execute(f"CREATE DATABASE `{name}`")
    try:
        execute("CREATE TABLE users (id int AUTO_INCREMENT PRIMARY KEY, email text NOT NULL)",
                "INSERT INTO users (email) SELECT concat('user', seq, '@example.org') FROM seq_1_to_100", database=name)
        yield name
    finally:
        execute(f"DROP DATABASE IF EXISTS `{name}`")


def state(database: str) -> tuple:
    """Row count and checksum of the victim's users."""
    return execute(f"SELECT count(*), md5(group_concat(email ORDER BY id)) FROM `{database}`.users")[0]


def hostile(shelf: Shelf, source: Source, victim: str, payload: str, item: str) -> tuple[Result, int]:
    """The drill of a dump carrying `payload` before its first table; the payload's line. The victim must not change."""
    before = state(victim)
    text = source.dump().read_bytes()
    at = text.index(b"DROP TABLE IF EXISTS")
    shelf.put("db-1.sql", text[:at] + payload.encode() + text[at:])
    result = restore_drill(backup(shelf.glob(), name=item, restore={"into": INTO}), context=context())
    assert state(victim) == before
    assert [name for name in throwaways("maria") if item.replace("-", "_") in name] == []
    return result, text[:at].count(b"\n") + 1


@pytest.mark.parametrize(("payload", "refused"), [
    ("system touch {marker}\n", f"mariadb client command system is refused ({SHELL})"),
    ("\\! touch {marker}\n", f"mariadb client command \\! is refused ({SHELL})"),
    ("SELECT 1; \\! touch {marker}\n", f"mariadb client command \\! is refused ({SHELL})"),
    ("connect {victim}\n", f"mariadb client command connect is refused ({ELSEWHERE})"),
    ("use {victim}; insert into users (email) values ('injected');\n", f"USE is refused ({ELSEWHERE})"),
    ("SELECT 1; USE {victim};\n", f"USE is refused ({ELSEWHERE})"),
], ids=["system", "shell", "shell-after-select", "connect", "use-then-insert", "use-after-select"])
def test_a_client_command_in_the_dump_fails_the_drill_and_runs_nowhere(shelf: Shelf, maria_source: Source,
                                                                        victim: str, tmp_path: Path, payload: str,
                                                                        refused: str) -> None:
    marker = tmp_path / "PWNED"
    result, line = hostile(shelf, maria_source, victim, payload.format(victim=victim, marker=marker), "maria-hostile")
    assert result.status is Status.FAILED
    assert result.reason == f"restore drill of db-1.sql: line {line} of db-1.sql: {refused}"
    assert not marker.exists()


def test_a_write_into_another_database_is_denied_to_the_drill_user(shelf: Shelf, maria_source: Source,
                                                                   victim: str) -> None:
    result, line = hostile(shelf, maria_source, victim,
                           f"INSERT INTO `{victim}`.users (email) VALUES ('injected');\n", "maria-privileges")
    assert result.status is Status.FAILED
    assert result.reason.startswith(f"restore drill of db-1.sql: the restore failed: mariadb failed: line {line} of "
                                    "db-1.sql: INSERT command denied to user 'opsv_restore_maria_privileges_")
    assert result.reason.endswith(f"for table `{victim}`.`users` (error 1142)")


def test_the_clients_own_fences_hold_without_the_reader(tmp_path: Path) -> None:
    """The second layer alone: mariadb --binary-mode --sandbox runs none of the client commands it is fed."""
    need("MariaDB", MARIADB)
    script = f"system touch {tmp_path}/a\n\\! touch {tmp_path}/b\nSELECT 1; \\! touch {tmp_path}/c\n"
    subprocess.run(["mariadb", "--binary-mode", "--sandbox", "--batch", "-h", "127.0.0.1", "-u", "root", "mysql"],
                   input=script.encode(), capture_output=True, timeout=30)
    assert list(tmp_path.iterdir()) == []


RICH = r"""
CREATE TABLE notes (id int PRIMARY KEY, body text, raw blob);
INSERT INTO notes VALUES (1, 'back\\slash and \\N and \\. alone', 0x5c00ff), (2, '\\N', NULL),
  (3, 'C:\\', 'a\0b'), (4, 'line one\nline two\\', NULL), (5, 'it''s "quoted" \\! not a command', NULL),
  (6, '-- not a comment /* nor this # nor this', NULL), (7, 'use other; system ls', NULL);
CREATE VIEW paths AS SELECT concat('C:', char(92)) AS path FROM notes;
CREATE TRIGGER stamp BEFORE INSERT ON notes FOR EACH ROW SET NEW.body = concat(NEW.body, '\\');
CREATE PROCEDURE shout() SELECT 'system touch x; \\! y' AS said;
"""


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    """A database full of backslashes and quotes, with a view, a trigger and a routine that carry a DEFINER."""
    need("MariaDB", MARIADB)
    name = f"opsv_bk_rich_{secrets.token_hex(4)}"
    execute(f"CREATE DATABASE `{name}`")
    try:
        conn = pymysql.connect(host="127.0.0.1", user="root", database=name, autocommit=True)
        with conn.cursor() as cursor:
            for statement in RICH.strip().split(";\n"):
                cursor.execute(statement)
        conn.close()
        yield Source(f"{MARIA_URL}/{name}", name, tmp_path_factory.mktemp("rich"))
    finally:
        execute(f"DROP DATABASE IF EXISTS `{name}`")


def test_a_real_dump_full_of_backslashes_restores_and_passes(shelf: Shelf, rich: Source) -> None:
    data = rich.dump("--routines", "--triggers").read_bytes()
    assert b"DEFINER=`root`@" in data and b"DELIMITER ;;" in data and b"\\\\" in data
    result = drill(shelf, rich, data, "maria-rich", max_row_drift="0%", expect_min_rows={"notes": 7})
    assert result.status is Status.PASSED, result.reason
    assert result.evidence["safeguards"][1].startswith("mariadb --binary-mode --sandbox --local-infile=0")
    assert roles("maria", [result.evidence["database"]]) == []


def test_a_least_privileged_into_is_enough(shelf: Shelf, maria_source: Source) -> None:
    """restore.into with CREATE USER and every privilege, grantable, on opsv_restore_% databases only."""
    admin = f"opsv_bk_admin_{secrets.token_hex(4)}"
    execute(f"CREATE USER '{admin}'@'127.0.0.1'", f"GRANT CREATE USER ON *.* TO '{admin}'@'127.0.0.1'",
            f"GRANT ALL PRIVILEGES ON `opsv\\_restore\\_%`.* TO '{admin}'@'127.0.0.1' WITH GRANT OPTION")
    try:
        shelf.put("db-1.sql", maria_source.dump().read_bytes())
        item = backup(shelf.glob(), name="maria-admin", restore={"into": f"mysql+pymysql://{admin}@127.0.0.1:3306",
                                                                 "expect_min_rows": {"orders": 500}})
        result = restore_drill(item, context=context())
        assert result.status is Status.PASSED, result.reason
        assert result.evidence["safeguards"][2] == (f"as the throwaway user {result.evidence['database']}, with "
                                                    "privileges on the throwaway database only")
        assert roles("maria", [result.evidence["database"]]) == []
    finally:
        execute(f"DROP USER IF EXISTS '{admin}'@'127.0.0.1'")
