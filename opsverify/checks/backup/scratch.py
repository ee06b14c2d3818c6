"""The throwaway database of a restore drill and the throwaway role that owns it: created on `restore.into`, always dropped.

The backup is loaded, and the restored database read, as that role (a MariaDB user): it can log in, owns
the throwaway database (has every privilege on it) and nothing else, has no memberships, and its password
is random, never shown and never on a command line. It carries the database's name and is dropped with it.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import NullPool

from opsverify.checks import CheckError
from opsverify.checks.database import _SHIPPED_DRIVER  # the drivers this suite ships

PREFIX = "opsv_restore_"
DIALECTS = {"postgresql": "postgresql", "mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite"}
STAMP = re.compile(r"_([0-9a-z]{7})[0-9a-f]{6}$")  # the name's creation time (base 36 seconds), then random
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def dialect_of(url: URL) -> str:
    """postgresql, mysql (MariaDB too) or sqlite; CheckError for servers a drill cannot restore into."""
    dialect = DIALECTS.get(url.get_backend_name())
    if dialect is None:
        raise CheckError(f"restore drills restore into PostgreSQL, MariaDB/MySQL or SQLite, not {url.get_backend_name()}")
    return dialect


def throwaway_name(item: str, now: float | None = None) -> str:
    """opsv_restore_<item>_<time><random>: recognisable, dated, unique, at most 57 characters, no quoting needed."""
    slug = re.sub(r"[^a-z0-9]+", "_", item.lower()).strip("_")[:30] or "backup"
    seconds, stamp = int(time.time() if now is None else now), ""
    for _ in range(7):
        seconds, digit = divmod(seconds, 36)
        stamp = DIGITS[digit] + stamp
    return f"{PREFIX}{slug}_{stamp}{secrets.token_hex(3)}"


def created_at(name: str) -> float | None:
    """When a throwaway name was made (from the name itself), or None for a name that does not say."""
    found = STAMP.search(name)
    return float(int(found.group(1), 36)) if found and name.startswith(PREFIX) else None


@dataclass
class Scratch:
    """A throwaway database (or SQLite file) on the scratch server; `url` carries the server's credentials."""

    url: URL
    name: str
    timeout: float = 10.0
    dialect: str = field(init=False)
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)  # the role's password
    client_host: str = "%"  # MariaDB: the host the server sees this machine as

    def __post_init__(self) -> None:
        """Pick the shipped driver and the dialect; a SQLite name becomes a file beside `into`."""
        self.url = self.url.set(drivername=_SHIPPED_DRIVER.get(self.url.drivername, self.url.drivername))
        self.dialect = dialect_of(self.url)
        if self.dialect == "sqlite" and os.sep not in self.name:  # a fresh name: a file beside `into`
            folder = Path(self.url.database).parent if self.url.database not in (None, "", ":memory:") \
                else Path(tempfile.gettempdir())
            self.name = str(folder.resolve() / f"{self.name}.db")

    @classmethod
    def new(cls, into: str, item: str, timeout: float) -> Scratch:
        """A scratch database with a fresh name on the server of `into` (a SQLAlchemy URL)."""
        return cls(make_url(into), throwaway_name(item), timeout)

    @property
    def server(self) -> str:
        """host:port of the scratch server (the folder for SQLite), for messages."""
        if self.dialect == "sqlite":
            return os.path.dirname(self.name)
        return f"{self.url.host or 'localhost'}:{self.url.port or (5432 if self.dialect == 'postgresql' else 3306)}"

    @property
    def shown(self) -> str:
        """Where the throwaway database is, for messages (no credentials)."""
        return self.name if self.dialect == "sqlite" else f"{self.name} on {self.server}"

    def role_url(self) -> URL:
        """The throwaway database, as its throwaway role (SQLite: the file)."""
        if self.dialect == "sqlite":
            return self.url.set(database=self.name)
        return self.url.set(username=self.name, password=self.secret, database=self.name)

    def engine(self, url: URL | None = None, read_timeout: float | None = None) -> Engine:
        """An autocommit engine on the server (or the throwaway database) with the item's timeouts."""
        url = url or self.url
        seconds = max(2, int(self.timeout))
        args: dict[str, Any] = {}
        if self.dialect == "postgresql":
            args = {"connect_timeout": seconds}
        elif self.dialect == "mysql":
            args = {"connect_timeout": seconds, "read_timeout": int(read_timeout or seconds), "write_timeout": seconds}
        return create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT", connect_args=args)

    def _admin(self, *statements: str, **params: Any) -> list[Any]:
        """Run statements on the server as `into`'s user; the first column of each one's rows."""
        engine = self.engine()
        try:
            with engine.connect() as conn:
                return [_column(conn.execute(text(sql), params)) for sql in statements]
        finally:
            engine.dispose()

    def create(self, owner: str) -> None:
        """The empty throwaway database, marked with `owner` (who made it), and its role (SQLite: nothing yet)."""
        if self.dialect == "sqlite":
            Path(self.name).parent.mkdir(parents=True, exist_ok=True)
            return
        marker = owner.replace("'", "''")
        engine = self.engine()
        try:
            with engine.connect() as conn:
                if self.dialect == "postgresql":
                    self._create_pg(conn, marker)
                else:
                    self._create_maria(conn, marker)
        except Exception:
            self._drop_quietly()  # the database may exist without its role: neither stays
            raise
        finally:
            engine.dispose()

    def _create_pg(self, conn: Connection, marker: str) -> None:
        """Database, then the role, which is then made its owner."""
        quoted = f'"{self.name}"'
        conn.exec_driver_sql(f"CREATE DATABASE {quoted}")
        conn.exec_driver_sql(f"COMMENT ON DATABASE {quoted} IS '{marker}'")
        pgconn = conn.connection.driver_connection.pgconn  # libpq hashes the password: it never crosses the wire
        verifier = pgconn.encrypt_password(self.secret.encode(), self.name.encode(), b"scram-sha-256").decode()
        conn.exec_driver_sql(f"CREATE ROLE {quoted} LOGIN PASSWORD '{verifier}' NOSUPERUSER NOCREATEDB NOCREATEROLE "
                             "NOREPLICATION NOBYPASSRLS")
        if not conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar():
            conn.exec_driver_sql(f"GRANT {quoted} TO CURRENT_USER")  # so that it may hand the database over
        conn.exec_driver_sql(f"ALTER DATABASE {quoted} OWNER TO {quoted}")

    def _create_maria(self, conn: Connection, marker: str) -> None:
        """Database (with the marker as its comment), then a user with every privilege on it and nothing else."""
        conn.exec_driver_sql(f"CREATE DATABASE `{self.name}` COMMENT '{marker}'")
        self.client_host = conn.execute(text("SELECT SUBSTRING_INDEX(USER(), '@', -1)")).scalar() or "%"
        digest = hashlib.sha1(hashlib.sha1(self.secret.encode()).digest()).hexdigest().upper()
        user = f"'{self.name}'@'{_quote(self.client_host)}'"
        conn.exec_driver_sql(f"CREATE USER {user} IDENTIFIED BY PASSWORD '*{digest}'")
        escaped = self.name.replace("_", "\\_")  # in GRANT, _ and % are wildcards
        conn.exec_driver_sql(f"GRANT ALL PRIVILEGES ON `{escaped}`.* TO {user}")

    def drop(self) -> None:
        """Drop the throwaway database (ending any session still in it) and its role; no-op when gone already."""
        if self.dialect == "sqlite":
            for path in glob.glob(glob.escape(self.name) + "*"):
                os.unlink(path)
            return
        if self.dialect == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)', f'DROP ROLE IF EXISTS "{self.name}"')
            return
        engine = self.engine()
        try:
            with engine.connect() as conn:
                for host in _user_hosts(conn, self.name):
                    conn.exec_driver_sql(f"DROP USER IF EXISTS '{self.name}'@'{_quote(host)}'")
                sessions = conn.execute(text("SELECT id FROM information_schema.processlist WHERE (db = :n OR user = :n) "
                                             "AND id <> CONNECTION_ID()"), {"n": self.name}).scalars().all()
                for session in sessions:
                    conn.execute(text(f"KILL {int(session)}"))
                conn.execute(text(f"DROP DATABASE IF EXISTS `{self.name}`"))
        finally:
            engine.dispose()

    def _drop_quietly(self) -> None:
        """Drop what part of the throwaway database and role exists, when creating them failed."""
        try:
            self.drop()
        except Exception:  # noqa: BLE001 - the server that refused the creation may refuse this too
            pass

    def exists(self) -> bool:
        """Whether the throwaway database is still there (tests use this)."""
        if self.dialect == "sqlite":
            return os.path.exists(self.name)
        query = ("SELECT 1 FROM pg_database WHERE datname = :db" if self.dialect == "postgresql"
                 else "SELECT 1 FROM information_schema.schemata WHERE schema_name = :db")
        return bool(self._admin(query, db=self.name)[0])

    def throwaways(self) -> tuple[dict[str, str | None], list[str]]:
        """Every drill's throwaway database on this server with its owner marker, and drill roles without one."""
        like = PREFIX.replace("_", "\\_") + "%"
        if self.dialect == "postgresql":
            databases, roles = self._admin(
                "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database WHERE datname LIKE :p",
                "SELECT rolname FROM pg_roles WHERE rolname LIKE :p", p=like)
        else:
            databases = self._admin("SELECT schema_name, schema_comment FROM information_schema.schemata "
                                    "WHERE schema_name LIKE :p", p=like)[0]
            try:
                roles = self._admin("SELECT DISTINCT user FROM mysql.user WHERE user LIKE :p", p=like)[0]
            except Exception:  # noqa: BLE001 - a restore.into user that may not read mysql.user: databases only
                roles = []
        found = dict(databases)
        return found, [role for role in roles if role not in found]


def _user_hosts(conn: Connection, name: str) -> list[str]:
    """The hosts a MariaDB user exists for; without read access to mysql.user, the one this machine is seen as."""
    try:
        return _column(conn.execute(text("SELECT host FROM mysql.user WHERE user = :n"), {"n": name}))
    except Exception:  # noqa: BLE001 - a restore.into user that may not read mysql.user
        return [conn.execute(text("SELECT SUBSTRING_INDEX(USER(), '@', -1)")).scalar()]


def _column(rows: Any) -> list[Any]:
    """The rows of a result: single values for one column, tuples for more; [] for a statement without rows."""
    if not rows.returns_rows:
        return []
    return [row[0] if len(row) == 1 else tuple(row) for row in rows]


def _quote(value: str) -> str:
    """A value for inside MariaDB single quotes."""
    return value.replace("\\", "\\\\").replace("'", "''")


def client(*names: str) -> str:
    """The path of a client tool: the newest PostgreSQL's for pg tools, else the first on PATH."""
    for name in names:
        if name.startswith(("pg_", "psql")):
            found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                           key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
            if found:
                return found[-1]
        if (path := shutil.which(name)) is not None:
            return path
    raise CheckError(f"{' or '.join(names)} is not installed on this machine; the restore drill needs it")


def tool_environment(scratch: Scratch, folder: str) -> tuple[dict[str, str], list[str]]:
    """Environment and leading arguments that point a client tool at the throwaway database, as its role.

    The password goes through PGPASSWORD or a private defaults file, never the command line.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "MYSQL"))}
    url = scratch.url
    if scratch.dialect == "postgresql":
        env.update(PGHOST=url.host or "localhost", PGPORT=str(url.port or 5432), PGDATABASE=scratch.name,
                   PGUSER=scratch.name, PGPASSWORD=scratch.secret, PGCLIENTENCODING="UTF8",
                   PGOPTIONS="-c standard_conforming_strings=on",
                   PGCONNECT_TIMEOUT=str(max(2, int(scratch.timeout))), PGAPPNAME="opsverify restore drill")
        if "sslmode" in url.query:
            env["PGSSLMODE"] = str(url.query["sslmode"])
        return env, []
    defaults = Path(folder) / "client.cnf"
    lines = ["[client]", f"host={url.host or 'localhost'}", f"port={url.port or 3306}", f"user={scratch.name}",
             f"password={scratch.secret}"]
    defaults.touch(mode=0o600)
    defaults.write_text("\n".join(lines) + "\n")
    return env, [f"--defaults-extra-file={defaults}"]
