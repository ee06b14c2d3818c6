"""SQL databases through SQLAlchemy: connect read-only, SELECT 1 latency, expected tables."""

from __future__ import annotations

import math
import os
import socket
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, event, inspect, make_url
from sqlalchemy.engine import URL, Connection, Dialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from opsverify.checks import (CheckError, cause, combine, milliseconds, prepare, probe, show_seconds,
                              target_key, timeout_of)
from opsverify.checks.deadline import budget, guard
from opsverify.result import Result, failed, grade, passed, skipped
from opsverify.spec.models.health import Database
from opsverify.spec.units import Duration

# A URL without a driver gets the one this suite ships (SQLAlchemy 2.0 would pick psycopg2 / mysqlclient).
_SHIPPED_DRIVER = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql", "mariadb": "mariadb+pymysql"}


@contextmanager
def connection(db: Database) -> Iterator[Connection]:
    """One connection, read-only where the driver allows, with the item's timeouts, guarded by the deadline; closed after."""
    timeout = timeout_of(db)
    url, connect_args, waited = _prepare(make_url(db.url.reveal()), timeout)
    engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    event.listen(engine, "do_connect", _guarded_connect)
    try:
        try:
            conn = engine.connect()
        except OperationalError as exc:  # say how long the driver really waited
            raise CheckError(cause(exc, target_key(db), waited)) from exc
        with conn:
            yield conn
    finally:
        engine.dispose()


def _prepare(url: URL, timeout: Duration) -> tuple[URL, dict[str, Any], Duration]:
    """The URL with a driver we ship, its timeout and read-only arguments, and the wait it really applies."""
    url = url.set(drivername=_SHIPPED_DRIVER.get(url.drivername, url.drivername))
    backend, driver = url.get_backend_name(), url.get_driver_name()
    if backend == "sqlite":
        path = url.database or ""
        if path and path != ":memory:" and not path.startswith("file:"):
            if not os.path.isfile(path):
                raise CheckError(f"SQLite file {path} does not exist")
            url = url.set(database=f"file:{quote(os.path.abspath(path))}",
                          query={**url.query, "mode": "ro", "uri": "true"})
        return url, {"timeout": float(timeout)}, timeout
    if backend == "postgresql" and driver in ("psycopg", "psycopg2"):
        seconds = max(2, math.ceil(timeout))  # libpq and psycopg wait at least 2 whole seconds
        options = f"-c default_transaction_read_only=on -c statement_timeout={int(timeout * 1000)}"
        return url, {"connect_timeout": seconds, "options": options}, _as_waited(timeout, seconds)
    if backend in ("mysql", "mariadb") and driver in ("pymysql", "mysqldb"):
        seconds = max(1, math.ceil(timeout))
        return url, {"connect_timeout": seconds, "read_timeout": seconds, "write_timeout": seconds,
                     "init_command": "SET SESSION TRANSACTION READ ONLY"}, _as_waited(timeout, seconds)
    return url, {}, timeout


def _guarded_connect(dialect: Dialect, record: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]) -> Any:
    """The driver's connection with its socket guarded by the deadline: from the first byte for PyMySQL,
    from login on for drivers that show their socket (psycopg), so a server that stalls cannot hold the check."""
    if dialect.driver == "pymysql" and not cparams.get("unix_socket"):
        return _pymysql(dialect.loaded_dbapi, cargs, cparams)
    conn = dialect.connect(*cargs, **cparams)
    if callable(getattr(conn, "fileno", None)):
        guard(conn.fileno())
    return conn


def _pymysql(dbapi: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]) -> Any:
    """A PyMySQL connection over a socket guarded before the server's greeting is read."""
    conn = dbapi.connect(*cargs, **cparams, defer_connect=True)
    try:
        sock = socket.create_connection((conn.host, conn.port), conn.connect_timeout)
    except OSError as exc:  # in PyMySQL's own words, so SQLAlchemy reports it as it would
        raise dbapi.OperationalError(2003, f"Can't connect to MySQL server on {conn.host!r} ({exc})") from exc
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    guard(sock)
    stranger = f"{conn.host}:{conn.port} did not answer as a MySQL or MariaDB server"
    try:
        conn.connect(sock)
    except dbapi.InternalError as exc:  # "Packet sequence number wrong": bytes that are not MySQL packets
        raise CheckError(f"{stranger} ({exc.args[-1]})") from exc
    except dbapi.MySQLError:
        raise
    except Exception as exc:  # noqa: BLE001 - PyMySQL crashes on a greeting that is not MySQL's
        raise CheckError(f"{stranger} ({type(exc).__name__} reading its greeting)") from exc
    return conn


def time_allowed(db: Database) -> float:
    """A database check's time in all: the item's timeout, or the whole seconds its driver waits to connect."""
    timeout = timeout_of(db)
    return max(timeout, _prepare(make_url(db.url.reveal()), timeout)[2])


def load_driver(db: Database) -> None:
    """Import the item's SQLAlchemy dialect and its driver (psycopg, PyMySQL) now, not inside a timed probe."""
    url = make_url(db.url.reveal())
    url.set(drivername=_SHIPPED_DRIVER.get(url.drivername, url.drivername)).get_dialect().import_dbapi()


def database_check(check: Callable[..., Result]) -> Callable[..., Result]:
    """A check of one database: total (`probe`), within `time_allowed`, its driver loaded before probes start."""
    return prepare(load_driver)(budget(time_allowed)(probe(check)))


def _as_waited(asked: Duration, seconds: int) -> Duration:
    """The whole seconds a driver waits, printed as the user wrote them when they are the same."""
    return asked if seconds == asked else Duration(seconds)


@database_check
def connect(db: Database) -> Result:
    """Connect, then time SELECT 1 (median of 3 round trips) against max_latency/warn_max_latency."""
    start = time.perf_counter()
    with connection(db) as conn:
        connected = time.perf_counter() - start
        rounds = []
        for _ in range(3):
            begin = time.perf_counter()
            conn.exec_driver_sql("SELECT 1").scalar()
            rounds.append(time.perf_counter() - begin)
        dialect = conn.dialect
    latency = statistics.median(rounds)
    return combine([
        passed(f"connected to {db.url} in {show_seconds(connected)}"),
        grade("SELECT 1 round trip", latency, db.max_latency, db.warn_max_latency,
              show=show_seconds, unit="s"),
    ], dialect=f"{dialect.name}+{dialect.driver}",
        server_version=".".join(str(part) for part in dialect.server_version_info or ()),
        connect_ms=milliseconds(connected), latency_ms=milliseconds(latency))


@database_check
def tables(db: Database) -> Result:
    """Every name in expect_tables (optionally `schema.table`) exists as a table or view."""
    if not db.expect_tables:
        return skipped("no expect_tables set")
    found: dict[str | None, set[str]] = {}
    with connection(db) as conn:
        inspector = inspect(conn)
        for name in db.expect_tables:
            schema = name.rpartition(".")[0] or None
            if schema not in found:
                names = inspector.get_table_names(schema) + inspector.get_view_names(schema)
                found[schema] = {n.lower() for n in names}
    missing = [n for n in db.expect_tables
               if n.rpartition(".")[2].lower() not in found[n.rpartition(".")[0] or None]]
    evidence = {"expected": list(db.expect_tables), "missing": missing}
    if missing:
        noun = "table" if len(missing) == 1 else "tables"
        return failed(f"missing {noun} {', '.join(missing)} in {db.url}", value=len(missing),
                      evidence=evidence)
    return passed(f"all {len(db.expect_tables)} expected tables exist in {db.url}", value=0,
                  evidence=evidence)
