"""Replication lag: on a replica its own delay, on a PostgreSQL primary its replicas'; unmeasurable is an error,
and a server no longer replicating as its item expects (`replication: replica | primary`) fails."""

from __future__ import annotations

from typing import Any

from opsverify.checks import CheckError, combine, plural, show_seconds
from opsverify.checks.database import connection, database_check
from opsverify.checks.db import family, not_measured, rows
from opsverify.result import Result, failed, grade, passed, skipped
from opsverify.spec.models.health import Database

_PG_REPLICA = """
SELECT pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn(),
       EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8,
       (SELECT status FROM pg_stat_wal_receiver), pg_is_wal_replay_paused()"""
_PG_REPLICAS = """
SELECT application_name, coalesce(host(client_addr), 'local'), state,
       CASE WHEN replay_lsn = pg_current_wal_lsn() THEN 0 ELSE EXTRACT(EPOCH FROM replay_lag)::float8 END
FROM pg_stat_replication"""


@database_check
def lag(db: Database) -> Result:
    """How far a replica is behind its primary (or a primary's replicas), against max_replication_lag; with
    `replication: replica` or `primary`, a server that no longer replicates that way fails."""
    if db.max_replication_lag is None and db.warn_max_replication_lag is None and db.replication is None:
        return skipped("no max_replication_lag or replication set")
    with connection(db) as conn:
        kind = family(conn)
        if kind == "postgresql":
            return _postgres(db, conn)
        if kind == "mysql":
            return _mysql(db, conn)
        return not_measured(db, "replication lag", kind)


def _postgres(db: Database, conn: Any) -> Result:
    """A standby's own lag, or the lag of a primary's replicas; the expected role checked first."""
    if rows(conn, "SELECT pg_is_in_recovery()")[0][0]:
        if db.replication == "primary":
            return failed(f"{db.url} is a standby (in recovery), not a primary as replication: primary expects")
        return _graded(db, _pg_replica(rows(conn, _PG_REPLICA)[0]))
    if db.replication == "replica":
        return failed(f"{db.url} is not a replica: it is not in recovery (promoted, or never set up as a standby); "
                      "replication: replica expects it to stream from its primary")
    replicas = rows(conn, _PG_REPLICAS)
    if not replicas:
        if db.replication == "primary":
            return failed(f"no replica is connected to {db.url} (pg_stat_replication is empty); replication: primary "
                          "expects at least one")
        return skipped(f"{db.url} is not a replica and no replica is connected to it")
    return combine([_graded(db, _pg_replica_of_primary(r)) for r in replicas])


def _mysql(db: Database, conn: Any) -> Result:
    """Each replication channel's lag; a primary's replicas are only counted (it does not know their lag)."""
    status = _my_status(conn)
    results = [_graded(db, _my_replica(s)) for s in status]
    if db.replication == "replica" and not status:
        return failed(f"{db.url} is not a replica: it has no replication channel (reset, or never set up); "
                      "replication: replica expects one")
    if db.replication == "primary":
        dumps = rows(conn, "SELECT count(*) FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'")
        count = int(dumps[0][0])
        if count == 0:
            return failed(f"no replica is connected to {db.url} (no Binlog Dump thread); replication: primary expects "
                          "at least one")
        results.append(passed(f"{plural(count, 'replica')} connected to {db.url} (Binlog Dump threads); their lag is "
                              "judged on each replica", value=count))
    if not results:
        return skipped(f"{db.url} is not a replica; a MySQL/MariaDB primary does not know its "
                       "replicas' lag: check each replica")
    return combine(results)


def _graded(db: Database, measured: tuple[str, float]) -> Result:
    """Grade one replica's lag in seconds."""
    who, seconds = measured
    return grade(f"replication lag of {who}", seconds, db.max_replication_lag, db.warn_max_replication_lag,
                 show=show_seconds, unit="s", evidence={"replica": who, "lag_s": round(seconds, 3)})


def _pg_replica(row: Any) -> tuple[str, float]:
    """A PostgreSQL standby's own lag: 0 when it replayed all it received, else the age of the last replay."""
    caught_up, age, receiver, paused = row
    if receiver is None:
        raise CheckError("this replica is not streaming from a primary (no WAL receiver); its lag cannot "
                         "be measured")
    if caught_up and not paused:
        return "this replica (replayed all it received)", 0.0
    if age is None:
        raise CheckError("this replica has not replayed any transaction yet; its lag cannot be measured")
    return "this replica" + (" (replay paused)" if paused else ""), float(age)


def _pg_replica_of_primary(row: Any) -> tuple[str, float]:
    """One replica in pg_stat_replication, measured from the primary."""
    name, address, state, seconds = row
    if seconds is None:
        raise CheckError(f"the lag of replica {name or address} ({state}) cannot be measured: pg_stat_replication "
                         "shows no replay lag (it needs the pg_monitor role)")
    return f"replica {name or address} ({state})", float(seconds)


def _my_status(conn: Any) -> list[dict[str, Any]]:
    """SHOW ALL SLAVES STATUS (MariaDB), else SHOW REPLICA STATUS (MySQL 8), as dicts."""
    for sql in ("SHOW ALL SLAVES STATUS", "SHOW REPLICA STATUS"):
        try:
            result = conn.exec_driver_sql(sql)
        except Exception as exc:  # noqa: BLE001 - the other dialect's statement; a denial is an error below
            if "denied" in str(exc).lower():
                raise
            continue
        return [dict(row._mapping) for row in result]
    raise CheckError("neither SHOW ALL SLAVES STATUS nor SHOW REPLICA STATUS works on this server")


def _my_replica(status: dict[str, Any]) -> tuple[str, float]:
    """One replication channel's Seconds_Behind_Master; NULL (threads stopped or failing) is an error."""
    def get(*names: str) -> Any:
        """The first of these columns that has a value (MariaDB and MySQL name them differently)."""
        return next((status[n] for n in names if status.get(n) not in (None, "")), None)

    who = f"replica of {get('Master_Host', 'Source_Host')}:{get('Master_Port', 'Source_Port')}"
    if get("Connection_name"):
        who += f" (channel {get('Connection_name')})"
    seconds = get("Seconds_Behind_Master", "Seconds_Behind_Source")
    if seconds is None:
        io, sql = get("Slave_IO_Running", "Replica_IO_Running"), get("Slave_SQL_Running", "Replica_SQL_Running")
        problem = get("Last_IO_Error", "Last_SQL_Error") or "no error reported"
        raise CheckError(f"the lag of the {who} cannot be measured: Seconds_Behind_Master is NULL "
                         f"(IO thread {io}, SQL thread {sql}; {problem})")
    return who, float(seconds)

