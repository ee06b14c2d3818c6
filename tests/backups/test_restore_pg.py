"""Restore drills into the machine's PostgreSQL with real pg_dump archives: pass, every failure, every exit path."""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from opsverify.checks.backup.restore import restore_drill
from opsverify.result import Result, Status
from tests.backups.conftest import PG_URL, Shelf, Source, backup, context, throwaways
from tests.support.net import free_port

INTO = f"{PG_URL}/postgres"


def drill(shelf: Shelf, source: Source, name: str, data: bytes, item: str, **restore: Any) -> Result:
    """The drill of a set whose newest file is `data`, compared with the live source database."""
    shelf.put(name, data)
    plan = {"into": INTO, "source": "live", **restore}
    env = context(databases=[{"name": "live", "url": source.url, "timeout": "5s"}])
    return restore_drill(backup(shelf.glob(), name=item, max_age="26h", restore=plan), context=env)


def left(item: str, pid: int | None = None) -> list[str]:
    """Throwaway databases of this item (made by process `pid`, default this one) still on the server."""
    slug = item.replace("-", "_")
    return [name for name in throwaways("pg", pid) if f"_{slug}_" in name]


def test_a_custom_dump_restores_and_matches_the_source(shelf: Shelf, pg_source: Source) -> None:
    result = drill(shelf, pg_source, "db-1.dump", pg_source.dump("-Fc").read_bytes(), "pg-ok",
                   max_duration="2m", expect_min_rows={"users": 10, "orders": 100}, max_row_drift="1%",
                   freshness_column="orders.created_at")
    assert result.status is Status.PASSED, result.reason
    assert result.reason.startswith("db-1.dump restored into a throwaway postgresql database with pg_restore in ")
    assert "users has 20 rows (at least 10); orders has 500 rows (at least 100); row drift against live " \
           "(largest: " in result.reason
    assert re.search(r"lag of the newest orders.created_at behind the backup is 6\dm; limit 26h$", result.reason)
    steps = [step["step"] for step in result.evidence["steps"]]
    assert steps[0].startswith("create postgresql database opsv_restore_pg_ok_") and steps[1] == "restore"
    assert steps[2:5] == ["count rows", "count rows in source live", "newest orders.created_at"]
    assert steps[5].startswith("drop opsv_restore_pg_ok_")
    assert result.evidence["restored_rows"] == {"users": 20, "orders": 500}
    assert left("pg-ok") == []


def test_a_gzipped_plain_dump_restores_through_psql(shelf: Shelf, pg_source: Source) -> None:
    data = gzip.compress(pg_source.dump("--no-owner").read_bytes())
    result = drill(shelf, pg_source, "db-1.sql.gz", data, "pg-plain", expect_min_rows={"orders": 500})
    assert result.status is Status.PASSED, result.reason
    assert "with psql in" in result.reason and result.evidence["content"] == "gzip+pg_dump"


def test_a_restore_with_an_empty_table_fails_expect_min_rows(shelf: Shelf, pg_source: Source) -> None:
    data = pg_source.dump("-Fc", "--exclude-table-data=orders").read_bytes()
    result = drill(shelf, pg_source, "db-1.dump", data, "pg-empty", expect_min_rows={"orders": 100})
    assert result.status is Status.FAILED
    assert result.reason.startswith("restore drill of db-1.dump: orders has 0 rows after the restore; "
                                    "expected at least 100")
    assert left("pg-empty") == []


def test_a_dump_missing_a_table_fails_against_the_source(shelf: Shelf, pg_source: Source) -> None:
    data = pg_source.dump("-Fc", "--exclude-table=orders").read_bytes()
    result = drill(shelf, pg_source, "db-1.dump", data, "pg-missing", max_row_drift="1%")
    assert result.status is Status.FAILED
    assert result.reason == "restore drill of db-1.dump: the restore lacks 1 table(s) that live has: orders"


def test_row_drift_beyond_the_limit_fails(shelf: Shelf, pg_source: Source) -> None:
    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={pg_source.name}", autocommit=True) as conn:
        data = pg_source.dump("-Fc").read_bytes()
        conn.execute("INSERT INTO users SELECT g, 'new' || g FROM generate_series(100, 109) g")
        try:
            result = drill(shelf, pg_source, "db-1.dump", data, "pg-drift", max_row_drift="10%")
        finally:
            conn.execute("DELETE FROM users WHERE id >= 100")
    assert result.status is Status.FAILED
    assert result.reason == ("restore drill of db-1.dump: row drift against live (largest: users, 20 restored, "
                             "30 in live) is 33.33%; limit 10%")


def test_an_old_newest_row_fails_the_freshness_column(shelf: Shelf, pg_source: Source) -> None:
    result = drill(shelf, pg_source, "db-1.dump", pg_source.dump("-Fc").read_bytes(), "pg-stale",
                   freshness_column="orders.created_at")
    assert result.status is Status.PASSED
    shelf.put("db-2.dump", pg_source.dump("-Fc").read_bytes())
    env = context(databases=[{"name": "live", "url": pg_source.url}])
    item = backup(shelf.glob(), name="pg-stale", max_age="30m",
                  restore={"into": INTO, "freshness_column": "orders.created_at"})
    result = restore_drill(item, context=env)
    assert result.status is Status.FAILED
    assert re.fullmatch(r"restore drill of db-2\.dump: lag of the newest orders\.created_at behind the backup "
                        r"is 6\dm; limit 30m", result.reason)


def test_a_truncated_custom_dump_fails_in_pg_restore(shelf: Shelf, pg_source: Source) -> None:
    data = pg_source.dump("-Fc").read_bytes()
    result = drill(shelf, pg_source, "db-1.dump", data[:int(len(data) * 0.6)], "pg-cut")
    assert result.status is Status.FAILED
    assert result.reason.startswith("restore drill of db-1.dump: the restore failed: pg_restore failed: ")
    assert left("pg-cut") == []


def test_a_dump_that_would_leave_the_throwaway_database_is_refused(shelf: Shelf, pg_source: Source) -> None:
    text = pg_source.dump("--create").read_bytes()
    result = drill(shelf, pg_source, "db-1.sql", text, "pg-create")
    assert result.status is Status.FAILED
    line = text[:text.index(b"CREATE DATABASE")].count(b"\n") + 1
    assert result.reason == (f"restore drill of db-1.sql: line {line} of db-1.sql: CREATE DATABASE is refused (a backup "
                             "for a drill must be of one database: dump it without --create)")
    assert left("pg-create") == []


def test_an_unreachable_scratch_server_is_an_error(shelf: Shelf, pg_source: Source) -> None:
    port = free_port()
    result = drill(shelf, pg_source, "db-1.dump", pg_source.dump("-Fc").read_bytes(), "pg-down",
                   into=f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres")
    assert result.status is Status.ERROR
    assert result.reason == f"restore drill of db-1.dump: connection refused on 127.0.0.1:{port}"
    assert [step["step"].split(" opsv_")[0] for step in result.evidence["steps"]] == [
        "create postgresql database", "drop"]


def sleepy(source: Source, seconds: int) -> bytes:
    """A plain dump that sleeps in the middle of its restore."""
    text = source.dump("--no-owner").read_bytes()
    split = text.index(b"COPY public.orders")
    return text[:split] + f"SELECT pg_sleep({seconds});\n".encode() + text[split:]


def test_a_drill_slower_than_its_rto_is_stopped_fails_and_drops(shelf: Shelf, pg_source: Source) -> None:
    started = time.monotonic()
    result = drill(shelf, pg_source, "db-1.sql", sleepy(pg_source, 60), "pg-slow", max_duration="2s")
    assert time.monotonic() - started < 15
    assert result.status is Status.FAILED
    assert result.reason == ("restore drill of db-1.sql: still restoring with psql after 2s: the drill was "
                             "stopped; limit 2s")
    assert left("pg-slow") == []


def test_the_source_is_only_read(shelf: Shelf, pg_source: Source) -> None:
    query = "SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_user_tables"
    dsn = f"host=127.0.0.1 user=postgres dbname={pg_source.name}"
    with psycopg.connect(dsn) as conn:
        before = conn.execute(query).fetchone()
    result = drill(shelf, pg_source, "db-1.dump", pg_source.dump("-Fc").read_bytes(), "pg-readonly",
                   max_row_drift="0%")
    assert result.status is Status.PASSED, result.reason
    time.sleep(0.6)  # statistics reach the view within PGSTAT_MIN_INTERVAL
    with psycopg.connect(dsn) as conn:
        assert conn.execute(query).fetchone() == before


RUNNER = textwrap.dedent("""
    import os, sys
    from opsverify.checks.backup.restore import restore_drill
    from tests.backups.conftest import backup, context
    env = context(databases=[{"name": "live", "url": sys.argv[3]}])
    item = backup(sys.argv[1], name=sys.argv[2], restore={"into": sys.argv[4], "max_duration": "5m"})
    print("starting", flush=True)
    restore_drill(item, context=env)
""")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=["kill", "term", "ctrl-c"])
def test_a_drill_killed_midway_leaves_no_database(shelf: Shelf, pg_source: Source, tmp_path: Path,
                                                  sig: signal.Signals) -> None:
    item = f"pg-killed-{sig.name.lower()}"
    shelf.put("db-1.sql", sleepy(pg_source, 120))
    process = subprocess.Popen([sys.executable, "-c", RUNNER, shelf.glob(), item, pg_source.url, INTO],
                               cwd=Path(__file__).parents[2], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not left(item, process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert left(item, process.pid), process.stderr.read1().decode() if process.poll() is not None else "no database"
        folder = next(path.parent for path in Path(tempfile.gettempdir()).glob("opsverify-drill-*/owner.json")
                      if json.loads(path.read_text())["pids"][0][0] == process.pid)
        time.sleep(0.5)  # psql is running the restore now
        os.kill(process.pid, sig)
        process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while left(item, process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert left(item, process.pid) == []
        assert not folder.exists()  # its private folder too
    finally:
        if process.poll() is None:
            process.kill()
    if sig is signal.SIGINT:
        assert b"KeyboardInterrupt" in process.stderr.read()


POOLED = textwrap.dedent("""
    import sys, time
    from concurrent.futures import ThreadPoolExecutor
    from opsverify.checks.backup.restore import restore_drill
    from tests.backups.conftest import backup, context
    item = backup(sys.argv[1], name=sys.argv[2], restore={"into": sys.argv[4], "max_duration": "5m"})
    pool = ThreadPoolExecutor(2)  # as the plugin's probe pool runs checks
    future = pool.submit(restore_drill, item, context=context())
    print("starting", flush=True)
    time.sleep(600)  # the main thread waits, like pytest does, until Ctrl-C
""")


def test_ctrl_c_stops_a_drill_running_on_the_probe_pool(shelf: Shelf, pg_source: Source) -> None:
    shelf.put("db-1.sql", sleepy(pg_source, 120))
    process = subprocess.Popen([sys.executable, "-c", POOLED, shelf.glob(), "pg-pooled", pg_source.url, INTO],
                               cwd=Path(__file__).parents[2], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not left("pg-pooled", process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert left("pg-pooled", process.pid)
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)  # not the 120 s the restore would take: the drill stopped at shutdown
        assert left("pg-pooled", process.pid) == []
    finally:
        if process.poll() is None:
            process.kill()
