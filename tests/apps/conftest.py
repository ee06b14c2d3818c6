"""Throwaway databases on MariaDB and PostgreSQL: a Frappe site's tables, Laravel's failed_jobs and migrations."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.plugin.conftest import reports  # noqa: F401 - fixture
from tests.support.databases import FRAPPE_TABLES, Db, throwaway

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
