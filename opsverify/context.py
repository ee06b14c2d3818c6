"""What a check may need beyond its item: the whole environment, the archive, this run's folder."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsverify.spec import Environment


@dataclass(frozen=True)
class RunContext:
    """The run a check belongs to; checks that declare a `context` keyword argument receive it."""

    environment: Environment
    reports: Path  # the archive folder
    run_dir: Path | None  # this run's folder (None with --no-archive or --collect-only)
    started: dt.datetime  # UTC
    nodeid: str = ""  # the test being checked, for looking up its own history
    env_file: Path | None = None  # the environment file (relative paths in it are relative to its folder)
    label: str = ""  # this run's marker expression ("daily"), or "all"

    def started_iso(self) -> str:
        """The run's start time as the records write it."""
        return self.started.isoformat(timespec="seconds").replace("+00:00", "Z")

    def named(self, section: str, name: str | None) -> Any:
        """The item called `name` in a list section of the environment (`hosts`, `databases`), else None."""
        return next((item for item in getattr(self.environment, section) if item.name == name), None)
