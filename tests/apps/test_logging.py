"""Laravel's log channel and level on a real local host: .env and the cached config in temporary folders."""

from __future__ import annotations

from pathlib import Path

from opsverify.checks.apps.logconfig import log_settings
from opsverify.result import Status
from tests.apps.helpers import check_app

SECRET = "base64:c2VjcmV0LWtleS1kby1ub3Qtc2hvdw=="
WEBHOOK = "https://hooks.slack.com/services/T000/B000/not-a-real-webhook"
ALLOWED = "allowed in production: info, notice, warning, error"
CACHED = "the cached config Laravel reads instead of .env"
CACHE = """<?php return array (
  'app' => 
  array (
    'name' => 'Print Shop',
    'env' => 'production',
    'debug' => false,
    'key' => '""" + SECRET + """',
  ),
  'logging' => 
  array (
    'default' => '{default}',
    'deprecations' => 
    array (
      'channel' => NULL,
      'trace' => false,
    ),
    'channels' => 
    array (
      'stack' => 
      array (
        'driver' => 'stack',
        'channels' => 
        array (
          0 => 'single',
          1 => 'slack',
        ),
        'ignore_exceptions' => false,
      ),
      'single' => 
      array (
        'driver' => 'single',
        'path' => '/var/www/shop/storage/logs/laravel.log',
        'level' => '{level}',
        'replace_placeholders' => true,
      ),
      'slack' => 
      array (
        'driver' => 'slack',
        'url' => '""" + WEBHOOK + """',
        'username' => 'Laravel Log',
        'emoji' => ':boom:',
        'level' => 'critical',
        'replace_placeholders' => true,
      ),
      'null' => 
      array (
        'driver' => 'monolog',
        'handler' => 'Monolog\\\\Handler\\\\NullHandler',
      ),
    ),
  ),
);
"""


def laravel(root: Path, env: str | None, *, level: str | None = None, default: str = "stack") -> Path:
    """A Laravel app folder with this .env text (after APP_KEY) and, given a level, a cached config."""
    (root / "bootstrap" / "cache").mkdir(parents=True)
    if env is not None:
        (root / ".env").write_text(f"APP_ENV=production\nAPP_KEY={SECRET}\nDB_PASSWORD=hunter2\n{env}")
    if level is not None:
        (root / "bootstrap" / "cache" / "config.php").write_text(CACHE.replace("{level}", level)
                                                                 .replace("{default}", default))
    return root


def check(root: Path, *, production: bool = True, keys: str = "") -> object:
    """log_settings on a local Laravel app at root."""
    result = check_app(log_settings, f"apps: [{{name: shop, framework: laravel, root: '{root}'{keys}}}]",
                       production=production)
    assert SECRET not in str(result) and "hunter2" not in str(result) and WEBHOOK not in str(result)
    return result


def test_log_level_debug_in_production_fails(tmp_path: Path) -> None:
    root = laravel(tmp_path, "LOG_CHANNEL=stack\nLOG_LEVEL=debug\n")
    result = check(root)
    assert (result.status, result.reason) == (Status.FAILED, f"LOG_LEVEL=debug in {root}/.env; {ALLOWED}")
    assert result.evidence["LOG_LEVEL"] == "debug" and "APP_KEY" not in result.evidence


def test_error_level_on_a_stack_passes(tmp_path: Path) -> None:
    root = laravel(tmp_path, "LOG_CHANNEL=stack\nLOG_LEVEL=error\n")
    result = check(root)
    assert (result.status, result.reason) == (Status.PASSED, f"LOG_CHANNEL=stack, LOG_LEVEL=error in {root}/.env")


def test_no_log_level_means_debug(tmp_path: Path) -> None:
    root = laravel(tmp_path, "LOG_CHANNEL=daily\n")
    failing = check(root)
    assert (failing.status, failing.reason) == (
        Status.FAILED, f"no LOG_LEVEL (so Laravel logs at debug) in {root}/.env; {ALLOWED}")
    staging = check(root, production=False)
    assert (staging.status, staging.reason) == (
        Status.PASSED, f"LOG_CHANNEL=daily, no LOG_LEVEL (so Laravel logs at debug) in {root}/.env")


def test_a_level_above_error_drops_errors(tmp_path: Path) -> None:
    root = laravel(tmp_path, "LOG_CHANNEL=stack\nLOG_LEVEL=critical\n")
    result = check(root)
    assert (result.status, result.reason) == (
        Status.FAILED, f"LOG_LEVEL=critical in {root}/.env; error messages are not logged; {ALLOWED}")


def test_an_unknown_level_fails(tmp_path: Path) -> None:
    root = laravel(tmp_path, "LOG_CHANNEL=stack\nLOG_LEVEL=verbose\n")
    result = check(root)
    assert (result.status, result.reason) == (
        Status.FAILED, f"LOG_LEVEL=verbose in {root}/.env, which is not a log level (Laravel knows debug, info, "
                       "notice, warning, error, critical, alert, emergency)")


def test_the_null_channel_fails_and_a_missing_channel_warns(tmp_path: Path) -> None:
    null = laravel(tmp_path / "a", "LOG_CHANNEL=null\nLOG_LEVEL=error\n")
    result = check(null)
    assert (result.status, result.reason) == (
        Status.FAILED, f"LOG_CHANNEL=null in {null}/.env: Laravel discards every log message")
    unset = laravel(tmp_path / "b", "LOG_LEVEL=error\n")
    result = check(unset)
    assert (result.status, result.reason) == (
        Status.WARNING, f"no LOG_CHANNEL in {unset}/.env: Laravel falls back to config/logging.php's default "
                        "(stack in a new app); set LOG_CHANNEL so the channel is explicit")


def test_levels_can_be_listed(tmp_path: Path) -> None:
    root = laravel(tmp_path, "LOG_CHANNEL=stack\nLOG_LEVEL=warning\n")
    result = check(root, keys=", log_levels: [error, critical]")
    assert (result.status, result.reason) == (
        Status.FAILED, f"LOG_LEVEL=warning in {root}/.env; allowed: error, critical")


def test_a_cached_debug_channel_fails_whatever_env_says(tmp_path: Path) -> None:
    root = laravel(tmp_path, "LOG_CHANNEL=stack\nLOG_LEVEL=error\n", level="debug")
    result = check(root)
    assert (result.status, result.reason) == (
        Status.FAILED, f"log channel single logs at debug in {root}/bootstrap/cache/config.php, {CACHED}; {ALLOWED}")
    assert result.evidence["channels"] == {"single": "debug", "slack": "critical"}


def test_a_cached_stack_passes_with_slack_at_critical_and_warns_of_a_debug_env(tmp_path: Path) -> None:
    root = laravel(tmp_path / "a", "LOG_CHANNEL=stack\nLOG_LEVEL=error\n", level="error")
    result = check(root)
    assert (result.status, result.reason) == (
        Status.PASSED, f"log channel stack (single: error, slack: critical) in {root}/bootstrap/cache/config.php")
    pending = laravel(tmp_path / "b", "LOG_CHANNEL=stack\nLOG_LEVEL=debug\n", level="error")
    result = check(pending)
    assert (result.status, result.reason) == (
        Status.WARNING, f"LOG_LEVEL=debug in {pending}/.env; {ALLOWED} (not in effect while "
                        f"{pending}/bootstrap/cache/config.php wins, but the next `php artisan config:cache` puts it "
                        "in effect)")


def test_a_cached_config_without_a_channel_at_an_allowed_level_fails(tmp_path: Path) -> None:
    root = laravel(tmp_path, None, level="alert")
    result = check(root)
    assert (result.status, result.reason) == (
        Status.FAILED, f"log channel stack (single: alert, slack: critical) in {root}/bootstrap/cache/config.php, "
                       f"{CACHED}; error messages are not logged; {ALLOWED}")


def test_a_cached_null_channel_discards_everything(tmp_path: Path) -> None:
    root = laravel(tmp_path, None, level="error", default="null")
    result = check(root)
    assert (result.status, result.reason) == (
        Status.FAILED, f"log channel null discards every message in {root}/bootstrap/cache/config.php, {CACHED}")


def test_an_unreadable_cached_config_is_an_error(tmp_path: Path) -> None:
    root = laravel(tmp_path, "LOG_CHANNEL=stack\nLOG_LEVEL=error\n")
    (root / "bootstrap" / "cache" / "config.php").write_text("<?php return new Config();\n")
    result = check(root)
    assert (result.status, result.reason) == (
        Status.ERROR, f"{root}/bootstrap/cache/config.php is not a config:cache file opsverify can read: "
                      "unexpected 'new Config();'")


def test_other_frameworks_are_skipped(tmp_path: Path) -> None:
    result = check_app(log_settings, f"apps: [{{name: api, framework: node, root: '{tmp_path}'}}]")
    assert (result.status, result.reason) == (Status.SKIPPED, "log settings are read for laravel apps; api is node")


def test_a_cached_stack_without_channels_logs_nothing(tmp_path: Path) -> None:
    root = laravel(tmp_path, None, level="error")
    cache = root / "bootstrap" / "cache" / "config.php"
    cache.write_text(cache.read_text().replace("          0 => 'single',\n          1 => 'slack',\n", ""))
    result = check(root)
    assert (result.status, result.reason) == (
        Status.FAILED, f"log channel stack writes to no channel in {cache}, {CACHED}")
