"""MariaDB activity checks against a real throwaway server; SQLite's missing measures are skipped, never passed."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pymysql
import pytest

from opsverify.checks.db.activity import blocked, connections, long_queries
from opsverify.checks.db.maintenance import dead_tuples, statistics_age
from opsverify.checks.db.replication import lag
from opsverify.result import Status
from tests.dbstats.helpers import database, in_background
from tests.services import MARIADB, need
from tests.support.mariadb_server import MariaDbServer
from tests.support.net import LOOPBACK


def admin(server: MariaDbServer, db: str | None = None) -> pymysql.Connection:
    """An autocommit root connection."""
    return pymysql.connect(host=LOOPBACK, port=server.port, user="root", database=db, autocommit=True)


def run(conn: pymysql.Connection, sql: str) -> None:
    """Execute one statement."""
    with conn.cursor() as cursor:
        cursor.execute(sql)


def test_a_mariadb_pool_nearly_exhausted_fails(maria: MariaDbServer) -> None:
    db = database(maria.url(), max_connections_used="80%")
    with admin(maria) as root:
        run(root, "SET GLOBAL max_connections = 10")
        held = [admin(maria) for _ in range(7)]
        try:
            result = connections(db)
        finally:
            for conn in held:
                conn.close()
        assert result.status is Status.FAILED
        assert result.reason == "connections used (9 of max_connections 10) is 90%; limit 80%"
        run(root, "SET GLOBAL max_connections = 151")
    assert connections(db).status is Status.PASSED


def test_a_sleeping_mariadb_query_is_named(maria: MariaDbServer) -> None:
    db = database(maria.url(), max_long_query="1s")
    sleeper = admin(maria)
    thread_id = sleeper.thread_id()
    worker = in_background(lambda: run(sleeper, "SELECT SLEEP(30) AS nightly_report"))
    try:
        time.sleep(2.2)
        result = long_queries(db)
    finally:
        with admin(maria) as root:
            run(root, f"KILL QUERY {thread_id}")
        worker.join(10)
        sleeper.close()
    assert result.status is Status.FAILED
    assert re.fullmatch(rf'1 query running longer than 1s: "SELECT SLEEP\(30\) AS nightly_report" for [\d.]+s '
                        rf"\(pid {thread_id}, user root\)", result.reason), result.reason


def test_a_mariadb_row_lock_with_a_waiter_fails(maria: MariaDbServer) -> None:
    with admin(maria) as root:
        run(root, "CREATE DATABASE IF NOT EXISTS shop")
        run(root, "CREATE TABLE IF NOT EXISTS shop.accounts (id int PRIMARY KEY, balance int) ENGINE=InnoDB")
        run(root, "REPLACE INTO shop.accounts VALUES (1, 10)")
    db = database(maria.url("shop"), max_blocked=0)
    assert blocked(db).status is Status.PASSED
    holder, waiter = admin(maria, "shop"), admin(maria, "shop")
    run(holder, "BEGIN")
    run(holder, "SELECT * FROM accounts WHERE id = 1 FOR UPDATE")
    worker = in_background(lambda: run(waiter, "UPDATE accounts SET balance = 0 WHERE id = 1"))
    try:
        deadline = time.monotonic() + 15
        while blocked(db).value != 1:
            assert time.monotonic() < deadline, "the waiter did not block"
            time.sleep(0.1)
        result = blocked(db)
    finally:
        run(holder, "ROLLBACK")
        worker.join(10)
        holder.close()
        waiter.close()
    assert result.status is Status.FAILED
    assert re.fullmatch(rf'sessions blocked on locks is 1; limit 0: pid {waiter.thread_id()} "UPDATE accounts SET '
                        r'balance = 0 WHERE id …" waiting \d+m?s', result.reason), result.reason


def test_postgres_only_measures_are_skipped_on_mariadb() -> None:
    need("MariaDB", MARIADB)
    db = database(f"mysql+pymysql://root@{MARIADB[0]}:{MARIADB[1]}/mysql", max_dead_tuples=1, stats_max_age="1d")
    for check, what in ((dead_tuples, "dead tuples"), (statistics_age, "statistics age")):
        result = check(db)
        assert result.status is Status.SKIPPED
        assert result.reason == f"{what} cannot be measured on MySQL/MariaDB ({db.url})"


@pytest.mark.parametrize("check, what", [
    (connections, "the share of connections used"), (long_queries, "query run time"), (blocked, "lock waits"),
    (lag, "replication lag"), (dead_tuples, "dead tuples"), (statistics_age, "statistics age")])
def test_sqlite_cannot_measure_server_statistics_and_says_so(tmp_path: Path, check, what: str) -> None:
    path = tmp_path / "app.db"
    sqlite3.connect(path).close()
    db = database(f"sqlite:///{path}", max_connections_used="80%", max_long_query="5m", max_blocked=0,
                  max_replication_lag="30s", max_dead_tuples=1, stats_max_age="7d")
    result = check(db)
    assert result.status is Status.SKIPPED
    assert result.reason == f"{what} cannot be measured on SQLite (sqlite:///{path})"
