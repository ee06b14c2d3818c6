"""Debug mode on a real local host: .env, the cached config and Frappe's site configs in temporary folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opsverify.checks.apps.config import debug_off, dotenv, laravel_true
from opsverify.result import Status
from tests.apps.helpers import check_app
from tests.support.net import free_port

SECRET = "base64:c2VjcmV0LWtleS1kby1ub3Qtc2hvdw=="
ENV = f"""# production settings
APP_NAME="Print Shop"
APP_ENV=production
APP_KEY={SECRET}
APP_DEBUG={{debug}}
DB_PASSWORD='hunter2 # not a comment'
"""
CACHE = """<?php return array (
  'app' => 
  array (
    'name' => 'Print Shop',
    'env' => '{env}',
    'debug' => {debug},
    'key' => '""" + SECRET + """',
  ),
  'logging' => 
  array (
    'debug' => true,
  ),
);
"""


def laravel(root: Path, *, debug: str | None = "false", cache: str | None = None, env: str = "production") -> Path:
    """A Laravel app folder with a .env (APP_DEBUG as given) and optionally a cached config."""
    (root / "bootstrap" / "cache").mkdir(parents=True)
    if debug is not None:
        (root / ".env").write_text(ENV.format(debug=debug).replace("APP_ENV=production", f"APP_ENV={env}"))
    if cache is not None:
        (root / "bootstrap" / "cache" / "config.php").write_text(CACHE.format(debug=cache, env=env))
    return root


def check_laravel(root: Path, **keys: str) -> object:
    """debug_off on a local Laravel app at root."""
    extra = "".join(f", {k}: {v}" for k, v in keys.items())
    return check_app(debug_off, f"apps: [{{name: shop, framework: laravel, root: '{root}'{extra}}}]",
                     production=True)


def test_app_debug_true_in_env_fails_naming_the_file_and_app_env(tmp_path: Path) -> None:
    root = laravel(tmp_path, debug="true")
    result = check_laravel(root)
    assert result.status is Status.FAILED
    assert result.reason == f"APP_DEBUG=true in {root}/.env (APP_ENV=production)"
    assert SECRET not in str(result) and "hunter2" not in str(result)


def test_app_debug_false_passes(tmp_path: Path) -> None:
    root = laravel(tmp_path, debug="false")
    result = check_laravel(root)
    assert (result.status, result.reason) == (Status.PASSED, f"APP_DEBUG=false in {root}/.env (APP_ENV=production)")


def test_a_value_php_reads_as_true_fails_with_the_rule(tmp_path: Path) -> None:
    result = check_laravel(laravel(tmp_path, debug="off"))
    assert result.status is Status.FAILED
    assert result.reason.endswith("; Laravel reads any value but false, 0, empty or null as on")


def test_app_env_local_in_a_production_environment_fails(tmp_path: Path) -> None:
    root = laravel(tmp_path, debug="false", env="local")
    result = check_laravel(root)
    assert result.status is Status.FAILED
    assert result.reason == (f"APP_ENV=local in {root}/.env; a production environment must run with "
                             "APP_ENV=production; under local, Telescope and Horizon let anyone in")


def test_a_cached_config_with_debug_true_wins_over_env(tmp_path: Path) -> None:
    root = laravel(tmp_path, debug="false", cache="true")
    result = check_laravel(root)
    assert result.status is Status.FAILED
    assert result.reason == (f"'debug' => true in {root}/bootstrap/cache/config.php, the cached config Laravel "
                             "reads instead of .env (APP_ENV=production)")
    assert SECRET not in str(result)


def test_a_cached_config_with_debug_false_passes_and_warns_of_a_true_env(tmp_path: Path) -> None:
    cached = check_laravel(laravel(tmp_path / "a", debug="false", cache="false"))
    assert (cached.status, cached.reason) == (
        Status.PASSED, f"'debug' => false in {tmp_path}/a/bootstrap/cache/config.php (APP_ENV=production)")
    pending = check_laravel(laravel(tmp_path / "b", debug="true", cache="false"))
    assert pending.status is Status.WARNING
    assert pending.reason.startswith(f"APP_DEBUG=true in {tmp_path}/b/.env is not in effect")


def test_no_env_file_is_an_error_with_the_reason(tmp_path: Path) -> None:
    root = laravel(tmp_path, debug=None)
    result = check_laravel(root)
    assert result.status is Status.ERROR
    assert result.reason == (f"there is no {root}/.env (nor a cached config) on local: "
                             "is root the Laravel app's folder?")


def test_an_unreachable_host_is_an_error(tmp_path: Path) -> None:
    port = free_port()
    result = check_app(debug_off, f"hosts: [{{name: web1, target: 'ssh://root@127.0.0.1:{port}?timeout=2'}}]\n"
                                  f"apps: [{{name: shop, framework: laravel, host: web1, root: '{tmp_path}'}}]")
    assert (result.status, result.reason) == (Status.ERROR, f"connection refused on 127.0.0.1:{port}")


@pytest.mark.parametrize(("text", "expected"), [
    ('APP_DEBUG="true" # on for now\n', "true"),
    ("export APP_DEBUG=false\n", "false"),
    ("#APP_DEBUG=true\nAPP_DEBUG = (false)  # comment\n", "(false)"),
    ("APP_DEBUG=false\nAPP_DEBUG=true\n", "false"),  # phpdotenv: the first definition wins
    ("APP_DEBUG='#1'\n", "#1"),
])
def test_dotenv_reads_quotes_comments_and_export(text: str, expected: str) -> None:
    assert dotenv(text)["APP_DEBUG"] == expected


def test_laravel_truth_follows_env_then_php() -> None:
    assert [laravel_true(v) for v in ("true", "(true)", "1", "on", "yes", "off")] == [True] * 6
    assert [laravel_true(v) for v in ("false", "(false)", "0", "", "null", "empty", None)] == [False] * 7


def frappe(bench: Path, site: dict | None, common: dict | None = None) -> Path:
    """A bench folder with sites/erp.example.org/site_config.json and optionally common_site_config.json."""
    (bench / "sites" / "erp.example.org").mkdir(parents=True)
    if site is not None:
        (bench / "sites" / "erp.example.org" / "site_config.json").write_text(
            json.dumps({"db_name": "_1bd3e0294da19198", "db_password": "hunter2", **site}))
    if common is not None:
        (bench / "sites" / "common_site_config.json").write_text(json.dumps(common))
    return bench


def check_frappe(bench: Path) -> object:
    """debug_off on a local Frappe bench."""
    return check_app(debug_off, f"apps: [{{name: erp, framework: frappe, root: '{bench}', site: erp.example.org}}]")


def test_frappe_developer_mode_on_fails(tmp_path: Path) -> None:
    result = check_frappe(frappe(tmp_path, {"developer_mode": 1}))
    assert result.status is Status.FAILED
    assert result.reason == f"developer_mode is 1 in {tmp_path}/sites/erp.example.org/site_config.json"
    assert "hunter2" not in str(result)


def test_frappe_developer_mode_from_common_config_fails_unless_the_site_turns_it_off(tmp_path: Path) -> None:
    common = check_frappe(frappe(tmp_path / "a", {}, {"developer_mode": 1}))
    assert (common.status, common.reason) == (
        Status.FAILED, f"developer_mode is 1 in {tmp_path}/a/sites/common_site_config.json")
    overridden = check_frappe(frappe(tmp_path / "b", {"developer_mode": 0}, {"developer_mode": 1}))
    assert overridden.status is Status.PASSED


def test_frappe_without_developer_mode_passes(tmp_path: Path) -> None:
    result = check_frappe(frappe(tmp_path, {}, {"redis_queue": "redis://127.0.0.1:11000"}))
    assert (result.status, result.reason) == (Status.PASSED, "developer_mode is not set for erp.example.org, so "
                                                             "it is off")


def test_frappe_without_the_sites_config_is_an_error(tmp_path: Path) -> None:
    result = check_frappe(frappe(tmp_path, None))
    assert result.status is Status.ERROR
    assert result.reason == (f"there is no {tmp_path}/sites/erp.example.org/site_config.json on local: is root the "
                             "bench folder and erp.example.org a site of it?")


def test_other_frameworks_are_skipped_with_the_reason(tmp_path: Path) -> None:
    result = check_app(debug_off, f"apps: [{{name: api, framework: node, root: '{tmp_path}'}}]")
    assert (result.status, result.reason) == (Status.SKIPPED, "debug settings are read for laravel and frappe apps; "
                                                              "api is node")
