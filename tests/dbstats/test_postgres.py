"""PostgreSQL activity and maintenance checks against a real throwaway cluster, one fault at a time."""

from __future__ import annotations

import re
import time


from opsverify.checks.db.activity import blocked, connections, long_queries
from opsverify.checks.db.maintenance import dead_tuples, statistics_age
from opsverify.result import Status
from tests.dbstats.conftest import MAX_CONNECTIONS
from tests.dbstats.helpers import database, in_background, pg_admin
from tests.services import POSTGRES, need
from tests.support.pg_cluster import PgCluster


def wait_for(condition, what: str, timeout: float = 15.0) -> None:
    """Poll until condition() is true."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_pool_nearly_exhausted_fails_with_the_counts(pg: PgCluster) -> None:
    db = database(pg.url(), max_connections_used="80%", warn_max_connections_used="50%")
    healthy = connections(db)
    assert healthy.status is Status.PASSED, healthy.reason
    held = [pg_admin(pg.port) for _ in range(MAX_CONNECTIONS - 2)]
    try:
        full = connections(db)
    finally:
        for conn in held:
            conn.close()
    assert full.status is Status.FAILED
    assert full.reason == f"connections used (11 of max_connections {MAX_CONNECTIONS}) is 91.7%; limit 80%"
    assert full.evidence == {"connections": 11, "max_connections": MAX_CONNECTIONS, "reserved": 3}


def test_a_sleeping_query_past_its_limit_is_named_with_its_age(pg: PgCluster) -> None:
    db = database(pg.url(), max_long_query="1s")
    assert long_queries(db).status is Status.PASSED
    sleeper = pg_admin(pg.port)
    pid = sleeper.info.backend_pid
    thread = in_background(lambda: sleeper.execute("SELECT pg_sleep(30) /* nightly report */"))
    try:
        time.sleep(1.6)
        result = long_queries(db)
    finally:
        with pg_admin(pg.port) as admin:
            admin.execute("SELECT pg_cancel_backend(%s)", (pid,))
        thread.join(10)
        sleeper.close()
    assert result.status is Status.FAILED
    assert re.fullmatch(rf'1 query running longer than 1s: "SELECT pg_sleep\(30\) /\* nightly report \*/" '
                        rf"for [\d.]+s \(pid {pid}, user postgres\)", result.reason), result.reason
    assert result.value > 1.0


def test_literals_in_a_long_query_are_masked(pg: PgCluster) -> None:
    sleeper = pg_admin(pg.port)
    pid = sleeper.info.backend_pid
    thread = in_background(lambda: sleeper.execute(
        "SELECT pg_sleep(30), 'alice@example.com' AS who, 'it''s' AS quote"))
    try:
        time.sleep(1.3)
        result = long_queries(database(pg.url(), max_long_query="1s"))
    finally:
        with pg_admin(pg.port) as admin:
            admin.execute("SELECT pg_cancel_backend(%s)", (pid,))
        thread.join(10)
        sleeper.close()
    assert "alice@example.com" not in repr(result)
    assert "\"SELECT pg_sleep(30), '…' AS who, '…' AS quote\"" in result.reason, result.reason


def test_a_held_lock_with_a_waiter_fails_naming_both(pg: PgCluster, dbname: str) -> None:
    db = database(pg.url(dbname), max_blocked=0)
    with pg_admin(pg.port, dbname) as admin:
        admin.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int); INSERT INTO accounts VALUES (1, 10)")
    assert blocked(db).status is Status.PASSED
    holder, waiter = pg_admin(pg.port, dbname), pg_admin(pg.port, dbname)
    holder_pid, waiter_pid = holder.info.backend_pid, waiter.info.backend_pid
    holder.execute("BEGIN")
    holder.execute("UPDATE accounts SET balance = balance + 1 WHERE id = 1")
    thread = in_background(lambda: waiter.execute("UPDATE accounts SET balance = 0 WHERE id = 1"))
    try:
        wait_for(lambda: blocked(db).value == 1, "the waiter to block")
        result = blocked(db)
    finally:
        holder.execute("ROLLBACK")
        thread.join(10)
        holder.close()
        waiter.close()
    assert result.status is Status.FAILED
    expected = (rf'sessions blocked on locks is 1; limit 0: pid {waiter_pid} "UPDATE accounts SET balance = 0 '
                rf'WHERE id …" waiting [\d.]+m?s for pid {holder_pid}')
    assert re.fullmatch(expected, result.reason), result.reason


def test_dead_tuples_past_their_limit_fail_until_vacuumed(pg: PgCluster, dbname: str) -> None:
    db = database(pg.url(dbname), max_dead_tuples=10000, warn_max_dead_tuples=1000)
    with pg_admin(pg.port, dbname) as admin:
        admin.execute("CREATE TABLE bloat (id int, note text)")
        admin.execute("INSERT INTO bloat SELECT g, 'x' FROM generate_series(1, 20000) g")
        admin.execute("DELETE FROM bloat WHERE id <= 15000")
    wait_for(lambda: dead_tuples(db).value == 15000, "the statistics to show the deleted rows")
    result = dead_tuples(db)
    assert result.status is Status.FAILED
    assert result.reason == "dead tuples in public.bloat (the most of any table; 5000 live) is 15000; " \
                            "limit 10000"
    with pg_admin(pg.port, dbname) as admin:
        admin.execute("VACUUM bloat")
    wait_for(lambda: dead_tuples(db).value == 0, "the vacuum to show")
    assert dead_tuples(db).status is Status.PASSED


def test_tables_never_analyzed_fail_until_analyzed(pg: PgCluster, dbname: str) -> None:
    db = database(pg.url(dbname), stats_max_age="7d")
    with pg_admin(pg.port, dbname) as admin:
        admin.execute("CREATE TABLE orders (id int); INSERT INTO orders SELECT generate_series(1, 500)")
        admin.execute("CREATE TABLE empty_lookup (id int)")
    wait_for(lambda: statistics_age(db).status is Status.FAILED, "the inserts to show")
    result = statistics_age(db)
    assert result.reason == "1 table with statistics older than 7d: public.orders never analyzed (500 rows changed)"
    with pg_admin(pg.port, dbname) as admin:
        admin.execute("ANALYZE orders")
    wait_for(lambda: statistics_age(db).status is Status.PASSED, "the analyze to show")
    assert statistics_age(db).reason == "all 2 tables analyzed within 7d or unchanged since"


def test_statistics_older_than_the_limit_with_changes_since_fail(pg: PgCluster, dbname: str) -> None:
    db = database(pg.url(dbname), stats_max_age="1s")
    with pg_admin(pg.port, dbname) as admin:
        admin.execute("CREATE TABLE quotes (id int); INSERT INTO quotes SELECT generate_series(1, 50)")
        admin.execute("ANALYZE quotes")
        time.sleep(1.2)
        admin.execute("INSERT INTO quotes SELECT generate_series(51, 60)")
    wait_for(lambda: statistics_age(db).status is Status.FAILED, "the change to show")
    assert re.fullmatch(r"1 table with statistics older than 1s: public.quotes analyzed [\d.]+s ago "
                        r"\(\d+ rows changed since\)", statistics_age(db).reason)


def test_the_machines_postgres_passes_generous_limits() -> None:
    need("PostgreSQL", POSTGRES)
    db = database(f"postgresql+psycopg://postgres@{POSTGRES[0]}:{POSTGRES[1]}/postgres",
                  max_connections_used="100%", max_long_query="1d", max_blocked=1000)
    for check in (connections, long_queries, blocked):
        result = check(db)
        assert result.status is Status.PASSED, result.reason

