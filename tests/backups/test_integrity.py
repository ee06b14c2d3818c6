"""Integrity: the newest backup read whole, with real pg_dump, mariadb-dump, tar, zip, sqlite3, gpg and age."""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import subprocess
from pathlib import Path

import pytest

from opsverify.checks.backup.integrity import integrity
from opsverify.result import Status
from tests.backups.conftest import Shelf, Source, backup

_LATER = itertools.count()


def check(shelf: Shelf, name: str, data: bytes, fmt: str):  # noqa: ANN201 - a Result
    """Integrity of the set once this file is its newest."""
    shelf.put(name, data, dt.timedelta(hours=1) - dt.timedelta(minutes=next(_LATER)))
    return integrity(backup(shelf.glob(), format=fmt))


def cut(data: bytes, share: float) -> bytes:
    """The first `share` of the bytes."""
    return data[:int(len(data) * share)]


def test_a_whole_custom_dump_passes_with_every_data_block_read(shelf: Shelf, pg_source: Source) -> None:
    data = pg_source.dump("-Fc").read_bytes()
    result = check(shelf, "db-1.dump", data, "pg_custom")
    assert result.status is Status.PASSED, result.reason
    assert result.reason.startswith("db-1.dump read whole: pg_dump archive 1.1")
    assert f"of database {pg_source.name}: all 2 data blocks read (inflated" in result.reason


def test_a_custom_dump_cut_to_60_percent_lists_fine_but_fails(shelf: Shelf, pg_source: Source) -> None:
    path = shelf.put("db-1.dump", cut(pg_source.dump("-Fc").read_bytes(), 0.6))
    listed = subprocess.run(["pg_restore", "--list", str(path)], capture_output=True)
    assert listed.returncode == 0  # the table of contents is at the head of the file
    result = integrity(backup(shelf.glob(), format="pg_custom"))
    assert result.status is Status.FAILED
    assert result.reason.startswith("db-1.dump: the file ends in the middle of the data of TABLE DATA public.")
    assert result.reason.endswith("it is truncated")


def test_a_plain_dump_needs_its_trailer(shelf: Shelf, pg_source: Source) -> None:
    data = gzip.compress(pg_source.dump().read_bytes())
    assert check(shelf, "db-1.sql.gz", data, "pg_dump").status is Status.PASSED
    text = pg_source.dump().read_bytes()
    result = check(shelf, "db-2.sql", text[:text.rindex(b"-- PostgreSQL database dump complete")], "pg_dump")
    assert result.status is Status.FAILED
    assert result.reason == 'db-2.sql: no "-- PostgreSQL database dump complete" line at its end: pg_dump did not finish'


def test_a_truncated_gzip_fails_on_its_missing_end(shelf: Shelf, pg_source: Source) -> None:
    data = gzip.compress(pg_source.dump().read_bytes())
    result = check(shelf, "db-1.sql.gz", cut(data, 0.6), "pg_dump")
    assert result.status is Status.FAILED
    assert "the gzip data ends early" in result.reason and result.reason.endswith("the file is truncated")


def test_a_flipped_bit_fails_the_gzip_crc(shelf: Shelf) -> None:
    data = bytearray(gzip.compress(b"INSERT INTO t VALUES (1);\n" * 10_000))
    data[-8] ^= 0x01  # inside the CRC-32 of the trailer
    result = check(shelf, "db-1.gz", bytes(data), "gzip")
    assert result.status is Status.FAILED
    assert result.reason == "db-1.gz: the gzip CRC check failed: the data is corrupt"


def test_mariadb_dump_and_its_missing_trailer(shelf: Shelf, maria_source: Source) -> None:
    data = maria_source.dump().read_bytes()
    result = check(shelf, "db-1.sql", data, "mysqldump")
    assert result.status is Status.PASSED and "mysqldump SQL ends with its trailer" in result.reason
    result = check(shelf, "db-2.sql", data[:data.rindex(b"-- Dump completed")], "mysqldump")
    assert result.status is Status.FAILED
    assert result.reason == ('db-2.sql: no "-- Dump completed" line at its end: the dump did not finish '
                             "(or ran with --skip-comments)")


def _tarball(tmp_path: Path, *flags: str) -> bytes:
    """A real tar archive (GNU tar) of a few files."""
    src = tmp_path / "files"
    src.mkdir(exist_ok=True)
    for index in range(4):
        (src / f"upload-{index}.bin").write_bytes(bytes(range(256)) * 40 * (index + 1))
    return subprocess.run(["tar", *flags, "-cf", "-", "-C", str(src), "."], capture_output=True, check=True).stdout


def test_tar_archives_read_every_member(shelf: Shelf, tmp_path: Path) -> None:
    result = check(shelf, "db-1.tar.gz", _tarball(tmp_path, "-z"), "tar")
    assert result.status is Status.PASSED
    assert result.reason.startswith("db-1.tar.gz read whole: gzip OK; tar archive: 5 members (")


def test_a_tar_cut_inside_a_member_fails(shelf: Shelf, tmp_path: Path) -> None:
    result = check(shelf, "db-1.tar", cut(_tarball(tmp_path), 0.5), "tar")
    assert result.status is Status.FAILED
    assert "the tar archive is damaged after" in result.reason or "ends early" in result.reason


def test_zip_archives_check_each_members_crc(shelf: Shelf, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello\n" * 5000)
    (tmp_path / "b.txt").write_text("world\n" * 5000)
    subprocess.run(["zip", "-q", str(tmp_path / "x.zip"), "a.txt", "b.txt"], cwd=tmp_path, check=True)
    data = (tmp_path / "x.zip").read_bytes()
    result = check(shelf, "db-1.zip", data, "zip")
    assert result.status is Status.PASSED
    assert result.reason == "db-1.zip read whole: zip archive: all 2 members pass their CRC check"
    result = check(shelf, "db-2.zip", cut(data, 0.7), "zip")
    assert result.status is Status.FAILED
    assert result.reason == "db-2.zip: not a readable zip archive (File is not a zip file): it is truncated or damaged"


def test_sqlite_databases_pass_integrity_check_on_a_copy(shelf: Shelf, tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    subprocess.run(["sqlite3", str(db), "CREATE TABLE t(x); INSERT INTO t SELECT value FROM generate_series(1, 5000);"],
                   check=True)
    data = db.read_bytes()
    assert check(shelf, "db-1.db.gz", gzip.compress(data), "sqlite").status is Status.PASSED
    result = check(shelf, "db-2.db", cut(data, 0.3), "sqlite")
    assert result.status is Status.FAILED
    assert result.reason.startswith("db-2.db: ")
    assert "malformed" in result.reason or "integrity_check" in result.reason


def test_a_sqlite_dump_script_must_end_with_commit(shelf: Shelf, tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    subprocess.run(["sqlite3", str(db), "CREATE TABLE t(x); INSERT INTO t VALUES (1), (2);"], check=True)
    script = subprocess.run(["sqlite3", str(db), ".dump"], capture_output=True, check=True).stdout
    assert check(shelf, "db-1.sql", script, "sqlite").status is Status.PASSED
    result = check(shelf, "db-2.sql", script[:script.rindex(b"COMMIT;")], "sqlite")
    assert result.status is Status.FAILED
    assert result.reason == "db-2.sql: its last statement is not COMMIT;: the .dump did not finish"


@pytest.mark.parametrize("tool, words", [
    (["gpg", "--batch", "--passphrase", "s3cret", "--pinentry-mode", "loopback", "-c", "-o", "-"], "GPG"),
    (["gpg", "--batch", "--passphrase", "s3cret", "--pinentry-mode", "loopback", "-c", "-a", "-o", "-"], "GPG"),
    (["age", "-r", "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"], "age"),
], ids=["gpg", "gpg-armor", "age"])
def test_undeclared_encryption_fails_and_names_the_encryption_found(shelf: Shelf, pg_source: Source, tool: list[str],
                                                                    words: str) -> None:
    sealed = subprocess.run(tool, input=pg_source.dump().read_bytes(), capture_output=True, check=True).stdout
    result = check(shelf, "db-1.sql.gz", sealed, "pg_dump")  # Frappe names its GPG files *.sql.gz
    assert result.status is Status.FAILED
    assert result.reason == (f"db-1.sql.gz is {words}-encrypted, but the item declares no encryption: it is not the "
                             "pg_dump it promises (declare encryption: gpg or age, with its key, to verify it)")


def test_a_file_that_is_not_its_format_fails(shelf: Shelf, pg_source: Source) -> None:
    result = check(shelf, "db-1.dump", gzip.compress(pg_source.dump().read_bytes()), "pg_custom")
    assert result.status is Status.FAILED
    assert result.reason == "db-1.dump: format is pg_custom, but the file is gzip-compressed plain pg_dump SQL"


def test_an_empty_file_fails(shelf: Shelf) -> None:
    result = check(shelf, "db-1.gz", b"", "gzip")
    assert result.status is Status.FAILED and result.reason == "db-1.gz: the file is empty"
