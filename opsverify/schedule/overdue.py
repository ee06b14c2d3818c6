"""The daily audit-gap check: every scheduled cadence ran when it was due (a missed run is a gap in the record)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from opsverify.checks import probe
from opsverify.context import RunContext
from opsverify.result import Result, failed, passed, skipped
from opsverify.schedule import jobs
from opsverify.schedule.jobs import Job
from opsverify.schedule.status import gap
from opsverify.spec import Environment


@dataclass(frozen=True)
class Cadence:
    """One scheduled cadence as a checked item; its test id is the cadence (`daily`, `weekly`...)."""

    job: Job
    severity: str
    cadence: str | None = None  # the check's own cadence (daily) applies
    tags: tuple[str, ...] = ()
    controls: tuple[str, ...] = ()
    smoke: bool = False

    @property
    def name(self) -> str:
        """The cadence."""
        return self.job.name


def cadences(env: Environment) -> list[Cadence]:
    """The scheduled cadences (not their maintenance-window parts, which run only when a check needs the window)."""
    return [Cadence(job, env.defaults.severity) for job in jobs.jobs(env.schedule) if not job.in_window]


@probe
def on_schedule(item: Cadence, *, context: RunContext) -> Result:
    """The run of this cadence due before now minus `schedule.grace` started at or after its due time."""
    schedule = context.environment.schedule
    if schedule is None:
        return skipped("the environment has no schedule section")
    runs = jobs.records(context.reports, context.environment.environment, context.env_file)
    current = context.started if item.job.covered_by(context.label) else None
    found = gap(item.job, schedule.zone, context.started, dt.timedelta(seconds=schedule.grace), runs, current)
    if found.overdue:
        hours = round(found.late_by.total_seconds() / 3600, 1) if found.late_by else None
        return failed(f"audit gap: {found.reason}", value=hours, unit="h", limit=f"grace {schedule.grace}")
    return passed(found.reason)
