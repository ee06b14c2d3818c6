"""What the scheduler runs: one job per cadence (and, with a maintenance window, one more inside the window),
when each is due, and which archived runs count as having done it."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsverify.archive.history import empty, past_records
from opsverify.schedule import calendar
from opsverify.spec.models.schedule import Schedule
from opsverify.spec.when import When

CADENCES = ("daily", "weekly", "monthly", "quarterly")
WINDOW = "maintenance"  # the marker of checks that need the maintenance window
_EPSILON = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class Job:
    """One cadence, or the part of it that needs the maintenance window (`weekly:window`)."""

    cadence: str
    rule: When
    window: When | None = None  # the maintenance window, when the schedule has one
    in_window: bool = False  # this job is the window part

    @property
    def name(self) -> str:
        """`weekly`, or `weekly:window` for the part that runs inside the maintenance window."""
        return f"{self.cadence}:window" if self.in_window else self.cadence

    @property
    def expression(self) -> str:
        """The pytest marker expression this job runs."""
        if self.window is None:
            return self.cadence
        return f"{self.cadence} and {WINDOW}" if self.in_window else f"{self.cadence} and not {WINDOW}"

    @property
    def rule_text(self) -> str:
        """The rule as the user wrote it."""
        return f"{self.rule}, in the window {self.window}" if self.in_window else str(self.rule)

    def covered_by(self, expression: str) -> bool:
        """Whether a run with this marker expression did this job's checks (`-m weekly` does both parts)."""
        return expression.strip() in (self.cadence, self.expression)

    def due_before(self, zone: zoneinfo.ZoneInfo, moment: dt.datetime) -> dt.datetime | None:
        """The latest time this job was due at or before moment."""
        occurrence = calendar.previous(self.rule, zone, moment)
        if not self.in_window or occurrence is None or self.window is None:
            return occurrence
        while occurrence is not None:
            opens = calendar.following(self.window, zone, occurrence - _EPSILON)
            if opens <= moment:
                return opens
            occurrence = calendar.previous(self.rule, zone, occurrence - _EPSILON)
        return None

    def due_after(self, zone: zoneinfo.ZoneInfo, moment: dt.datetime) -> dt.datetime:
        """The earliest time this job is due after moment."""
        if not self.in_window or self.window is None:
            return calendar.following(self.rule, zone, moment)
        occurrence = calendar.previous(self.rule, zone, moment)
        if occurrence is not None:
            opens = calendar.following(self.window, zone, occurrence - _EPSILON)
            if opens > moment:
                return opens
        return calendar.following(self.window, zone, calendar.following(self.rule, zone, moment) - _EPSILON)

    def may_start(self, zone: zoneinfo.ZoneInfo, moment: dt.datetime) -> bool:
        """The window part starts only inside the window; the rest at any time."""
        return not self.in_window or self.window is None or calendar.inside(self.window, zone, moment)


def jobs(schedule: Schedule | None) -> list[Job]:
    """The jobs of a schedule, daily first; with a maintenance window each cadence gets a window part."""
    found = []
    for cadence in CADENCES:
        rule = getattr(schedule, cadence, None) if schedule else None
        if rule is None:
            continue
        found.append(Job(cadence, rule, schedule.maintenance_window))
        if schedule.maintenance_window is not None:
            found.append(Job(cadence, rule, schedule.maintenance_window, in_window=True))
    return found


def pending(job: Job, zone: zoneinfo.ZoneInfo, now: dt.datetime, last_run: dt.datetime | None,
            grace: dt.timedelta) -> dt.datetime | None:
    """The due time to run now: due, not run since, and (if never run) due within grace; None otherwise.

    A run missed while the scheduler was down is caught up here: its due time has passed and the
    archive holds no run since. A job that has never run is not replayed from the distant past.
    """
    due = job.due_before(zone, now)
    if due is None or (last_run is not None and last_run >= due):
        return None
    if last_run is None and now - due > grace:
        return None
    return due if job.may_start(zone, now) else None


def records(reports: Path, environment: str, env_file: Path | None) -> list[dict[str, Any]]:
    """Archived runs of the environment, newest first; a demo run counts only for the same demo instance
    (the built-in demo is rebuilt at every start, so another start's runs say nothing about this one)."""
    same = str(env_file) if env_file is not None else None
    return [r for r in past_records(reports, environment)
            if not (r.get("demo") and same is not None and r.get("environment_file") != same)]


def started(record: dict[str, Any]) -> dt.datetime | None:
    """A record's UTC start time."""
    try:
        return dt.datetime.fromisoformat(str(record.get("started", "")).replace("Z", "+00:00"))
    except ValueError:
        return None


def last_run(job: Job, runs: list[dict[str, Any]]) -> tuple[dt.datetime | None, dict[str, Any] | None]:
    """The newest archived run that did this job's checks, and its record (a run that checked nothing did none)."""
    for record in runs:
        if job.covered_by(str(record.get("marker_expression", ""))) and not empty(record):
            return started(record), record
    return None, None
