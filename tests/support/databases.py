"""Throwaway databases on the machine's MariaDB and PostgreSQL, made from CREATE TABLE statements and dropped after."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import pymysql

from tests.services import MARIADB, POSTGRES, need

FRAPPE_TABLES = (  # a Frappe site's tabSingles, tabError Log and tabScheduled Job Log, as Frappe creates them
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
