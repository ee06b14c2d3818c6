"""Database statistics beyond connect: activity, replication and maintenance, per dialect, read-only."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from opsverify.checks.database import connection
from opsverify.result import Result, skipped
from opsverify.spec.models.health import Database
from opsverify.spec.secret import scrub

WORDS = 8  # words of a query shown in a reason
_LITERAL = re.compile(r"'(?:[^']|'')*'")


def family(conn: Connection) -> str:
    """`postgresql`, `mysql` (MySQL and MariaDB), `sqlite`, or the dialect's own name."""
    name = conn.dialect.name
    return "mysql" if name in ("mysql", "mariadb") else name


def rows(conn: Connection, sql: str, **params: Any) -> Sequence[Any]:
    """All rows of a query with named parameters (`:name`)."""
    return conn.execute(text(sql), params).all()


def not_measured(db: Database, what: str, kind: str) -> Result:
    """The skip for a measure this dialect does not have."""
    shown = {"sqlite": "SQLite", "mysql": "MySQL/MariaDB", "postgresql": "PostgreSQL"}.get(kind, kind)
    return skipped(f"{what} cannot be measured on {shown} ({db.url})")


def dialect_rows(db: Database, queries: dict[str, str], what: str) -> Sequence[Any] | Result:
    """The rows of this dialect's query, on a read-only connection; `skipped` where no query measures `what`."""
    with connection(db) as conn:
        kind = family(conn)
        if kind not in queries:
            return not_measured(db, what, kind)
        return rows(conn, queries[kind])


def first_words(query: str | None) -> str:
    """The first words of a query, with string literals masked: `UPDATE users SET email = '…'`."""
    if not query:
        return "(no query text)"
    words = _LITERAL.sub("'…'", scrub(query)).split()
    shown = " ".join(words[:WORDS])
    return shown + (" …" if len(words) > WORDS else "")
