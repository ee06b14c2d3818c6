"""Laravel's logging: a channel that keeps messages, at a level that logs every error and, in production, not debug.

As for APP_DEBUG, the cached config (`php artisan config:cache`) wins over .env. Only LOG_CHANNEL and
LOG_LEVEL are read from .env, and only the channels' names, drivers and levels from the cached config:
both files hold secrets (webhook URLs, passwords) that are never reported.
"""

from __future__ import annotations

from typing import Any

from opsverify.checks import combine, probe
from opsverify.checks.apps import host_of
from opsverify.checks.apps.config import Laravel, laravel
from opsverify.checks.apps.phpconfig import dig
from opsverify.context import RunContext
from opsverify.result import Result, Status, failed, passed, skipped, warning
from opsverify.spec.models.apps import LOG_LEVELS, App

DEFAULT_LEVEL = "debug"  # config/logging.php's env('LOG_LEVEL', 'debug'), and Monolog's level when none is given
CACHED = "the cached config Laravel reads instead of .env"


@probe
def log_settings(app: App, *, context: RunContext | None = None) -> Result:
    """The log channel and level Laravel runs with: the cached config when there is one, else .env."""
    if app.framework != "laravel":
        return skipped(f"log settings are read for laravel apps; {app.name} is {app.framework}")
    if not app.root:
        return skipped(f"no root: the folder of {app.name} is needed to read its settings")
    allowed, label = app.allowed_log_levels(production=bool(context and context.environment.production))
    found = laravel(app, host_of(app, context))
    env = found.env or {}
    evidence: dict[str, Any] = {"env_file": found.env_path if found.env is not None else None,
                                "LOG_CHANNEL": env.get("LOG_CHANNEL"), "LOG_LEVEL": env.get("LOG_LEVEL"),
                                "config_cache": found.cache is not None, "allowed": list(allowed)}
    from_env = _from_env(found, allowed, label) if found.env is not None else None
    if found.cache is None:
        return combine(from_env or [], **evidence)
    cached, channels = _from_cache(found, allowed, label)
    evidence["channels"] = channels
    verdict = combine(cached, **evidence)
    pending = [r for r in from_env or [] if r.status is Status.FAILED]
    if verdict.status is Status.PASSED and pending:
        return warning(f"{' | '.join(r.reason for r in pending)} (not in effect while {found.cache_path} wins, but "
                       "the next `php artisan config:cache` puts it in effect)", evidence=verdict.evidence)
    return verdict


def _from_env(found: Laravel, allowed: tuple[str, ...], label: str) -> list[Result]:
    """LOG_CHANNEL and LOG_LEVEL of .env, as config/logging.php reads them."""
    env, path = found.env or {}, found.env_path
    channel, level = env.get("LOG_CHANNEL"), env.get("LOG_LEVEL")
    results = []
    if channel is None:
        results.append(warning(f"no LOG_CHANNEL in {path}: Laravel falls back to config/logging.php's default "
                               "(stack in a new app); set LOG_CHANNEL so the channel is explicit"))
    elif channel.strip().lower() in ("", "null"):
        results.append(failed(f"LOG_CHANNEL={channel} in {path}: Laravel " +
                              ("discards every log message" if channel.strip() else "has no channel to log to")))
    named = f"LOG_LEVEL={level}" if level is not None else f"no LOG_LEVEL (so Laravel logs at {DEFAULT_LEVEL})"
    results.append(_level(f"{named} in {path}", (level or DEFAULT_LEVEL).strip().lower(), allowed, label))
    if all(r.status is Status.PASSED for r in results):
        return [passed(f"LOG_CHANNEL={channel}, {named} in {path}")]
    return results


def _from_cache(found: Laravel, allowed: tuple[str, ...], label: str) -> tuple[list[Result], dict[str, str]]:
    """The default channel of the cached config and the levels of the channels it writes to (through stacks).

    No channel may log below the least severe allowed level, and at least one must log at an allowed level:
    a stack of a file at error and Slack at critical is fine.
    """
    path = found.cache_path
    default = dig(found.cache, "logging", "default")
    channels = dig(found.cache, "logging", "channels") or {}
    if not isinstance(default, str) or not default:
        return [failed(f"no default log channel in {path}, {CACHED}")], {}
    reached: dict[str, str] = {}
    results: list[Result] = []
    for name in _leaves(default, channels):
        settings = channels.get(name)
        if not isinstance(settings, dict):
            results.append(failed(f"log channel {name} is not defined in {path}, {CACHED}"))
        elif str(settings.get("handler", "")).endswith("NullHandler"):
            reached[name] = "discarded"
        elif settings.get("driver") == "custom" and "level" not in settings:
            reached[name] = "its own"  # a custom channel's factory decides; nothing to judge
        else:
            reached[name] = level = str(settings.get("level", DEFAULT_LEVEL)).strip().lower()
            if level not in LOG_LEVELS or LOG_LEVELS.index(level) < LOG_LEVELS.index(allowed[0]):
                results.append(_level(f"log channel {name} logs at {level} in {path}, {CACHED}", level, allowed,
                                      label))
    levels = [level for level in reached.values() if level in LOG_LEVELS]
    shown = ", ".join(f"{name}: {level}" for name, level in reached.items())
    if not reached and not results:
        results.append(failed(f"log channel {default} writes to no channel in {path}, {CACHED}"))
    elif not results and set(reached.values()) == {"discarded"}:
        results.append(failed(f"log channel {default} discards every message in {path}, {CACHED}"))
    elif levels and not results and not set(levels) & set(allowed):
        results.append(_level(f"log channel {default} ({shown}) in {path}, {CACHED}", min(levels, key=LOG_LEVELS.index),
                              allowed, label))
    return results or [passed(f"log channel {default} ({shown}) in {path}")], reached


def _leaves(name: str, channels: dict[str, Any], seen: frozenset[str] = frozenset()) -> list[str]:
    """The channels a channel writes to: itself, or the members of a stack (recursively, each once)."""
    settings = channels.get(name)
    if not isinstance(settings, dict) or settings.get("driver") != "stack" or name in seen:
        return [name]
    members = settings.get("channels") or {}
    names = members.values() if isinstance(members, dict) else [members]
    return list(dict.fromkeys(leaf for member in names if isinstance(member, str)
                              for leaf in _leaves(member, channels, seen | {name})))


def _level(said: str, level: str, allowed: tuple[str, ...], label: str) -> Result:
    """A level judged against the allowed ones (`label` says which: "allowed in production"): unknown, too high."""
    if level not in LOG_LEVELS:
        return failed(f"{said}, which is not a log level (Laravel knows {', '.join(LOG_LEVELS)})")
    if level in allowed:
        return passed(said)
    dropped = "; error messages are not logged" if LOG_LEVELS.index(level) > LOG_LEVELS.index("error") else ""
    return failed(f"{said}{dropped}; {label}: {', '.join(allowed)}")
