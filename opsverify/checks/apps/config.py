"""Debug mode left on: Laravel's APP_DEBUG (.env, or the cached config that wins over it), Frappe's developer_mode.

The files read hold secrets (APP_KEY, database passwords): this check looks at and reports only
APP_DEBUG, APP_ENV and developer_mode. `laravel()` reads .env and the cached config for the other
Laravel checks, which report only their own settings.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from opsverify.checks import CheckError, probe
from opsverify.checks.apps import host_of, read, under
from opsverify.checks.apps.phpconfig import NotPhpConfig, dig, literal, parse
from opsverify.context import RunContext
from opsverify.result import Result, failed, passed, skipped, warning
from opsverify.spec.models.apps import App
from opsverify.spec.models.hosts import Host

ENV_FILE = ".env"
CONFIG_CACHE = "bootstrap/cache/config.php"
_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$")
_FALSE_WORDS = {"false", "(false)", "empty", "(empty)", "null", "(null)", "", "0"}  # Laravel's env(), then (bool)


@dataclass(frozen=True)
class Laravel:
    """A Laravel app's settings as read from its host: .env (None: no file) and the cached config (None: none)."""

    env_path: str
    env: dict[str, str] | None
    cache_path: str
    cache: dict[str, Any] | None


def laravel(app: App, host: Host) -> Laravel:
    """ROOT/.env and ROOT/bootstrap/cache/config.php; CheckError when neither exists."""
    env_path, cache_path = under(app, ENV_FILE), under(app, CONFIG_CACHE)
    env_text, cache_text = read(host, env_path), read(host, cache_path)
    if env_text is None and cache_text is None:
        raise CheckError(f"there is no {env_path} (nor a cached config) on {host.name}: "
                         "is root the Laravel app's folder?")
    return Laravel(env_path, dotenv(env_text) if env_text is not None else None,
                   cache_path, _config(cache_text, cache_path) if cache_text is not None else None)


def _config(text: str, path: str) -> dict[str, Any]:
    """A config:cache file as nested mappings."""
    try:
        config = parse(text)
    except NotPhpConfig as exc:
        raise CheckError(f"{path} is not a config:cache file opsverify can read: {exc}") from None
    if not isinstance(config, dict):
        raise CheckError(f"{path} does not return an array of settings")
    return config


@probe
def debug_off(app: App, *, context: RunContext | None = None) -> Result:
    """Laravel: APP_DEBUG off (and APP_ENV=production in a production environment); Frappe: developer_mode off."""
    if app.framework not in ("laravel", "frappe"):
        return skipped(f"debug settings are read for laravel and frappe apps; {app.name} is {app.framework}")
    if not app.root:
        return skipped(f"no root: the folder of {app.name} is needed to read its settings")
    host = host_of(app, context)
    if app.framework == "frappe":
        return _frappe(app, host)
    return _laravel(app, host, production=bool(context and context.environment.production))


def dotenv(text: str) -> dict[str, str]:
    """KEY -> value of a dotenv file: comments, `export`, quotes; the first definition wins (as in phpdotenv)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = _LINE.match(line)
        if not match or line.lstrip().startswith("#"):
            continue
        raw = match[2].strip()
        if raw[:1] in ("'", '"') and raw[0] in raw[1:]:
            value = raw[1:raw.index(raw[0], 1)]
        else:
            value = re.split(r"\s+#", raw, maxsplit=1)[0].strip()
        found.setdefault(match[1], value)
    return found


def laravel_true(value: str | None) -> bool:
    """Whether Laravel reads a setting as on: env()'s words, then PHP's (bool) of what is left."""
    return value is not None and value.strip("'").lower() not in _FALSE_WORDS


def _laravel(app: App, host: Host, *, production: bool) -> Result:
    """The cached config when there is one (Laravel then ignores .env), else .env."""
    found = laravel(app, host)
    env_path, cache_path = found.env_path, found.cache_path
    settings = found.env or {}
    file_debug = settings.get("APP_DEBUG")
    evidence: dict[str, Any] = {"env_file": env_path if found.env is not None else None, "APP_DEBUG": file_debug,
                                "APP_ENV": settings.get("APP_ENV"), "config_cache": found.cache is not None}
    if found.cache is not None:
        debug, app_env = _cached(found.cache, cache_path)
        evidence.update(cached_debug=debug, cached_env=app_env)
        where = f"'debug' => {debug} in {cache_path}"
        if laravel_true(debug):
            return failed(f"{where}, the cached config Laravel reads instead of .env (APP_ENV={app_env})",
                          evidence=evidence)
        if laravel_true(file_debug):
            return warning(f"APP_DEBUG={file_debug} in {env_path} is not in effect ({where} wins), but the next "
                           "`php artisan config:cache` turns debug mode on", evidence=evidence)
        said = f"{where} (APP_ENV={app_env})"
    else:
        app_env = settings.get("APP_ENV", "production")
        said = (f"APP_DEBUG={file_debug} in {env_path}" if file_debug is not None
                else f"no APP_DEBUG in {env_path}, so it is off") + f" (APP_ENV={app_env})"
        if laravel_true(file_debug):
            plain = (file_debug or "").lower() in ("true", "(true)", "1")
            return failed(said + ("" if plain else "; Laravel reads any value but false, 0, empty or null as on"),
                          evidence=evidence)
    if production and app_env != "production":
        source = cache_path if found.cache is not None else env_path
        local = "; under local, Telescope and Horizon let anyone in" if app_env == "local" else ""
        return failed(f"APP_ENV={app_env} in {source}; a production environment must run with APP_ENV=production"
                      f"{local}", evidence=evidence)
    return passed(said, evidence=evidence)


def _cached(config: dict[str, Any], path: str) -> tuple[str, str]:
    """'debug' (as PHP writes it) and 'env' of the app settings of a cached config."""
    app = dig(config, "app")
    if not isinstance(app, dict) or "debug" not in app:
        raise CheckError(f"{path} has no app debug setting opsverify can read (is it a config:cache file?)")
    env = app.get("env", "production")
    return literal(app["debug"]), env if isinstance(env, str) else literal(env)


def _frappe(app: App, host: Host) -> Result:
    """developer_mode of the site: its site_config.json, else the bench's common_site_config.json."""
    configs = frappe_configs(app, host)
    where, value = setting(configs, "developer_mode")
    evidence = {"files": [p for p, _ in configs], "developer_mode": value, "set_in": where}
    if where is None:
        return passed(f"developer_mode is not set for {app.site}, so it is off", evidence=evidence)
    if frappe_on(value):
        return failed(f"developer_mode is {json.dumps(value)} in {where}", evidence=evidence)
    return passed(f"developer_mode is {json.dumps(value)} in {where}", evidence=evidence)


def frappe_configs(app: App, host: Host) -> list[tuple[str, dict[str, Any]]]:
    """(path, settings) of the site's site_config.json, then the bench's common_site_config.json if there is one."""
    site_path = under(app, "sites", app.site or "", "site_config.json")
    common_path = under(app, "sites", "common_site_config.json")
    site_text = read(host, site_path)
    if site_text is None:
        raise CheckError(f"there is no {site_path} on {host.name}: is root the bench folder and "
                         f"{app.site} a site of it?")
    configs = [(site_path, _json(site_text, site_path))]
    common_text = read(host, common_path)
    if common_text is not None:
        configs.append((common_path, _json(common_text, common_path)))
    return configs


def setting(configs: list[tuple[str, dict[str, Any]]], key: str) -> tuple[str | None, Any]:
    """The file a Frappe setting comes from (the site's wins over the bench's) and its value."""
    return next(((path, config[key]) for path, config in configs if key in config), (None, None))


def _json(text: str, path: str) -> dict[str, Any]:
    """A Frappe config file as a mapping."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise CheckError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise CheckError(f"{path} is not a JSON object")
    return document


def frappe_on(value: Any) -> bool:
    """Frappe's cint(): a number or numeric text other than 0 is on."""
    try:
        return int(float(value)) != 0
    except (TypeError, ValueError):
        return False
