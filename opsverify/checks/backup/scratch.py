"""The throwaway database of a restore drill: created on the `restore.into` server, always dropped."""

from __future__ import annotations

import glob
import os
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.pool import NullPool

from opsverify.checks import CheckError
from opsverify.checks.database import _SHIPPED_DRIVER  # the drivers this suite ships

PREFIX = "opsv_restore_"
DIALECTS = {"postgresql": "postgresql", "mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite"}


def dialect_of(url: URL) -> str:
    """postgresql, mysql (MariaDB too) or sqlite; CheckError for servers a drill cannot restore into."""
    dialect = DIALECTS.get(url.get_backend_name())
    if dialect is None:
        raise CheckError(f"restore drills restore into PostgreSQL, MariaDB/MySQL or SQLite, not {url.get_backend_name()}")
    return dialect


def throwaway_name(item: str) -> str:
    """opsv_restore_<item>_<random>: recognisable, unique, at most 63 characters, no quoting needed."""
    slug = re.sub(r"[^a-z0-9]+", "_", item.lower()).strip("_")[:30] or "backup"
    return f"{PREFIX}{slug}_{secrets.token_hex(4)}"


@dataclass
class Scratch:
    """A throwaway database (or SQLite file) on the scratch server; `url` carries the server's credentials."""

    url: URL
    name: str
    timeout: float = 10.0
    dialect: str = field(init=False)

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

    def database_url(self) -> URL:
        """A URL of the throwaway database itself."""
        return self.url.set(database=self.name)

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

    def create(self) -> None:
        """Create the empty throwaway database (for SQLite: nothing yet; the file appears on restore)."""
        if self.dialect == "sqlite":
            Path(self.name).parent.mkdir(parents=True, exist_ok=True)
            return
        quoted = f'"{self.name}"' if self.dialect == "postgresql" else f"`{self.name}`"
        engine = self.engine()
        try:
            with engine.connect() as conn:
                conn.execute(text(f"CREATE DATABASE {quoted}"))
        finally:
            engine.dispose()

    def drop(self) -> None:
        """Drop the throwaway database, ending any session still in it; a no-op when it is gone already."""
        if self.dialect == "sqlite":
            for path in glob.glob(glob.escape(self.name) + "*"):
                os.unlink(path)
            return
        engine = self.engine()
        try:
            with engine.connect() as conn:
                if self.dialect == "postgresql":
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
                    return
                sessions = conn.execute(text("SELECT id FROM information_schema.processlist WHERE db = :db "
                                             "AND id <> CONNECTION_ID()"), {"db": self.name}).scalars().all()
                for session in sessions:
                    conn.execute(text(f"KILL {int(session)}"))
                conn.execute(text(f"DROP DATABASE IF EXISTS `{self.name}`"))
        finally:
            engine.dispose()

    def exists(self) -> bool:
        """Whether the throwaway database is still there (tests use this)."""
        if self.dialect == "sqlite":
            return os.path.exists(self.name)
        engine = self.engine()
        query = ("SELECT 1 FROM pg_database WHERE datname = :db" if self.dialect == "postgresql"
                 else "SELECT 1 FROM information_schema.schemata WHERE schema_name = :db")
        try:
            with engine.connect() as conn:
                return conn.execute(text(query), {"db": self.name}).first() is not None
        finally:
            engine.dispose()


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
    """Environment and leading arguments that point a client tool at the throwaway database.

    Passwords go through PGPASSWORD or a private defaults file, never the command line.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "MYSQL"))}
    url = scratch.url
    if scratch.dialect == "postgresql":
        env.update(PGHOST=url.host or "localhost", PGPORT=str(url.port or 5432), PGDATABASE=scratch.name,
                   PGCONNECT_TIMEOUT=str(max(2, int(scratch.timeout))), PGAPPNAME="opsverify restore drill")
        if url.username:
            env["PGUSER"] = url.username
        if url.password:
            env["PGPASSWORD"] = str(url.password)
        if "sslmode" in url.query:
            env["PGSSLMODE"] = str(url.query["sslmode"])
        return env, []
    defaults = Path(folder) / "client.cnf"
    lines = ["[client]", f"host={url.host or 'localhost'}", f"port={url.port or 3306}"]
    lines += [f"user={url.username}"] if url.username else []
    lines += [f"password={url.password}"] if url.password else []
    defaults.touch(mode=0o600)
    defaults.write_text("\n".join(lines) + "\n")
    return env, [f"--defaults-extra-file={defaults}"]
