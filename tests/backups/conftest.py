"""Backup sets on disk with real dumps (pg_dump, mariadb-dump, tar, zip, sqlite3), and helpers to check them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest

from opsverify.context import RunContext
from opsverify.spec.models.backups import Backup
from opsverify.spec.models.environment import Environment
from tests.services import MARIADB, POSTGRES, need, reachable
from tests.support.items import item
from tests.support.sshd import sshd, target  # noqa: F401 - fixtures

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432"
MARIA_URL = "mysql+pymysql://root@127.0.0.1:3306"
NOW = dt.datetime.now(dt.timezone.utc)


@dataclass
class Shelf:
    """A folder of backup files with chosen ages and sha256 sidecars."""

    folder: Path

    def put(self, name: str, data: bytes, age: dt.timedelta = dt.timedelta(hours=1), sidecar: bool = True,
            digest: str | None = None) -> Path:
        """Write one backup `age` old (by mtime), with FILE.sha256 unless sidecar=False."""
        path = self.folder / name
        path.write_bytes(data)
        when = (dt.datetime.now(dt.timezone.utc) - age).timestamp()
        os.utime(path, (when, when))
        if sidecar:
            digest = digest or hashlib.sha256(data).hexdigest()
            path.with_name(name + ".sha256").write_text(f"{digest}  {name}\n")
        return path

    def glob(self, pattern: str = "db-*") -> str:
        """The set's path pattern."""
        return str(self.folder / pattern)


@pytest.fixture
def shelf(tmp_path: Path) -> Shelf:
    """An empty backup folder."""
    folder = tmp_path / "backups"
    folder.mkdir()
    return Shelf(folder)


def backup(path: str, **fields: Any) -> Backup:
    """A Backup item for path (max_age 26h unless given)."""
    return item(Backup, path=path, **{"max_age": "26h", **fields})


def context(**sections: Any) -> RunContext:
    """A run context whose environment has these sections (databases, hosts, backups)."""
    environment = Environment.model_validate({"environment": "test", **sections})
    return RunContext(environment, Path("/nonexistent"), None, NOW)


def unique(prefix: str) -> str:
    """A database name no other test uses."""
    return f"{prefix}_{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Source:
    """A live database with known tables, and dumps of it."""

    url: str
    name: str
    folder: Path

    def dump(self, *args: str) -> Path:
        """A file with the tool's output (pg_dump or mariadb-dump with these arguments)."""
        tool = "pg_dump" if self.url.startswith("postgresql") else "mariadb-dump"
        base = ["pg_dump", "-h", "127.0.0.1", "-U", "postgres"] if tool == "pg_dump" else \
            ["mariadb-dump", "-h", "127.0.0.1", "-u", "root", "--single-transaction"]
        out = self.folder / f"{tool}-{secrets.token_hex(3)}"
        with open(out, "wb") as stream:
            subprocess.run([*base, *args, self.name], stdout=stream, check=True, timeout=120)
        return out


SHOP = """
CREATE TABLE users (id int PRIMARY KEY, email varchar(80) NOT NULL);
CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL, total int NOT NULL, created_at timestamp NOT NULL);
"""


def _fill(execute: Any, dialect: str) -> None:
    """users (20) and orders (500, the newest 2 hours old) through `execute`."""
    for statement in SHOP.strip().split(";\n"):
        execute(statement)
    execute("INSERT INTO users VALUES " + ", ".join(f"({i}, 'user{i}@example.org')" for i in range(1, 21)))
    newest = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)).replace(tzinfo=None)
    rows = [f"({i}, {i % 20 + 1}, {i * 7}, '{newest - dt.timedelta(minutes=500 - i):%Y-%m-%d %H:%M:%S}')"
            for i in range(1, 501)]
    execute("INSERT INTO orders VALUES " + ", ".join(rows))


@contextmanager
def pg_database(prefix: str, *statements: str) -> Iterator[str]:
    """A database of its own on the machine's PostgreSQL, with `statements` run in it; dropped afterwards."""
    need("PostgreSQL", POSTGRES)
    name, admin = unique(prefix), "host=127.0.0.1 user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={name}", autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)
        yield name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def pg_source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    """A database on the machine's PostgreSQL with users and orders, dropped after the module."""
    need("PostgreSQL", POSTGRES)
    name = unique("opsv_bk_src")
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={name}", autocommit=True) as conn:
            _fill(conn.execute, "postgresql")
        yield Source(f"{PG_URL}/{name}", name, tmp_path_factory.mktemp("pgdumps"))
    finally:
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def maria_source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    """A database on the machine's MariaDB with users and orders, dropped after the module."""
    need("MariaDB", MARIADB)
    name = unique("opsv_bk_src")
    conn = pymysql.connect(host="127.0.0.1", user="root", autocommit=True)
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}`")
            cursor.execute(f"USE `{name}`")
            _fill(cursor.execute, "mysql")
        yield Source(f"{MARIA_URL}/{name}", name, tmp_path_factory.mktemp("mariadumps"))
    finally:
        with conn.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


def throwaways(server: str, pid: int | None = None) -> list[str]:
    """Drill databases on the machine's PostgreSQL ("pg") or MariaDB ("maria") made by process `pid` (default: this one).

    Drills mark their database with their process; other engineers' drills on the shared servers are not ours.
    """
    if server == "pg":
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres") as conn:
            rows = conn.execute("SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
                                "WHERE datname LIKE 'opsv_restore_%'").fetchall()
    else:
        conn = pymysql.connect(host="127.0.0.1", user="root")
        with conn.cursor() as cursor:
            cursor.execute("SELECT schema_name, schema_comment FROM information_schema.schemata "
                           "WHERE schema_name LIKE 'opsv\\_restore\\_%'")
            rows = cursor.fetchall()
        conn.close()
    return [name for name, marker in rows if _maker(marker) == (os.getpid() if pid is None else pid)]


def _maker(marker: str | None) -> int | None:
    """The process id of the drill that marked a throwaway database."""
    try:
        return int(json.loads(marker or "")["pids"][0][0])
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def roles(server: str, names: list[str]) -> list[str]:
    """Which of these drill roles (PostgreSQL) or users (MariaDB) exist."""
    if server == "pg":
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres") as conn:
            rows = conn.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", (names,)).fetchall()
    else:
        conn = pymysql.connect(host="127.0.0.1", user="root")
        with conn.cursor() as cursor:
            cursor.execute("SELECT DISTINCT user FROM mysql.user WHERE user IN %s", (names or [""],))
            rows = cursor.fetchall()
        conn.close()
    return sorted(row[0] for row in rows)


@pytest.fixture(autouse=True, scope="module")
def no_throwaway_left() -> Iterator[None]:
    """After each module: no drill database of this process is left on the machine's PostgreSQL or MariaDB."""
    yield
    for server, address in (("pg", POSTGRES), ("maria", MARIADB)):
        if reachable(*address):
            assert throwaways(server) == [], f"drill databases left on {server}"
