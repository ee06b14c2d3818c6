"""Throwaway databases on MariaDB and PostgreSQL: a Frappe site's tables, Laravel's failed_jobs and migrations."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import pymysql
import pytest

from tests.plugin.conftest import reports  # noqa: F401 - fixture
from tests.services import MARIADB, POSTGRES, need

FRAPPE_TABLES = (
    """CREATE TABLE `tabSingles` (`doctype` varchar(255) DEFAULT NULL, `field` varchar(255) DEFAULT NULL,
       `value` text DEFAULT NULL, KEY `singles_doctype_field_index` (`doctype`, `field`))
       ENGINE=InnoDB ROW_FORMAT=DYNAMIC DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
    """CREATE TABLE `tabError Log` (`name` varchar(140) NOT NULL, `creation` datetime(6) DEFAULT NULL,
       `modified` datetime(6) DEFAULT NULL, `modified_by` varchar(140) DEFAULT NULL, `owner` varchar(140) DEFAULT NULL,
       `docstatus` int(1) NOT NULL DEFAULT 0, `idx` int(8) NOT NULL DEFAULT 0, `seen` int(1) NOT NULL DEFAULT 0,
       `reference_doctype` varchar(140) DEFAULT NULL, `reference_name` varchar(140) DEFAULT NULL,
       `method` varchar(140) DEFAULT NULL, `error` longtext DEFAULT NULL, `trace_id` varchar(140) DEFAULT NULL,
       PRIMARY KEY (`name`), KEY `modified` (`modified`))
       ENGINE=InnoDB ROW_FORMAT=DYNAMIC DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
    """CREATE TABLE `tabScheduled Job Log` (`name` varchar(140) NOT NULL, `creation` datetime(6) DEFAULT NULL,
       `modified` datetime(6) DEFAULT NULL, `modified_by` varchar(140) DEFAULT NULL, `owner` varchar(140) DEFAULT NULL,
       `docstatus` int(1) NOT NULL DEFAULT 0, `idx` int(8) NOT NULL DEFAULT 0, `status` varchar(140) DEFAULT NULL,
       `scheduled_job_type` varchar(140) DEFAULT NULL, `details` longtext DEFAULT NULL, `debug_log` longtext DEFAULT NULL,
       PRIMARY KEY (`name`), KEY `modified` (`modified`))
       ENGINE=InnoDB ROW_FORMAT=DYNAMIC DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
)
LARAVEL_TABLE = {  # Laravel's own migration, as `php artisan migrate` creates it on each server
    "mariadb": """CREATE TABLE `failed_jobs` (`id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
       `uuid` varchar(255) NOT NULL, `connection` text NOT NULL, `queue` text NOT NULL, `payload` longtext NOT NULL,
       `exception` longtext NOT NULL, `failed_at` timestamp NOT NULL DEFAULT current_timestamp(),
       PRIMARY KEY (`id`), UNIQUE KEY `failed_jobs_uuid_unique` (`uuid`))
       ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
    "postgresql": """CREATE TABLE failed_jobs (id bigserial PRIMARY KEY, uuid varchar(255) NOT NULL UNIQUE,
       connection text NOT NULL, queue text NOT NULL, payload text NOT NULL, exception text NOT NULL,
       failed_at timestamp(0) without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP)""",
}

MIGRATIONS_TABLE = {  # as `php artisan migrate` creates it
    "mariadb": """CREATE TABLE `migrations` (`id` int(10) unsigned NOT NULL AUTO_INCREMENT,
       `migration` varchar(255) NOT NULL, `batch` int(11) NOT NULL, PRIMARY KEY (`id`))
       ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
    "postgresql": """CREATE TABLE migrations (id serial PRIMARY KEY, migration varchar(255) NOT NULL,
       batch integer NOT NULL)""",
}


@dataclass
class Db:
    """A throwaway database: its SQLAlchemy URL and an autocommit connection to fill it (%s placeholders)."""

    url: str
    conn: Any

    def run(self, sql: str, *args: Any) -> None:
        """Execute one statement."""
        self.conn.cursor().execute(sql, args)


def _admin(kind: str) -> Any:
    """An autocommit superuser connection to the machine's MariaDB or PostgreSQL."""
    if kind == "mariadb":
        need("MariaDB", MARIADB)
        return pymysql.connect(host=MARIADB[0], port=MARIADB[1], user="root", autocommit=True)
    need("PostgreSQL", POSTGRES)
    return psycopg.connect(host=POSTGRES[0], port=POSTGRES[1], user="postgres", autocommit=True)


@contextmanager
def throwaway(kind: str, prefix: str, tables: tuple[str, ...]) -> Iterator[Db]:
    """A database `<prefix><random>` on MariaDB or PostgreSQL with these tables, dropped afterwards."""
    name = f"{prefix}{uuid.uuid4().hex[:10]}"
    with closing(_admin(kind)) as admin:
        admin.cursor().execute(f"CREATE DATABASE {name}")
    if kind == "mariadb":
        conn: Any = pymysql.connect(host=MARIADB[0], port=MARIADB[1], user="root", database=name, autocommit=True)
        url = f"mysql://root@{MARIADB[0]}:{MARIADB[1]}/{name}"
    else:
        conn = psycopg.connect(host=POSTGRES[0], port=POSTGRES[1], user="postgres", dbname=name, autocommit=True)
        url = f"postgresql://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{name}"
    try:
        for table in tables:
            conn.cursor().execute(table)
        yield Db(url, conn)
    finally:
        conn.close()
        with closing(_admin(kind)) as admin:
            admin.cursor().execute(f"DROP DATABASE {name}" + (" WITH (FORCE)" if kind == "postgresql" else ""))


@pytest.fixture
def frappe_db() -> Iterator[Db]:
    """A MariaDB database `opsv_frappe_<random>` with Frappe's tabSingles, tabError Log and tabScheduled Job Log."""
    with throwaway("mariadb", "opsv_frappe_", FRAPPE_TABLES) as db:
        yield db


@pytest.fixture(params=["mariadb", "postgresql"])
def laravel_db(request: pytest.FixtureRequest) -> Iterator[Db]:
    """A database `opsv_laravel_<random>` with Laravel's failed_jobs table, on MariaDB and on PostgreSQL."""
    with throwaway(request.param, "opsv_laravel_", (LARAVEL_TABLE[request.param],)) as db:
        yield db


@pytest.fixture(params=["mariadb", "postgresql"])
def migrations_db(request: pytest.FixtureRequest) -> Iterator[Db]:
    """A database `opsv_migrated_<random>` with Laravel's migrations table, on MariaDB and on PostgreSQL."""
    with throwaway(request.param, "opsv_migrated_", (MIGRATIONS_TABLE[request.param],)) as db:
        yield db
