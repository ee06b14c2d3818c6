"""What the drill measures in the restored database: row counts per table and the newest timestamp."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

SYSTEM_SCHEMAS = {"information_schema", "pg_catalog", "pg_toast", "mysql", "performance_schema", "sys"}


def _default_schema(conn: Connection) -> str | None:
    """The schema unqualified names live in (public, the connected database, main)."""
    return conn.dialect.default_schema_name or inspect(conn).default_schema_name


def table_keys(conn: Connection) -> dict[str, tuple[str | None, str]]:
    """Every table as "name" (default schema) or "schema.name", mapped to (schema, name)."""
    inspector, default = inspect(conn), _default_schema(conn)
    schemas = [default] if conn.dialect.name != "postgresql" else \
        [s for s in inspector.get_schema_names() if s not in SYSTEM_SCHEMAS and not s.startswith("pg_")]
    keys: dict[str, tuple[str | None, str]] = {}
    for schema in schemas:
        for name in inspector.get_table_names(schema=schema):
            keys[name if schema == default else f"{schema}.{name}"] = (schema, name)
    return keys


def quoted(conn: Connection, schema: str | None, name: str) -> str:
    """schema.name quoted for this dialect (no schema for the default one)."""
    prepare = conn.dialect.identifier_preparer
    if schema is None or schema == _default_schema(conn):
        return prepare.quote(name)
    return f"{prepare.quote_schema(schema)}.{prepare.quote(name)}"


def resolve(dotted: str, keys: dict[str, tuple[str | None, str]]) -> tuple[str | None, str] | None:
    """A user's `table` or `schema.table` as (schema, name), matching case-insensitively; None when absent."""
    wanted = dotted.lower()
    return next((where for key, where in keys.items() if key.lower() == wanted), None)


def count(conn: Connection, schema: str | None, name: str) -> int:
    """Exact row count (count(*), never the planner's estimate)."""
    return int(conn.execute(text(f"SELECT count(*) FROM {quoted(conn, schema, name)}")).scalar_one())


def newest(conn: Connection, dotted_column: str, keys: dict[str, tuple[str | None, str]]) -> Any:
    """max(column) of `table.column` or `schema.table.column`; KeyError when the table is not there."""
    table, _, column = dotted_column.rpartition(".")
    where = resolve(table, keys)
    if where is None:
        raise KeyError(table)
    prepare = conn.dialect.identifier_preparer
    query = f"SELECT max({prepare.quote(column)}) FROM {quoted(conn, *where)}"
    return conn.execute(text(query)).scalar()


def as_time(value: Any) -> dt.datetime | None:
    """A column value as an aware time: datetimes (naive ones are UTC), dates, ISO text, epoch numbers."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), dt.timezone.utc)
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 1e11 else value  # epoch milliseconds are common too
        return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
    parsed = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
