"""Live activity: the share of connections used, queries running too long, sessions blocked on locks."""

from __future__ import annotations

from dataclasses import replace

from opsverify.checks import plural, show_seconds
from opsverify.checks.database import connection, database_check
from opsverify.checks.db import dialect_rows, family, first_words, not_measured, rows
from opsverify.checks.host import percent
from opsverify.result import Result, grade, passed, skipped
from opsverify.spec.models.health import Database

SHOWN = 3  # queries or sessions named in a reason

_PG_CONNECTIONS = """
SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),
       current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int"""
_PG_ACTIVE = """
SELECT pid, usename, EXTRACT(EPOCH FROM clock_timestamp() - query_start)::float8 AS age, query
FROM pg_stat_activity
WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()
ORDER BY age DESC LIMIT 20"""
_MY_ACTIVE = """
SELECT ID, USER, TIME, INFO FROM information_schema.PROCESSLIST
WHERE COMMAND NOT IN ('Sleep', 'Daemon', 'Binlog Dump', 'Binlog Dump GTID', 'Connect', 'Slave_IO', 'Slave_SQL',
                      'Slave_worker') AND ID <> CONNECTION_ID() AND INFO IS NOT NULL
ORDER BY TIME DESC LIMIT 20"""
_PG_BLOCKED = """
SELECT pid, EXTRACT(EPOCH FROM clock_timestamp() - COALESCE(state_change, query_start))::float8, query,
       pg_blocking_pids(pid)
FROM pg_stat_activity WHERE cardinality(pg_blocking_pids(pid)) > 0 ORDER BY 2 DESC"""
_MY_BLOCKED = """
SELECT trx_mysql_thread_id, TIMESTAMPDIFF(SECOND, trx_wait_started, NOW()), trx_query, NULL
FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'
UNION
SELECT ID, TIME, INFO, NULL FROM information_schema.PROCESSLIST WHERE STATE LIKE 'Waiting for%lock'
ORDER BY 2 DESC"""


@database_check
def connections(db: Database) -> Result:
    """Client connections in use as a share of max_connections, against max_connections_used."""
    with connection(db) as conn:
        kind = family(conn)
        if kind == "postgresql":
            used, limit, reserved = (int(v) for v in rows(conn, _PG_CONNECTIONS)[0])
        elif kind == "mysql":
            used = int(rows(conn, "SHOW GLOBAL STATUS LIKE 'Threads_connected'")[0][1])
            limit, reserved = int(rows(conn, "SELECT @@max_connections")[0][0]), 1  # one more for SUPER
        else:
            return not_measured(db, "the share of connections used", kind)
    return grade(f"connections used ({used} of max_connections {limit})", used / limit,
                 db.max_connections_used, db.warn_max_connections_used, show=percent, unit="ratio",
                 evidence={"connections": used, "max_connections": limit, "reserved": reserved})


@database_check
def long_queries(db: Database) -> Result:
    """No query has been running longer than max_long_query; the oldest ones are named."""
    if db.max_long_query is None:
        return skipped("no max_long_query set")
    found = dialect_rows(db, {"postgresql": _PG_ACTIVE, "mysql": _MY_ACTIVE}, "query run time")
    if isinstance(found, Result):
        return found
    active = [(pid, user, float(age or 0), query) for pid, user, age, query in found]
    if not active:
        return passed(f"no query running on {db.url} (limit {db.max_long_query})", value=0.0, unit="s",
                      limit=str(db.max_long_query))
    over = [a for a in active if a[2] > db.max_long_query]
    named = "; ".join(f'"{first_words(q)}" for {show_seconds(age)} (pid {pid}, user {user})'
                      for pid, user, age, q in over[:SHOWN])
    evidence = {"running": [{"pid": pid, "user": user, "seconds": round(age, 1), "query": first_words(q)}
                            for pid, user, age, q in active]}
    result = grade("longest running query", active[0][2], db.max_long_query, show=show_seconds, unit="s",
                   evidence=evidence)
    if over:
        more = f" and {len(over) - SHOWN} more" if len(over) > SHOWN else ""
        return replace(result, reason=f"{plural(len(over), 'query')} running longer than {db.max_long_query}: "
                                      f"{named}{more}")
    return result


@database_check
def blocked(db: Database) -> Result:
    """Sessions waiting on a lock held by another, against max_blocked; the waiters are named."""
    if db.max_blocked is None:
        return skipped("no max_blocked set")
    waiting = dialect_rows(db, {"postgresql": _PG_BLOCKED, "mysql": _MY_BLOCKED}, "lock waits")
    if isinstance(waiting, Result):
        return waiting
    named = "; ".join(f'pid {pid} "{first_words(q)}" waiting {show_seconds(float(age or 0))}'
                      + (f" for pid {', '.join(map(str, by))}" if by else "")
                      for pid, age, q, by in waiting[:SHOWN])
    evidence = {"blocked": [{"pid": pid, "seconds": float(age or 0), "query": first_words(q),
                             "blocked_by": list(by or [])} for pid, age, q, by in waiting]}
    result = grade("sessions blocked on locks", len(waiting), db.max_blocked, show=lambda v: f"{v:g}",
                   unit="sessions", evidence=evidence)
    return replace(result, reason=f"{result.reason}: {named}") if waiting else result
