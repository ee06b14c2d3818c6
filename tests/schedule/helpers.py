"""A fake clock, a runner that archives what it was asked to run, and records written into an archive."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from opsverify.archive.runs import new_run_folder
from opsverify.schedule.jobs import Job

UTC = dt.timezone.utc


class FakeClock:
    """A clock that only moves when told."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def write_record(reports: Path, environment: str, started: dt.datetime, expression: str, *, exit_status: int = 0,
                 demo: bool = False, env_file: Path | None = None, counts: dict[str, int] | None = None) -> Path:
    """An archived run folder holding just results.json, as a run of `-m expression` started then would leave."""
    folder = new_run_folder(reports, environment, expression, started)
    record = {"environment": environment, "label": expression, "marker_expression": expression,
              "started": started.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "exit_status": exit_status,
              "demo": demo, "environment_file": str(env_file) if env_file else "",
              "counts": {"passed": 3} if counts is None else counts,
              "checks": []}
    (folder / "results.json").write_text(json.dumps(record))
    return folder


class ArchivingRunner:
    """Stands in for the pytest subprocess: notes the job and the clock's time, and archives a record of it."""

    def __init__(self, reports: Path, environment: str, clock: FakeClock, window_checks: bool = True) -> None:
        self.reports, self.environment, self.clock = reports, environment, clock
        self.window_checks = window_checks
        self.calls: list[tuple[str, dt.datetime]] = []

    def __call__(self, job: Job) -> int:
        self.calls.append((job.name, self.clock()))
        write_record(self.reports, self.environment, self.clock(), job.expression)
        return 0

    def selects(self, job: Job) -> bool:
        return self.window_checks or not job.in_window


def env_file(folder: Path, schedule: str, name: str = "shop") -> Path:
    """An environment file with just a schedule section."""
    path = folder / f"{name}.yml"
    path.write_text(f"environment: {name}\nschedule:\n" + "".join(f"  {line}\n" for line in schedule.splitlines()))
    return path
