"""Is the calendar kept? Per cadence: the last archived run, its result, the next due time, and any audit gap."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from opsverify.schedule import calendar
from opsverify.schedule.jobs import Job, last_run, started


@dataclass(frozen=True)
class Gap:
    """Whether a job's latest due run happened: ok, or overdue (an audit gap), with a reason."""

    overdue: bool
    reason: str
    late_by: dt.timedelta | None = None


def gap(job: Job, zone: zoneinfo.ZoneInfo, now: dt.datetime, grace: dt.timedelta,
        runs: list[dict[str, Any]], current: dt.datetime | None = None) -> Gap:
    """The job's run due before `now - grace` must have started at or after its due time.

    `current`: the start of the run asking (a daily run counts for the daily cadence while it runs).
    A job that never ran is a gap only when the archive holds runs of the environment from before its due time.
    """
    expected = job.due_before(zone, now - grace)
    last, _ = last_run(job, runs)
    if current is not None and (last is None or current > last):
        last = current
    if expected is None:
        return Gap(False, f"the {job.name} run is not due yet; first due {_at(job.due_after(zone, now), zone)}")
    if last is not None and last >= expected:
        return Gap(False, f"the {job.name} run due {_at(expected, zone)} started {_at(last, zone)}")
    late = now - expected
    if last is None:
        first = min((t for t in map(started, runs) if t is not None), default=None)
        if first is None:
            return Gap(False, f"no run of this environment in the archive yet; the {job.name} run is next due "
                              f"{_at(job.due_after(zone, now), zone)}")
        if first > expected:
            return Gap(False, f"no {job.name} run in the archive yet; it was last due {_at(expected, zone)}, "
                              f"before the archive's first run of this environment ({_at(first, zone)})")
        return Gap(True, f"no {job.name} run in the archive, though it was due {_at(expected, zone)} "
                         f"and the archive holds runs of this environment since {_at(first, zone)}", late)
    return Gap(True, f"the {job.name} run due {_at(expected, zone)} has not happened: it is "
                     f"{_span(late)} overdue (last {job.name} run {_at(last, zone)})", late)


def rows(job_list: list[Job], zone: zoneinfo.ZoneInfo, now: dt.datetime, grace: dt.timedelta,
         runs: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The `opsverify status` table: one row per job."""
    table = []
    for job in job_list:
        last, record = last_run(job, runs)
        found = gap(job, zone, now, grace, runs)
        state = f"OVERDUE by {_span(found.late_by)}" if found.overdue else "ok"
        table.append({
            "job": job.name, "rule": job.rule_text,
            "last run": _at(last, zone) if last else "never",
            "result": _result(record) if record else "-",
            "next due": _at(job.due_after(zone, now), zone),
            "state": "-" if job.in_window else state,  # a window part runs only when a check needs the window
        })
    return table


def format_rows(table: list[dict[str, str]]) -> str:
    """The table as aligned text."""
    if not table:
        return "no cadence is scheduled (the environment file has no schedule section)"
    keys = list(table[0])
    widths = {k: max(len(k), *(len(r[k]) for r in table)) for k in keys}
    lines = ["  ".join(k.ljust(widths[k]) for k in keys)]
    lines += ["  ".join(r[k].ljust(widths[k]) for k in keys) for r in table]
    return "\n".join(line.rstrip() for line in lines)


def _result(record: dict[str, Any]) -> str:
    """passed/failed with the outcome counts of a run."""
    counts = record.get("counts") or {}
    tally = ", ".join(f"{n} {o}" for o, n in counts.items() if n)
    return ("passed" if record.get("exit_status") == 0 else f"failed (exit {record.get('exit_status')})") + \
        (f": {tally}" if tally else "")


def _at(moment: dt.datetime | None, zone: zoneinfo.ZoneInfo) -> str:
    """A moment on the schedule's clock."""
    return calendar.local(moment, zone) if moment else "never"


def _span(delta: dt.timedelta | None) -> str:
    """A lateness in days and hours: `2d 3h`, `5h`, `40m`."""
    if delta is None:
        return "?"
    minutes = int(delta.total_seconds() // 60)
    days, hours = minutes // 1440, (minutes % 1440) // 60
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    return f"{hours}h" if hours else f"{minutes}m"
