"""Restore drills into the machine's MariaDB with real mariadb-dump output."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from opsverify.result import Result, Status
from opsverify.checks.backup.restore import restore_drill
from tests.backups.conftest import MARIA_URL, Shelf, Source, backup, context, throwaways
from tests.backups.test_restore_pg import RUNNER

INTO = f"{MARIA_URL}/mysql"


def drill(shelf: Shelf, source: Source, data: bytes, item: str, **restore: Any) -> Result:
    """The drill of a set whose newest file is `data`, compared with the live source database."""
    shelf.put("db-1.sql.gz", gzip.compress(data))
    env = context(databases=[{"name": "live", "url": source.url, "timeout": "5s"}])
    return restore_drill(backup(shelf.glob(), name=item, restore={"into": INTO, "source": "live", **restore}),
                         context=env)


def left(item: str, pid: int | None = None) -> list[str]:
    """Throwaway databases of this item (made by process `pid`, default this one) still on the server."""
    return [name for name in throwaways("maria", pid) if f"_{item.replace('-', '_')}_" in name]


def test_a_mariadb_dump_restores_and_matches_the_source(shelf: Shelf, maria_source: Source) -> None:
    result = drill(shelf, maria_source, maria_source.dump().read_bytes(), "maria-ok", max_row_drift="0%",
                   expect_min_rows={"orders": 500}, freshness_column="orders.created_at")
    assert result.status is Status.PASSED, result.reason
    assert result.reason.startswith("db-1.sql.gz restored into a throwaway mysql database with ")
    assert "orders has 500 rows (at least 500); row drift against live (largest: " in result.reason
    assert "is 0%; limit 0%" in result.reason
    assert result.evidence["restored_rows"] == {"orders": 500, "users": 20}
    assert left("maria-ok") == []


def test_an_empty_table_fails(shelf: Shelf, maria_source: Source) -> None:
    data = maria_source.dump("--ignore-table-data", f"{maria_source.name}.orders").read_bytes()
    result = drill(shelf, maria_source, data, "maria-empty", expect_min_rows={"orders": 1})
    assert result.status is Status.FAILED
    assert result.reason == "restore drill of db-1.sql.gz: orders has 0 rows after the restore; expected at least 1"


def test_a_dump_of_named_databases_is_refused(shelf: Shelf, maria_source: Source) -> None:
    data = maria_source.dump("--databases").read_bytes()  # CREATE DATABASE + USE: it would write elsewhere
    result = drill(shelf, maria_source, data, "maria-use")
    assert result.status is Status.FAILED
    line = data[:data.index(b"CREATE DATABASE")].count(b"\n") + 1
    assert result.reason == (f"restore drill of db-1.sql.gz: line {line} of db-1.sql.gz: CREATE DATABASE is refused (a "
                             "backup for a drill must be of one database: dump it without --databases or "
                             "--all-databases)")
    assert left("maria-use") == []


def test_a_broken_statement_fails_with_the_clients_error(shelf: Shelf, maria_source: Source) -> None:
    data = maria_source.dump().read_bytes().replace(b"INSERT INTO `orders`", b"INSERT INTO `ordres`", 1)
    result = drill(shelf, maria_source, data, "maria-broken")
    assert result.status is Status.FAILED
    assert result.reason.startswith("restore drill of db-1.sql.gz: the restore failed: ")
    assert "ordres" in result.reason and left("maria-broken") == []


def test_a_drill_killed_midway_leaves_no_database(shelf: Shelf, maria_source: Source) -> None:
    text = maria_source.dump().read_bytes()
    split = text.index(b"INSERT INTO `orders`")
    shelf.put("db-1.sql", text[:split] + b"SELECT SLEEP(120);\n" + text[split:])
    process = subprocess.Popen([sys.executable, "-c", RUNNER, shelf.glob(), "maria-killed", maria_source.url, INTO],
                               cwd=Path(__file__).parents[2], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not left("maria-killed", process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert left("maria-killed", process.pid)
        time.sleep(0.5)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while left("maria-killed", process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert left("maria-killed", process.pid) == []
    finally:
        if process.poll() is None:
            process.kill()
