"""Load an environment from text and give its checks the run context they would get from the plugin."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from opsverify.context import RunContext
from opsverify.spec import Environment, loads


def environment(text: str) -> Environment:
    """An Environment validated from YAML text."""
    return loads(text, "test.yml", environ={})


def context(env: Environment, folder: Path, started: dt.datetime | None = None, label: str = "monthly") -> RunContext:
    """A RunContext for a run of env whose environment file sits in folder."""
    return RunContext(env, folder / "reports", None, started or dt.datetime.now(dt.timezone.utc), "",
                      folder / "env.yml", label)
