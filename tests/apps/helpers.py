"""Apps in an environment loaded from YAML, checked with the run context the plugin would pass."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from opsverify.context import RunContext
from opsverify.plugin.probes import run_check
from opsverify.result import Result
from opsverify.spec import loads


def check_app(check: Callable[..., Result], text: str, *, production: bool = False) -> Result:
    """`check` on the only app of an environment given as YAML (after `environment: t`), as the plugin calls it."""
    env = loads(f"environment: t\nproduction: {str(production).lower()}\n{text}")
    (app,) = env.apps
    return run_check(check, app, RunContext(env, Path("/nonexistent"), None, dt.datetime.now(dt.timezone.utc)))
