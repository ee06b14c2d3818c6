"""Database checks against real PostgreSQL, MariaDB and SQLite: connect, latency, tables, read-only."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest
import sqlalchemy.exc

from opsverify.checks.database import connect, connection, tables
from opsverify.result import Status
from opsverify.spec.models.health import Database
from tests.services import MARIADB, POSTGRES, need
from tests.support.items import item
from tests.support.mariadb_server import MariaDbServer
from tests.support.net import LOOPBACK, free_port
from tests.support.pg_cluster import PgCluster


def database(url: str, **fields: Any) -> Database:
    """A Database item for url."""
    return item(Database, url=url, **fields)


def test_a_throwaway_postgres_passes_then_errors_once_stopped(pg_cluster: PgCluster) -> None:
    db = database(pg_cluster.url())
    result = connect(db)
    assert result.status is Status.PASSED, result.reason
    pattern = rf"connected to {re.escape(str(db.url))} in [\d.]+ms \| SELECT 1 round trip is [\d.]+ms"
    assert re.fullmatch(pattern, result.reason), result.reason
    assert result.evidence["dialect"] == "postgresql+psycopg"
    assert re.fullmatch(r"\d+\.\d+", result.evidence["server_version"])
    pg_cluster.stop()
    try:
        stopped = connect(db)
    finally:
        pg_cluster.start()
    assert stopped.status is Status.ERROR
    assert stopped.reason == f"connection refused on {LOOPBACK}:{pg_cluster.port}"


def test_postgres_sessions_are_read_only(pg_cluster: PgCluster) -> None:
    with connection(database(pg_cluster.url())) as conn:
        with pytest.raises(sqlalchemy.exc.DBAPIError, match="read-only transaction"):
            conn.exec_driver_sql("CREATE TABLE written_by_a_check (id int)")


def test_the_latency_limit_fails_and_its_warning_level_warns(pg_cluster: PgCluster) -> None:
    slow = connect(database(pg_cluster.url(), max_latency="0.001ms"))
    assert slow.status is Status.FAILED
    assert re.fullmatch(r"SELECT 1 round trip is [\d.]+ms; limit 0.001ms", slow.reason), slow.reason
    warned = connect(database(pg_cluster.url(), max_latency="1s", warn_max_latency="0.001ms"))
    assert warned.status is Status.WARNING
    assert re.search(r"SELECT 1 round trip is [\d.]+ms; warning level 0.001ms$", warned.reason), warned.reason


def test_missing_tables_are_named_with_the_masked_url(pg_cluster: PgCluster) -> None:
    with psycopg.connect(host=LOOPBACK, port=pg_cluster.port, user="postgres", dbname="postgres",
                         autocommit=True) as admin:
        admin.execute("CREATE SCHEMA IF NOT EXISTS shop; CREATE TABLE IF NOT EXISTS shop.orders (id int)")
    url = f"postgresql+psycopg://postgres:pg-s3cret-pw@{LOOPBACK}:{pg_cluster.port}/postgres"
    result = tables(database(url, expect_tables=["shop.orders", "shop.quotes", "shop.invoices"]))
    assert result.status is Status.FAILED
    assert result.reason == (f"missing tables shop.quotes, shop.invoices in "
                             f"postgresql+psycopg://postgres:***@{LOOPBACK}:{pg_cluster.port}/postgres")
    assert "pg-s3cret-pw" not in repr(result)
    assert tables(database(url, expect_tables=["shop.orders", "pg_catalog.pg_class"])).status is Status.PASSED


def test_a_missing_database_is_an_error_in_the_servers_words(pg_cluster: PgCluster) -> None:
    result = connect(database(pg_cluster.url("no_such_db")))
    assert result.status is Status.ERROR
    assert result.reason.endswith('FATAL: database "no_such_db" does not exist')


def test_a_hanging_postgres_is_an_error_after_the_drivers_minimum_wait(hanging_port: int) -> None:
    start = time.monotonic()
    result = connect(database(f"postgresql+psycopg://u:pw-x1@{LOOPBACK}:{hanging_port}/app", timeout="1s"))
    assert time.monotonic() - start < 3
    assert (result.status, result.reason) == (Status.ERROR, "no answer within 2s")


def test_the_shared_postgres_and_mariadb_pass() -> None:
    need("PostgreSQL", POSTGRES)
    need("MariaDB", MARIADB)
    for url in (f"postgresql+psycopg://postgres@{LOOPBACK}:5432/test", f"mysql://root@{LOOPBACK}:3306/test"):
        result = connect(database(url, max_latency="1s"))
        assert result.status is Status.PASSED, result.reason


def test_a_throwaway_mariadb_is_read_only_then_errors_once_stopped(mariadb_server: MariaDbServer) -> None:
    admin = pymysql.connect(host=LOOPBACK, port=mariadb_server.port, user="root", autocommit=True)
    with admin, admin.cursor() as cursor:
        cursor.execute("CREATE DATABASE shop")
        cursor.execute("CREATE TABLE shop.orders (id int)")
    db = database(mariadb_server.url("shop"), expect_tables=["orders", "quotes"])
    assert connect(db).status is Status.PASSED
    assert tables(db).reason == f"missing table quotes in {db.url}"
    with connection(db) as conn:
        with pytest.raises(sqlalchemy.exc.DBAPIError, match="READ ONLY"):
            conn.exec_driver_sql("INSERT INTO orders VALUES (1)")
    mariadb_server.stop()
    stopped = connect(db)
    assert stopped.status is Status.ERROR
    assert stopped.reason == f"connection refused on {LOOPBACK}:{mariadb_server.port}"


def test_a_closed_mysql_port_is_an_error_without_the_password() -> None:
    port = free_port()
    result = connect(database(f"mysql+pymysql://app:my-s3cret-pw@{LOOPBACK}:{port}/shop"))
    assert (result.status, result.reason) == (Status.ERROR, f"connection refused on {LOOPBACK}:{port}")
    assert "my-s3cret-pw" not in repr(result)


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    """A SQLite database with the tables users and orders."""
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.executescript("CREATE TABLE users (id int); CREATE TABLE orders (id int);")
    conn.close()
    return path


def test_sqlite_connects_and_names_a_missing_table(sqlite_file: Path) -> None:
    db = database(f"sqlite:///{sqlite_file}", expect_tables=["users", "orders", "quotes"])
    assert connect(db).status is Status.PASSED
    assert connect(db).evidence["dialect"] == "sqlite+pysqlite"
    result = tables(db)
    assert result.status is Status.FAILED
    assert result.reason == f"missing table quotes in sqlite:///{sqlite_file}"
    assert result.evidence["missing"] == ["quotes"]
    complete = tables(database(f"sqlite:///{sqlite_file}", expect_tables=["users", "orders"]))
    assert complete.status is Status.PASSED


def test_sqlite_is_opened_read_only(sqlite_file: Path) -> None:
    with connection(database(f"sqlite:///{sqlite_file}")) as conn:
        with pytest.raises(sqlalchemy.exc.OperationalError, match="readonly database"):
            conn.exec_driver_sql("INSERT INTO users VALUES (1)")


def test_a_missing_sqlite_file_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "gone.db"
    result = connect(database(f"sqlite:///{missing}"))
    assert (result.status, result.reason) == (Status.ERROR, f"SQLite file {missing} does not exist")
    assert not missing.exists()


def test_tables_without_expect_tables_is_skipped(sqlite_file: Path) -> None:
    result = tables(database(f"sqlite:///{sqlite_file}"))
    assert (result.status, result.reason) == (Status.SKIPPED, "no expect_tables set")
