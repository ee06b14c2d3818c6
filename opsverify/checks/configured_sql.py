"""SQL written in the environment file (metrics, the access review): one statement, in a read-only transaction.

`checks.database.connection` opens the session read-only; what keeps the SQL from ending that transaction and
starting a writable one (`COMMIT; BEGIN READ WRITE; INSERT …`) is that it runs as exactly one statement:

- PostgreSQL (psycopg): as a prepared statement, through the extended query protocol, which refuses several
  commands in one statement (the simple protocol, psycopg's default without parameters, runs them all).
- MySQL/MariaDB (PyMySQL): on a connection made without CLIENT.MULTI_STATEMENTS, so the server reads the text
  as one statement; a URL that asks for that flag (`?client_flag=…`) is refused.
- SQLite: Python's sqlite3 runs one statement per call, on a file opened read-only.

Other dialects and drivers are refused: they could promise neither. A read-only role is the real guarantee
(docs/databases.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from opsverify.checks import CheckError, cause

MULTI_STATEMENTS = 1 << 16  # the MySQL protocol's CLIENT_MULTI_STATEMENTS capability
VERBATIM = {"no_parameters": True}  # the SQL goes to the driver as written: `LIKE '%x%'` is no placeholder


def one_statement(conn: Connection, sql: str, limit: int | None = None) -> Sequence[Sequence[Any]]:
    """The rows (the first `limit`, or all) of `sql`, run as one statement on a read-only connection."""
    dialect, driver = conn.dialect.name, conn.dialect.driver
    raw = conn.connection.driver_connection
    try:
        if dialect == "postgresql" and driver == "psycopg":
            with raw.cursor() as cursor:  # type: ignore[union-attr]
                cursor.execute(sql, prepare=True)
                if cursor.description is None:
                    raise CheckError("the SQL returned no rows: it must be a query (SELECT …)")
                return cursor.fetchall() if limit is None else cursor.fetchmany(limit)
        if dialect in ("mysql", "mariadb") and driver == "pymysql":
            if getattr(raw, "client_flag", MULTI_STATEMENTS) & MULTI_STATEMENTS:
                raise CheckError("the database URL allows several statements per query (client_flag with "
                                 "MULTI_STATEMENTS); SQL from the environment runs as one statement only: "
                                 "take the flag out of the URL")
        elif dialect != "sqlite":
            raise CheckError(f"SQL from the environment runs only on PostgreSQL (psycopg), MySQL/MariaDB (PyMySQL) "
                             f"and SQLite, which keep it to one read-only statement; not on {dialect}+{driver}")
        result = conn.exec_driver_sql(sql, execution_options=VERBATIM)
        if not result.returns_rows:
            raise CheckError("the SQL returned no rows: it must be a query (SELECT …)")
        return result.fetchall() if limit is None else result.fetchmany(limit)
    except (DBAPIError, conn.dialect.loaded_dbapi.Error) as exc:  # SQLAlchemy's wrapper, or the driver's own
        if not _several(sql):
            raise
        raise CheckError(f"{cause(exc, 'the database')}; SQL from the environment runs as one read-only "
                         "statement, and this is several") from exc


def _several(sql: str) -> bool:
    """Whether the text looks like more than one statement (a `;` before its end)."""
    return ";" in sql.strip().rstrip(";")
