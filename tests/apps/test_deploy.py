"""A deployment carried through: composer's install, migrations against a real table, caches against their sources."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from opsverify.checks.apps.deploy import caches, dev_packages, migrations
from opsverify.result import Status
from tests.support.databases import Db
from tests.apps.helpers import check_app
from tests.support.net import free_port
from tests.support.sshd import sshd  # noqa: F401 - fixture

RAN = ("2014_10_12_000000_create_users_table", "2019_08_19_000000_create_failed_jobs_table",
       "2026_01_05_120000_create_orders_table")
NEW = ("2026_11_20_000000_add_index_to_orders", "2026_11_21_093000_create_quotes_table")


def app_folder(root: Path, *migration_files: str) -> Path:
    """A Laravel app folder whose database/migrations holds these files (and a file Laravel's glob skips)."""
    folder = root / "database" / "migrations"
    folder.mkdir(parents=True)
    for name in migration_files:
        (folder / f"{name}.php").write_text("<?php\n\nreturn new class extends Migration {};\n")
    (folder / "README.md").write_text("not a migration")
    return root


def ran(db: Db, *names: str) -> None:
    """Rows in the migrations table, as `php artisan migrate` writes them."""
    for name in names:
        db.run("INSERT INTO migrations (migration, batch) VALUES (%s, 1)", name)


def check_migrations(db: Db, root: Path) -> object:
    """migrations() on a local app at root using this database."""
    return check_app(migrations, f"databases: [{{name: shop-db, url: '{db.url}', timeout: 5s}}]\n"
                                 f"apps: [{{name: shop, framework: laravel, root: '{root}', database: shop-db}}]")


def test_migrations_not_run_fail_naming_them(tmp_path: Path, migrations_db: Db) -> None:
    ran(migrations_db, *RAN)
    result = check_migrations(migrations_db, app_folder(tmp_path, *RAN, *NEW))
    assert (result.status, result.reason) == (
        Status.FAILED, "2 migrations not run on shop: 2026_11_20_000000_add_index_to_orders, "
                       "2026_11_21_093000_create_quotes_table")
    assert result.evidence["pending"] == list(NEW) and result.evidence["files"] == 5


def test_all_migrations_run_passes_even_with_squashed_rows(tmp_path: Path, migrations_db: Db) -> None:
    ran(migrations_db, "2013_01_01_000000_squashed_long_ago", *RAN, *NEW)
    root = app_folder(tmp_path, *RAN, *NEW)
    result = check_migrations(migrations_db, root)
    assert (result.status, result.reason) == (
        Status.PASSED, f"all 5 migrations in {root}/database/migrations have run on shop")


def test_many_pending_migrations_are_counted(tmp_path: Path, migrations_db: Db) -> None:
    pending = [f"2026_11_2{i}_000000_step_{i}" for i in range(7)]
    result = check_migrations(migrations_db, app_folder(tmp_path, *pending))
    assert result.status is Status.FAILED
    assert result.reason == ("7 migrations not run on shop: " + ", ".join(pending[:5]) + ", and 2 more")


def test_no_migrations_folder_is_an_error(tmp_path: Path) -> None:
    result = check_migrations(Db("sqlite://", None), tmp_path)  # the folder is listed before the database is asked
    assert (result.status, result.reason) == (
        Status.ERROR, f"cannot list {tmp_path}/database/migrations on local: No such file or directory")


def test_an_unreachable_database_is_an_error(tmp_path: Path) -> None:
    port = free_port()
    result = check_app(migrations, f"databases: [{{name: shop-db, url: 'mysql://root@127.0.0.1:{port}/shop', "
                                   f"timeout: 2s}}]\napps: [{{name: shop, framework: laravel, root: "
                                   f"'{app_folder(tmp_path, *RAN)}', database: shop-db}}]")
    assert (result.status, result.reason) == (Status.ERROR, f"connection refused on 127.0.0.1:{port}")


@pytest.fixture(params=["local", "ssh"])
def host_yaml(request: pytest.FixtureRequest) -> str:
    """The `hosts:` line and the app's `host` key: this machine, or the real sshd's ssh:// target."""
    if request.param == "local":
        return ""
    return f"hosts: [{{name: web1, target: '{request.getfixturevalue('sshd').target}'}}]\n"


def laravel_tree(root: Path, *, age: float) -> Path:
    """An app with .env, config/, routes/ and both caches; the sources `age` seconds older than the caches."""
    built = time.time() - 3600
    files = {".env": "APP_ENV=production\n", "config/app.php": "<?php return [];", "config/services/stripe.php":
             "<?php return [];", "routes/web.php": "<?php", "routes/api.php": "<?php"}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
        os.utime(root / name, (built - age, built - age))
    for cache in ("config.php", "routes-v7.php"):
        (root / "bootstrap" / "cache").mkdir(parents=True, exist_ok=True)
        (root / "bootstrap" / "cache" / cache).write_text("<?php return array (\n);\n")
        os.utime(root / "bootstrap" / "cache" / cache, (built, built))
    return root


def touch(path: Path, seconds_after_the_cache: float) -> None:
    """Change a source's time to this long after the caches were built."""
    stamp = time.time() - 3600 + seconds_after_the_cache
    os.utime(path, (stamp, stamp))


def check_caches(root: Path, hosts: str) -> object:
    """caches() on an app at root, on this machine or through ssh."""
    host = ", host: web1" if hosts else ""
    return check_app(caches, f"{hosts}apps: [{{name: shop, framework: laravel, root: '{root}'{host}}}]")


def test_a_config_cache_older_than_env_fails(tmp_path: Path, host_yaml: str) -> None:
    root = laravel_tree(tmp_path, age=60)
    touch(root / ".env", 2 * 3600 - 1800)
    result = check_caches(root, host_yaml)
    assert (result.status, result.reason) == (
        Status.FAILED, f"{root}/bootstrap/cache/config.php is 90m older than {root}/.env: "
                       "run php artisan config:cache")


def test_a_route_cache_older_than_routes_fails_counting_them(tmp_path: Path) -> None:
    root = laravel_tree(tmp_path, age=60)
    touch(root / "routes" / "web.php", 300)
    touch(root / "routes" / "api.php", 30)
    touch(root / "config" / "services" / "stripe.php", 45)
    result = check_caches(root, "")
    assert result.status is Status.FAILED
    assert result.reason == (f"{root}/bootstrap/cache/config.php is 45s older than {root}/config/services/stripe.php: "
                             "run php artisan config:cache | "
                             f"{root}/bootstrap/cache/routes-v7.php is 5m older than {root}/routes/web.php (and 1 more "
                             "changed file): run php artisan route:cache")


def test_fresh_caches_pass(tmp_path: Path, host_yaml: str) -> None:
    root = laravel_tree(tmp_path, age=60)
    (root / "routes" / "notes.txt").write_text("not a route file")  # only .php files are sources
    result = check_caches(root, host_yaml)
    assert (result.status, result.reason) == (
        Status.PASSED, f"{root}/bootstrap/cache/config.php and {root}/bootstrap/cache/routes-v7.php newer than the "
                       "files they are built from")


def test_no_caches_pass_saying_so(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("APP_ENV=production\n")
    result = check_caches(tmp_path, "")
    assert (result.status, result.reason) == (
        Status.PASSED, f"no config or route cache in {tmp_path}/bootstrap/cache: Laravel reads .env, config/ and "
                       "routes/ as they are")


def composer_install(root: Path, *, dev: bool | None) -> Path:
    """vendor/composer/installed.json as Composer 2 writes it (`dev` None: Composer 1's plain list)."""
    runtime = ("laravel/framework", "guzzlehttp/guzzle", "monolog/monolog")
    installed = ("fakerphp/faker", "mockery/mockery", "phpunit/phpunit") if dev else ()
    packages = [{"name": n, "version": "1.0.0", "type": "library", "install-path": f"../{n}"}
                for n in (*runtime, *installed)]
    (root / "vendor" / "composer").mkdir(parents=True)
    document = packages if dev is None else {"packages": packages, "dev": dev,
                                             "dev-package-names": list(installed)}
    (root / "vendor" / "composer" / "installed.json").write_text(json.dumps(document, indent=4))
    return root


def check_install(root: Path) -> object:
    """dev_packages() on a local app at root."""
    return check_app(dev_packages, f"apps: [{{name: shop, framework: laravel, root: '{root}'}}]")


def test_an_install_with_dev_packages_fails_naming_them(tmp_path: Path) -> None:
    root = composer_install(tmp_path, dev=True)
    result = check_install(root)
    assert (result.status, result.reason) == (
        Status.FAILED, f"{root}/vendor/composer/installed.json shows an install with dev packages (3 dev packages: "
                       "fakerphp/faker, mockery/mockery, phpunit/phpunit); deploy with composer install --no-dev")


def test_a_no_dev_install_passes(tmp_path: Path) -> None:
    root = composer_install(tmp_path, dev=False)
    result = check_install(root)
    assert (result.status, result.reason) == (
        Status.PASSED, f"{root}/vendor/composer/installed.json shows an install without dev packages (3 packages)")


def test_no_install_or_composer_1_cannot_be_judged_and_is_an_error(tmp_path: Path) -> None:
    none = check_install(tmp_path)
    assert (none.status, none.reason) == (
        Status.ERROR, f"there is no {tmp_path}/vendor/composer/installed.json on local: composer has not installed "
                      "this folder's packages, so the install cannot be judged")
    old = check_install(composer_install(tmp_path / "old", dev=None))
    assert (old.status, old.reason) == (
        Status.ERROR, f"{tmp_path}/old/vendor/composer/installed.json does not say whether dev packages were "
                        "installed (Composer 1 does not record it)")


def npm_install(root: Path, dev: bool) -> Path:
    """node_modules/.package-lock.json as npm 10 wrote it for is-number (a dependency) and is-odd (a devDependency),
    after `npm ci --omit=dev` (dev False) or a plain `npm install` (dev True)."""
    packages = {"node_modules/is-number": {"version": "7.0.0", "license": "MIT", "engines": {"node": ">=0.12.0"}}}
    if dev:
        packages["node_modules/is-odd"] = {"version": "3.0.1", "dev": True, "license": "MIT",
                                           "dependencies": {"is-number": "^6.0.0"}, "engines": {"node": ">=4"}}
        packages["node_modules/is-odd/node_modules/is-number"] = {"version": "6.0.0", "dev": True, "license": "MIT"}
        packages["node_modules/@types/node"] = {"version": "22.10.0", "dev": True, "license": "MIT"}
    (root / "node_modules").mkdir(parents=True)
    (root / "node_modules" / ".package-lock.json").write_text(json.dumps(
        {"name": "booking-api", "version": "1.0.0", "lockfileVersion": 3, "requires": True, "packages": packages},
        indent=2))
    return root


def check_npm(root: Path, framework: str = "node") -> object:
    """dev_packages() on a local Node app at root."""
    return check_app(dev_packages, f"apps: [{{name: booking-api, framework: {framework}, root: '{root}'}}]")


def test_a_node_install_with_dev_packages_fails_naming_them(tmp_path: Path) -> None:
    root = npm_install(tmp_path, dev=True)
    for framework in ("node", "nextjs"):
        result = check_npm(root, framework)
        assert (result.status, result.reason) == (
            Status.FAILED, f"{root}/node_modules/.package-lock.json shows an install with dev packages (3 dev "
                           "packages: @types/node@22.10.0, is-number@6.0.0, is-odd@3.0.1); deploy with npm ci "
                           "--omit=dev")


def test_a_node_install_without_dev_packages_passes(tmp_path: Path) -> None:
    root = npm_install(tmp_path, dev=False)
    result = check_npm(root)
    assert (result.status, result.reason) == (
        Status.PASSED, f"{root}/node_modules/.package-lock.json shows an install without dev packages (1 package)")


def test_a_node_folder_npm_did_not_install_and_a_broken_record_cannot_be_checked(tmp_path) -> None:
    none = check_npm(tmp_path)
    assert (none.status, none.reason) == (
        Status.ERROR, f"there is no {tmp_path}/node_modules/.package-lock.json on local: npm has not installed this "
                      "folder's packages (npm 7 and later write it; yarn and pnpm installs are not read), so the "
                      "install cannot be judged")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / ".package-lock.json").write_text('{"lockfileVersion": 3}')
    broken = check_npm(tmp_path)
    assert (broken.status, broken.reason) == (
        Status.ERROR, f"{tmp_path}/node_modules/.package-lock.json has no packages object, as npm 7 "
                      "and later write it")
