"""Backups on a host from `hosts:`: listed, hashed and tested there with its own tools (local:// and ssh://)."""

from __future__ import annotations

import datetime as dt
import gzip
import subprocess
from pathlib import Path
from typing import Any


from opsverify.checks.backup.checksum import checksum
from opsverify.checks.backup.freshness import freshness
from opsverify.checks.backup.integrity import integrity
from opsverify.checks.backup.joblog import job_log
from opsverify.checks.backup.restore import restore_drill
from opsverify.checks.backup.retention import retention
from opsverify.result import Status
from tests.backups.conftest import Shelf, Source, backup, context


def on(target: str, path: str, **fields: Any) -> tuple[Any, Any]:
    """A backup item on host db1 and the context naming db1."""
    item = backup(path, host="db1", **fields)
    return item, context(hosts=[{"name": "db1", "target": target, "timeout": "10s"}], backups=[])


def test_freshness_checksum_and_log_are_read_on_the_host(shelf: Shelf, target: str) -> None:
    shelf.put("db-1.sql.gz", gzip.compress(b"x" * 1000), dt.timedelta(hours=30))
    shelf.put("db-2.sql.gz", gzip.compress(b"y" * 1000), dt.timedelta(hours=2))
    log = shelf.folder / "backup.log"
    log.write_text(f"{dt.datetime.now().astimezone() - dt.timedelta(hours=2):%Y-%m-%d %H:%M:%S} backup completed\n")
    item, env = on(target, shelf.glob("db-*.sql.gz"), checksum="sidecar",
                   log={"path": str(log), "success_pattern": "completed"})
    result = freshness(item, context=env)
    assert (result.status, result.reason) == (Status.PASSED, "age of newest backup db-2.sql.gz on db1 is 2h; limit 26h")
    result = checksum(item, context=env)
    assert result.status is Status.PASSED and result.reason.startswith("sha256 of db-2.sql.gz on db1 matches ")
    result = job_log(item, context=env)
    assert result.status is Status.PASSED and result.reason.endswith("backup.log on db1 is 2h; limit 26h")
    (shelf.folder / "db-2.sql.gz").write_bytes(b"changed")
    assert checksum(item, context=env).status is Status.FAILED


def test_gzip_and_pg_restore_run_on_the_host(shelf: Shelf, target: str, pg_source: Source) -> None:
    data = pg_source.dump("-Fc").read_bytes()
    shelf.put("db-1.dump", data, dt.timedelta(hours=3))
    item, env = on(target, shelf.glob("db-*"), format="pg_custom")
    result = integrity(item, context=env)
    assert result.status is Status.PASSED, result.reason
    assert result.reason == "db-1.dump on db1 read whole: pg_restore -f /dev/null: every data block read"
    shelf.put("db-2.dump", data[:int(len(data) * 0.6)], dt.timedelta(hours=2))
    result = integrity(item, context=env)
    assert result.status is Status.FAILED
    assert result.reason.startswith("db-2.dump on db1: pg_restore: error: could not read from input file")
    shelf.put("db-3.sql.gz", gzip.compress(pg_source.dump().read_bytes())[:-40], dt.timedelta(hours=1))
    item, env = on(target, shelf.glob("db-*"), format="pg_dump")
    result = integrity(item, context=env)
    assert result.status is Status.FAILED
    assert result.reason.startswith("db-3.sql.gz on db1: gzip -t: ")


def test_dump_trailers_and_tar_on_the_host(shelf: Shelf, target: str, tmp_path: Path, pg_source: Source) -> None:
    text = pg_source.dump().read_bytes()
    shelf.put("db-1.sql.gz", gzip.compress(text[:text.rindex(b"-- PostgreSQL database dump complete")]))
    item, env = on(target, shelf.glob("db-*"), format="pg_dump")
    result = integrity(item, context=env)
    assert result.reason == ('db-1.sql.gz on db1: no "-- PostgreSQL database dump complete" line at its end: '
                             "pg_dump did not finish")
    (tmp_path / "f.txt").write_text("hello\n" * 1000)
    tarball = subprocess.run(["tar", "-czf", "-", "-C", str(tmp_path), "f.txt"], capture_output=True).stdout
    shelf.put("up-1.tar.gz", tarball, dt.timedelta(hours=2))
    item, env = on(target, shelf.glob("up-*"), format="tar")
    assert integrity(item, context=env).status is Status.PASSED
    shelf.put("up-2.tar", gzip.decompress(tarball)[:700])
    result = integrity(item, context=env)
    assert result.status is Status.FAILED and "tar" in result.reason


def test_retention_uses_the_hosts_calendar(shelf: Shelf, target: str) -> None:
    for day in range(3):
        shelf.put(f"db-{day}.gz", b"x", dt.timedelta(days=day, hours=1))
    item, env = on(target, shelf.glob("db-*"), retention={"daily": 3})
    assert retention(item, context=env).status is Status.PASSED


def test_a_restore_drill_reads_the_backup_from_the_host(shelf: Shelf, target: str, tmp_path: Path) -> None:
    rows = "".join(f"INSERT INTO t VALUES({i});\n" for i in range(3000))
    shelf.put("db-1.sql.gz", gzip.compress(f"BEGIN TRANSACTION;\nCREATE TABLE t(x);\n{rows}COMMIT;\n".encode()))
    item, env = on(target, shelf.glob("db-*"), restore={"into": f"sqlite:///{tmp_path}/r.db",
                                                        "expect_min_rows": {"t": 3000}})
    result = restore_drill(item, context=env)
    assert result.status is Status.PASSED, result.reason


def test_an_unknown_host_is_an_error(shelf: Shelf) -> None:
    shelf.put("db-1.gz", b"x")
    result = freshness(backup(shelf.glob(), host="db9"), context=context())
    assert result.status is Status.ERROR and result.reason == "there is no hosts entry named 'db9'"


def test_an_unreachable_host_is_an_error(shelf: Shelf) -> None:
    item, env = on("ssh://nobody@127.0.0.1:1?timeout=2", shelf.glob())
    result = freshness(item, context=env)
    assert result.status is Status.ERROR and result.reason.startswith("cannot reach db1: ")
