"""The example environments' own items, run against real throwaway targets: the failure each runbook line worries
about, produced for real, fails the example's check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from opsverify.checks.host import OnHost
from opsverify.context import RunContext
from opsverify.spec import Environment, load, loads
from opsverify.spec.models.hosts import Host
from opsverify.spec.secret import SecretUrl
from opsverify.spec.units import Duration

EXAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "environments" / "examples"
T = TypeVar("T")


def example(stack: str) -> Environment:
    """An example environment as the loader reads it (its ${VAR:-default}s filled with the defaults)."""
    return load(EXAMPLES / f"{stack}.yml", environ={})


def named(items: Iterable[T], name: str) -> T:
    """The item of a section with this name."""
    return next(item for item in items if getattr(item, "name") == name)


def on_database(name: str, url: str) -> RunContext:
    """A run whose environment has one database `name` at `url` (where the example's metrics point)."""
    env = loads(f"environment: t\ndatabases:\n  - {{name: {name}, url: '{url}', timeout: 10s}}\n", environ={})
    return RunContext(env, Path("/nonexistent"), None, dt.datetime.now(dt.timezone.utc))


def moved(entry: T, url: str, **fields: Any) -> T:
    """An endpoint or metric of an example pointed at `url` (a real local server) instead of its own host."""
    key = "http" if getattr(entry, "http", None) is not None else "prometheus" \
        if getattr(entry, "prometheus", None) is not None else "url"
    return entry.model_copy(update={key: SecretUrl(url), "timeout": Duration(10.0, "10s"), **fields})  # type: ignore[attr-defined]


def local_log(host: Host, name: str, path: Path) -> OnHost:
    """A log of an example's host, read from `path` on this machine."""
    log = named(host.logs, name).model_copy(update={"path": str(path)})
    return OnHost(Host.model_validate({"name": host.name, "target": "local://", "timeout": "10s"}), log)
