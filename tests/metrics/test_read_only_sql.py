"""SQL from the environment file runs as one statement in a read-only transaction it cannot end, proven on
the machine's PostgreSQL and MariaDB by the rows (and PostgreSQL's n_tup_ins) of a table it tries to write."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pymysql
import pytest

from opsverify.checks.compliance import access_review
from opsverify.checks.db.activity import connections, long_queries
from opsverify.checks.db.replication import lag
from opsverify.checks.metrics import value
from opsverify.context import RunContext
from opsverify.result import Result, Status
from opsverify.spec import loads
from tests.services import MARIADB, POSTGRES, need

ESCAPE = "COMMIT; BEGIN READ WRITE; INSERT INTO t VALUES (1); COMMIT; SELECT 1"  # the review's group 5 #12
SEVERAL = "SQL from the environment runs as one read-only statement, and this is several"


def checked(url: str, sql: str) -> tuple[Result, Result]:
    """The metric `SQL` (min 0) and an access review with the same SQL, on the database at `url`."""
    quoted = sql.replace("'", "''")
    env = loads(f"environment: t\ndatabases: [{{name: main, url: '{url}', timeout: 5s}}]\n"
                f"metrics: [{{name: m, database: main, sql: '{quoted}', min: 0}}]\n"
                f"compliance: {{access_review: {{database: main, sql: '{quoted}', approved: ['1']}}}}\n", environ={})
    context = RunContext(env, Path("/nonexistent"), None, dt.datetime.now(dt.timezone.utc))
    return value(env.metrics[0], context=context), access_review(env.compliance.access_review, context=context)


@pytest.fixture
def pg() -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL with an empty table t, dropped afterwards."""
    need("PostgreSQL", POSTGRES)
    name = f"opsv_ro_{uuid.uuid4().hex[:10]}"
    admin = "host=127.0.0.1 port=5432 user=postgres dbname="
    with psycopg.connect(admin + "postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(admin + name, autocommit=True) as conn:
            conn.execute("CREATE TABLE t (id int)")
        yield name
    finally:
        with psycopg.connect(admin + "postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def pg_written(name: str) -> tuple[int, int]:
    """The rows of t, and the inserts PostgreSQL's statistics counted on it (after their flush interval)."""
    time.sleep(1.5)  # a backend reports its table statistics at most once a second
    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={name}") as conn:
        rows = conn.execute("SELECT count(*) FROM t").fetchone()[0]
        conn.execute("SELECT pg_stat_clear_snapshot()")
        inserted = conn.execute("SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 't'").fetchone()[0]
    return rows, inserted


@pytest.mark.parametrize(("sql", "said"), [
    (ESCAPE, f"cannot insert multiple commands into a prepared statement; {SEVERAL}"),
    ("SELECT 1; INSERT INTO t VALUES (2)", f"cannot insert multiple commands into a prepared statement; {SEVERAL}"),
    ("WITH w AS (INSERT INTO t VALUES (3) RETURNING 1) SELECT count(*) FROM w",
     "in a read-only transaction"),
    ("SELECT set_config('transaction_read_only', 'off', false), (SELECT count(*) FROM t)",
     "transaction read-write mode must be set before any query"),
])
def test_sql_cannot_write_on_postgres(pg: str, sql: str, said: str) -> None:
    url = f"postgresql+psycopg://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{pg}"
    for result in checked(url, sql):
        assert result.status is Status.ERROR and said in result.reason, result.reason
    assert pg_written(pg) == (0, 0)


def test_one_query_still_reads_on_postgres(pg: str) -> None:
    metric, review = checked(f"postgresql+psycopg://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{pg}",
                             "SELECT count(*) + 1 FROM t;")
    assert metric.status is Status.PASSED and metric.value == 1, metric.reason
    assert review.status is Status.PASSED and review.evidence["found"] == ["1"], review.reason


@pytest.fixture
def maria() -> Iterator[str]:
    """A fresh database on the machine's MariaDB with an empty table t, dropped afterwards."""
    need("MariaDB", MARIADB)
    name = f"opsv_ro_{uuid.uuid4().hex[:10]}"
    conn = pymysql.connect(host=MARIADB[0], port=MARIADB[1], user="root", autocommit=True)
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}`")
            cursor.execute(f"CREATE TABLE `{name}`.t (id int)")
        yield name
    finally:
        with conn.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


def maria_rows(name: str) -> int:
    """The rows of t."""
    conn = pymysql.connect(host=MARIADB[0], port=MARIADB[1], user="root", database=name)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM t")
            return cursor.fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize(("query", "sql", "said"), [
    ("", "COMMIT; START TRANSACTION READ WRITE; INSERT INTO t VALUES (1); COMMIT; SELECT 1",
     "(MySQL 1064); " + SEVERAL),
    ("?client_flag=65536", "COMMIT; START TRANSACTION READ WRITE; INSERT INTO t VALUES (1); COMMIT; SELECT 1",
     "the database URL allows several statements per query (client_flag with MULTI_STATEMENTS)"),
    ("", "INSERT INTO t VALUES (3)", "Cannot execute statement in a READ ONLY transaction"),
])
def test_sql_cannot_write_on_mariadb(maria: str, query: str, sql: str, said: str) -> None:
    """Without MULTI_STATEMENTS the server reads the text as one statement; a URL asking for it is refused."""
    for result in checked(f"mysql+pymysql://root@{MARIADB[0]}:{MARIADB[1]}/{maria}{query}", sql):
        assert result.status is Status.ERROR and said in result.reason, result.reason
    assert maria_rows(maria) == 0


def test_one_query_still_reads_on_mariadb(maria: str) -> None:
    metric, _ = checked(f"mysql+pymysql://root@{MARIADB[0]}:{MARIADB[1]}/{maria}", "SELECT count(*) + 1 FROM t;")
    assert metric.status is Status.PASSED and metric.value == 1, metric.reason


def test_sqlite_runs_one_statement(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (id int)")
    metric, _ = checked(f"sqlite:///{path}", "SELECT 1; INSERT INTO t VALUES (1)")
    assert metric.status is Status.ERROR and SEVERAL in metric.reason, metric.reason
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_the_documented_postgres_role_reads_everything_and_can_write_nothing(pg: str) -> None:
    """docs/databases.md's role: pg_read_all_data and pg_monitor; a write is refused by privilege, even
    in a writable session, and the checks that read statistics work with it."""
    role = f"opsv_monitor_{uuid.uuid4().hex[:8]}"
    admin = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f"GRANT pg_read_all_data, pg_monitor TO {role}")
    try:
        url = f"postgresql+psycopg://{role}@{POSTGRES[0]}:{POSTGRES[1]}/{pg}"
        env = loads(f"environment: t\ndatabases: [{{name: main, url: '{url}', max_connections_used: 99%, "
                    "max_long_query: 1h}]\n", environ={})
        assert [r.status for r in (connections(env.databases[0]), long_queries(env.databases[0]))] == \
            [Status.PASSED, Status.PASSED]
        metric, _ = checked(url, "SELECT count(*) + 1 FROM t")
        assert metric.status is Status.PASSED, metric.reason
        with psycopg.connect(f"host=127.0.0.1 port=5432 user={role} dbname={pg}", autocommit=True) as conn:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for table t"):
                conn.execute("BEGIN READ WRITE; INSERT INTO t VALUES (1); COMMIT")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP ROLE {role}")
    assert pg_written(pg) == (0, 0)


def test_the_documented_mariadb_user_reads_everything_and_can_write_nothing(maria: str) -> None:
    """docs/databases.md's user: SELECT on the database, PROCESS, REPLICATION CLIENT and SLAVE MONITOR."""
    user = f"opsv_monitor_{uuid.uuid4().hex[:8]}"
    root = pymysql.connect(host=MARIADB[0], port=MARIADB[1], user="root", autocommit=True)
    try:
        with root.cursor() as cursor:
            for host in ("%", "localhost"):
                cursor.execute(f"CREATE USER '{user}'@'{host}'")
                cursor.execute(f"GRANT SELECT ON `{maria}`.* TO '{user}'@'{host}'")
                cursor.execute(f"GRANT PROCESS, REPLICATION CLIENT, SLAVE MONITOR ON *.* TO '{user}'@'{host}'")
        url = f"mysql+pymysql://{user}@{MARIADB[0]}:{MARIADB[1]}/{maria}"
        env = loads(f"environment: t\ndatabases: [{{name: main, url: '{url}', max_connections_used: 99%, "
                    "max_long_query: 1h, max_replication_lag: 1m}]\n", environ={})
        db = env.databases[0]
        assert [r.status for r in (connections(db), long_queries(db), lag(db))] == \
            [Status.PASSED, Status.PASSED, Status.SKIPPED], [r.reason for r in (connections(db), lag(db))]
        metric, _ = checked(url, "SELECT count(*) + 1 FROM t")
        assert metric.status is Status.PASSED, metric.reason
        conn = pymysql.connect(host=MARIADB[0], port=MARIADB[1], user=user, database=maria, autocommit=True)
        with conn, conn.cursor() as cursor, pytest.raises(pymysql.err.OperationalError, match="INSERT command denied"):
            cursor.execute("INSERT INTO t VALUES (1)")
    finally:
        with root.cursor() as cursor:
            for host in ("%", "localhost"):
                cursor.execute(f"DROP USER IF EXISTS '{user}'@'{host}'")
        root.close()
    assert maria_rows(maria) == 0
