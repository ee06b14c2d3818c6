"""The demo's compliance records: reviewed documents, a year of rotated logs, and the admins' roles.

Breaks: `stale-document` (the runbook's last review is 200 days old), `logs-purged` (only the last
30 days of logs are kept), `unapproved-admin` (a customer account was given the admin role).
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import shutil
import sqlite3
from pathlib import Path

ROTATED_MONTHS = 12  # app-YYYY-MM.log.gz, one per month, the oldest about 360 days old
PURGED_DAYS = 30  # logs-purged: what is left
PROMOTED = 3  # unapproved-admin: the users.id given the admin role (a customer)
RUNBOOK = """# Demo Print Shop: operations runbook

Owner: operations team. Last reviewed: {reviewed}

1. Daily: run `pytest -m daily` and read the report.
2. On a failure: open the report, follow the reason, fix, run again.
3. Restores are drilled weekly inside the maintenance window.
"""
INCIDENT = """# Demo Print Shop: incident response plan

Who is called, in which order, and how the shop is restored. (No review line: its file time counts.)
"""


def prepare(folder: Path, connection: sqlite3.Connection, now: dt.datetime, breaks: frozenset[str]) -> None:
    """Write docs/ and logs/archive/ under folder and set the admin roles in the database (before it is saved)."""
    write_documents(folder / "docs", now, stale="stale-document" in breaks)
    write_rotated_logs(folder / "logs" / "archive", now, purged="logs-purged" in breaks)
    if "unapproved-admin" in breaks:
        with connection:
            connection.execute("UPDATE users SET role = 'admin' WHERE id = ?", (PROMOTED,))


def write_documents(folder: Path, now: dt.datetime, *, stale: bool = False) -> None:
    """runbook.md with a 'Last reviewed' line (20 days ago, or 200 when stale); incident-response.md by file time."""
    folder.mkdir(parents=True, exist_ok=True)
    reviewed = (now - dt.timedelta(days=200 if stale else 20)).date()
    (folder / "runbook.md").write_text(RUNBOOK.format(reviewed=reviewed.isoformat()), encoding="utf-8")
    incident = folder / "incident-response.md"
    incident.write_text(INCIDENT, encoding="utf-8")
    stamp = (now - dt.timedelta(days=100)).timestamp()
    os.utime(incident, (stamp, stamp))


def write_rotated_logs(folder: Path, now: dt.datetime, *, purged: bool = False) -> None:
    """One gzipped app log per past month, its file time the month's last entry (only 30 days' worth when purged)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for month in range(1, ROTATED_MONTHS + 1):
        ended = now - dt.timedelta(days=30 * month)
        if purged and (now - ended).days > PURGED_DAYS:
            continue
        path = folder / f"app-{ended:%Y-%m}.log.gz"
        lines = "".join(f"[{ended - dt.timedelta(hours=h):%Y-%m-%d %H:%M:%S}] production.INFO: Order placed\n"
                        for h in range(24, 0, -1))
        with gzip.open(path, "wt", encoding="utf-8") as out:
            out.write(lines)
        os.utime(path, (ended.timestamp(), ended.timestamp()))
