"""Background work in the app's database, read-only: failed queue jobs, Frappe's Error Log and its scheduler.

Laravel writes `failed_jobs.failed_at` in the app's timezone (UTC unless config/app.php says
otherwise): the window is counted back from now in UTC. Frappe writes `creation` in the site's
time zone (System Settings): the window is counted back from now there.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import Connection

from opsverify.checks import CheckError, combine, plural, probe
from opsverify.checks.apps import database_of, host_of
from opsverify.checks.apps.config import frappe_configs, frappe_on, setting
from opsverify.checks.database import connection
from opsverify.checks.db import rows
from opsverify.context import RunContext
from opsverify.result import Result, failed, grade, passed, skipped
from opsverify.spec.models.apps import App
from opsverify.spec.secret import shorten
from opsverify.spec.units import format_seconds

TOP = 3  # the most frequent job queues / error titles shown as evidence
TITLE = 80  # characters of an error title shown
SCHEDULER_OFF = ("maintenance_mode", "pause_scheduler", "disable_scheduler")  # site settings that stop it


@probe
def failed_jobs(app: App, *, context: RunContext | None = None) -> Result:
    """Laravel: failed_jobs rows in the window; Frappe: Scheduled Job Log entries with status Failed."""
    if app.framework not in ("laravel", "frappe"):
        return skipped(f"failed jobs are counted for laravel and frappe apps; {app.name} is {app.framework}")
    with connection(database_of(app, context)) as conn:
        if app.framework == "laravel":
            since = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(seconds=app.window)
            count, top = _tally(conn, "failed_jobs", "queue", "failed_at", since)
            where, by = "failed_jobs", "queues"
        else:
            since = _site_now(conn) - dt.timedelta(seconds=app.window)
            count, top = _tally(conn, "tabScheduled Job Log", "scheduled_job_type", "creation", since,
                                status="Failed")
            where, by = "Frappe's Scheduled Job Log", "job types"
    said = f"{plural(count, 'failed job')} in {where} in the last {app.window}"
    return grade("failed jobs", count, app.max_failed_jobs, app.warn_max_failed_jobs, said=said,
                 evidence={"since": since.isoformat(sep=" ", timespec="seconds"), f"top {by}": top})


@probe
def error_log(app: App, *, context: RunContext | None = None) -> Result:
    """Frappe: Error Log entries created in the window, with the most frequent titles."""
    with connection(database_of(app, context)) as conn:
        since = _site_now(conn) - dt.timedelta(seconds=app.window)
        count, top = _tally(conn, "tabError Log", "method", "creation", since)
    said = f"{plural(count, 'error')} in Frappe's Error Log in the last {app.window}"
    return grade("errors", count, app.max_errors, app.warn_max_errors, said=said,
                 evidence={"since": since.isoformat(sep=" ", timespec="seconds"), "top errors": top})


@probe
def scheduler(app: App, *, context: RunContext | None = None) -> Result:
    """Frappe: the scheduler is enabled, not paused, and its newest Scheduled Job Log is recent enough."""
    limit = float(app.scheduler_max_idle)
    stopped = []
    if app.root:
        configs = frappe_configs(app, host_of(app, context))
        for key in SCHEDULER_OFF:
            where, value = setting(configs, key)
            if where is not None and frappe_on(value):
                stopped.append(failed(f"the scheduler is stopped by {key}: {value} in {where}"))
    with connection(database_of(app, context)) as conn:
        enabled = _single(conn, "enable_scheduler")
        table = conn.dialect.identifier_preparer.quote("tabScheduled Job Log")
        newest = rows(conn, f"SELECT MAX(creation) FROM {table}")[0][0]
        now = _site_now(conn)
    if not frappe_on(enabled):
        stopped.append(failed("the scheduler is disabled (System Settings)"))
    evidence = {"enable_scheduler": enabled, "newest_job_log": str(newest) if newest else None}
    if newest is None:
        return combine([*stopped, failed("the scheduler has never run: Scheduled Job Log is empty")], **evidence)
    if isinstance(newest, str):  # SQLite keeps timestamps as text
        newest = dt.datetime.fromisoformat(newest)
    idle = (now - newest).total_seconds()
    ran = f"the scheduler last ran {format_seconds(max(idle, 0))} ago"
    verdict = failed(f"{ran}; limit {app.scheduler_max_idle}", value=idle, unit="s") if idle > limit else \
        passed(f"{ran}; limit {app.scheduler_max_idle}", value=idle, unit="s")
    return combine([*stopped, verdict], **evidence)


def _tally(conn: Connection, table: str, group: str, stamp: str, since: dt.datetime,
           status: str | None = None) -> tuple[int, dict[str, int]]:
    """Rows of `table` with `stamp` at or after `since` (and this status), and the most frequent `group` values."""
    quote = conn.dialect.identifier_preparer.quote
    where = f"{quote(stamp)} >= :since" + (" AND status = :status" if status else "")
    params: dict[str, Any] = {"since": since, **({"status": status} if status else {})}
    found = rows(conn, f"SELECT {quote(group)}, COUNT(*) FROM {quote(table)} WHERE {where} "
                       f"GROUP BY {quote(group)} ORDER BY COUNT(*) DESC", **params)
    top = {shorten(str(value or "(none)"), TITLE): int(count) for value, count in found[:TOP]}
    return sum(int(count) for _, count in found), top


def _single(conn: Connection, field: str) -> str | None:
    """A System Settings value from Frappe's tabSingles (None when it was never set)."""
    found = rows(conn, f"SELECT value FROM {conn.dialect.identifier_preparer.quote('tabSingles')} "
                       "WHERE doctype = 'System Settings' AND field = :field", field=field)
    return found[0][0] if found else None


def _site_now(conn: Connection) -> dt.datetime:
    """Now in the site's time zone (System Settings), naive like Frappe's own timestamps; UTC when none is set."""
    zone = _single(conn, "time_zone") or "UTC"
    try:
        return dt.datetime.now(ZoneInfo(zone)).replace(tzinfo=None)
    except (ZoneInfoNotFoundError, ValueError):
        raise CheckError(f"the site's time zone {zone!r} (System Settings) is not a known time zone") from None
