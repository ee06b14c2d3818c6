"""Restore drills into SQLite: a .dump script or a database file, into a throwaway file that is always removed."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

import pytest

from opsverify.checks.backup.restore import restore_drill
from opsverify.result import Status
from tests.backups.conftest import Shelf, Source, backup, context


def app_db(tmp_path: Path, orders: int = 300) -> Path:
    """A SQLite database with users and orders, made by the sqlite3 shell."""
    path = tmp_path / "app.db"
    path.unlink(missing_ok=True)
    subprocess.run(["sqlite3", str(path), f"""
        CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
        INSERT INTO users SELECT value, 'u' || value FROM generate_series(1, 20);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, created_at TEXT);
        INSERT INTO orders SELECT value, datetime('now', '-2 hours', '-30 minutes', '-' || value || ' seconds')
          FROM generate_series(1, {orders});"""], check=True)
    return path


def scratch_files(folder: Path) -> list[str]:
    """What the drills left in the scratch folder."""
    return sorted(p.name for p in folder.iterdir())


def test_a_dump_script_restores_into_a_throwaway_file(shelf: Shelf, tmp_path: Path) -> None:
    db = app_db(tmp_path)
    script = subprocess.run(["sqlite3", str(db), ".dump"], capture_output=True, check=True).stdout
    shelf.put("db-1.sql.gz", gzip.compress(script))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = context(databases=[{"name": "app", "url": f"sqlite:///{db}"}])
    item = backup(shelf.glob(), restore={"into": f"sqlite:///{scratch}/restore.db", "source": "app",
                                         "max_row_drift": "0%", "expect_min_rows": {"orders": 300},
                                         "freshness_column": "orders.created_at"})
    result = restore_drill(item, context=env)
    assert result.status is Status.PASSED, result.reason
    assert result.reason.startswith("db-1.sql.gz restored into a throwaway sqlite database with sqlite3 in ")
    assert "lag of the newest orders.created_at behind the backup is 90m; limit 26h" in result.reason
    assert result.evidence["database"].startswith(f"{scratch}/opsv_restore_t_")
    assert scratch_files(scratch) == []


def test_a_database_file_is_copied_and_checked(shelf: Shelf, tmp_path: Path) -> None:
    db = app_db(tmp_path, orders=3)
    shelf.put("db-1.db", db.read_bytes())
    item = backup(shelf.glob(), restore={"into": f"sqlite:///{tmp_path}/restore.db",
                                         "expect_min_rows": {"orders": 10}})
    result = restore_drill(item, context=context())
    assert result.status is Status.FAILED
    assert result.reason == "restore drill of db-1.db: orders has 3 rows after the restore; expected at least 10"
    assert not list(tmp_path.glob("opsv_restore_*"))


def test_a_statement_that_fails_stops_the_drill(shelf: Shelf, tmp_path: Path) -> None:
    shelf.put("db-1.sql", b"BEGIN TRANSACTION;\nCREATE TABLE t(x);\nINSERT INTO nowhere VALUES (1);\nCOMMIT;\n")
    result = restore_drill(backup(shelf.glob(), restore={"into": f"sqlite:///{tmp_path}/r.db"}), context=context())
    assert result.status is Status.FAILED
    assert result.reason == ("restore drill of db-1.sql: the restore failed: SQLite stopped at statement 3: "
                             "no such table: nowhere")


def test_attach_is_refused(shelf: Shelf, tmp_path: Path) -> None:
    shelf.put("db-1.sql", b"BEGIN TRANSACTION;\nATTACH DATABASE '/tmp/elsewhere.db' AS x;\nCOMMIT;\n")
    result = restore_drill(backup(shelf.glob(), restore={"into": f"sqlite:///{tmp_path}/r.db"}), context=context())
    assert result.status is Status.FAILED
    assert result.reason == ("restore drill of db-1.sql: line 2 of db-1.sql: ATTACH (or VACUUM INTO) is refused (a "
                             "backup must not open or write other files on the machine running the drill)")
    assert not Path("/tmp/elsewhere.db").exists()


def test_a_postgres_archive_cannot_go_into_sqlite(shelf: Shelf, tmp_path: Path, pg_source: Source) -> None:
    shelf.put("db-1.dump", pg_source.dump("-Fc").read_bytes())
    result = restore_drill(backup(shelf.glob(), restore={"into": f"sqlite:///{tmp_path}/r.db"}), context=context())
    assert result.status is Status.ERROR
    assert result.reason == "restore drill of db-1.dump: a drill cannot restore pg_dump custom-format archive into sqlite"


def test_an_encrypted_backup_cannot_be_drilled(shelf: Shelf, tmp_path: Path) -> None:
    sealed = subprocess.run(["gpg", "--batch", "--passphrase", "x", "--pinentry-mode", "loopback", "-c", "-o", "-"],
                            input=b"BEGIN TRANSACTION;\nCOMMIT;\n", capture_output=True, check=True).stdout
    shelf.put("db-1.sql.gz", sealed)
    result = restore_drill(backup(shelf.glob(), restore={"into": f"sqlite:///{tmp_path}/r.db"}), context=context())
    assert result.status is Status.ERROR
    assert result.reason == ("restore drill of db-1.sql.gz: db-1.sql.gz is GPG-encrypted: a drill cannot restore "
                             "it without the key")




OUTSIDE = "a backup must not open or write other files on the machine running the drill"


@pytest.mark.parametrize(("script", "line", "refused"), [
    ("BEGIN TRANSACTION;\n.shell touch {marker}\nCOMMIT;\n", 2, "sqlite3 dot-command .shell is refused ({outside}; "
                                                                 "a drill runs SQL only)"),
    ("BEGIN TRANSACTION;\n  .system touch {marker}\nCOMMIT;\n", 2, "sqlite3 dot-command .system is refused "
                                                                   "({outside}; a drill runs SQL only)"),
    ("BEGIN TRANSACTION;\n.output {marker}\nSELECT 1;\nCOMMIT;\n", 2, "sqlite3 dot-command .output is refused "
                                                                      "({outside}; a drill runs SQL only)"),
    ("BEGIN TRANSACTION;\nCREATE TABLE t(x); SELECT 1; ATTACH DATABASE '{marker}' AS x;\nCOMMIT;\n", 2,
     "ATTACH (or VACUUM INTO) is refused ({outside})"),
    ("CREATE TABLE t(x);\nVACUUM INTO '{marker}';\n", 2, "ATTACH (or VACUUM INTO) is refused ({outside})"),
    ("CREATE TABLE t(x);\nSELECT\n  load_extension('{marker}');\n", 2, "load_extension() is refused ({outside})"),
], ids=["shell", "system-indented", "output", "attach-mid-line", "vacuum-into", "load-extension"])
def test_a_script_that_reaches_past_the_throwaway_file_is_refused(shelf: Shelf, tmp_path: Path, script: str,
                                                                  line: int, refused: str) -> None:
    marker = tmp_path / "elsewhere.db"
    shelf.put("db-1.sql", script.format(marker=marker).encode())
    result = restore_drill(backup(shelf.glob(), restore={"into": f"sqlite:///{tmp_path}/r.db"}), context=context())
    assert result.status is Status.FAILED
    assert result.reason == f"restore drill of db-1.sql: line {line} of db-1.sql: {refused.format(outside=OUTSIDE)}"
    assert not marker.exists() and not list(tmp_path.glob("opsv_restore_*"))
