"""The demo's backup history: dated gzip dumps with sha256 sidecars, damaged by the backup breaks.

The history is what a grandfather-father-son job keeps under the demo's policy (daily 7, weekly 4,
monthly 12, yearly 3, with restic's semantics; see docs/backups.md): dailies, weeklies, the first of
each of the last 11 months, and 1 January of the two years before the newest backup's year.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

DAILIES, WEEKLIES, MONTHLIES, YEARLIES = 8, 5, 11, 2
JOB_LAG = dt.timedelta(hours=1)  # the nightly job finished this long before the demo starts
STALE_BY = dt.timedelta(hours=48)  # stale-backup: the job stopped this long ago
GAP_MONTHS_BACK = 3  # retention-gap: the monthly of this many months ago is missing
TRUNCATE_TO = 0.9  # truncated-backup: keeps the shrink within max_shrink, so only integrity fails
EMPTIED_TABLE = "products"  # empty-restore: the newest dump has this table without rows (a small one: no shrink)


@dataclass(frozen=True)
class Backup:
    """One backup file as the job left it: where, when it finished, its size and digest."""

    path: Path
    finished: dt.datetime
    size: int
    sha256: str


def name_of(finished: dt.datetime) -> str:
    """The file name of the backup that finished at this (local) time."""
    return f"app-{finished:%Y-%m-%d}.sql.gz"


def _months_back(day: dt.date, back: int) -> dt.date:
    """The first day of the month `back` months before day's month."""
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def _same_time(day: dt.date, anchor: dt.datetime) -> dt.datetime:
    """That day at the anchor's time of day."""
    return dt.datetime.combine(day, anchor.timetz())


def schedule(anchor: dt.datetime) -> list[dt.datetime]:
    """When the kept backups finished, newest first: a grandfather-father-son history ending at anchor."""
    times = [
        *(anchor - dt.timedelta(days=days) for days in range(DAILIES)),
        *(anchor - dt.timedelta(weeks=weeks) for weeks in range(2, WEEKLIES + 2)),
        *(_same_time(_months_back(anchor.date(), back), anchor) for back in range(1, MONTHLIES + 1)),
        *(_same_time(dt.date(anchor.year - back, 1, 1), anchor) for back in range(1, YEARLIES + 1)),
    ]
    by_day = {t.date(): t for t in sorted(times)}  # one backup a day: the latest of that day
    return sorted(by_day.values(), reverse=True)


def _emptied(dump_sql: str, table: str) -> str:
    """The dump without the rows of one table (its CREATE TABLE stays)."""
    rows = f'INSERT INTO "{table}" '
    return "".join(line for line in dump_sql.splitlines(keepends=True) if not line.startswith(rows))


def _damage(data: bytes, newest: bool, breaks: frozenset[str]) -> tuple[bytes, str]:
    """The bytes to write and the digest to put in the sidecar, after the backup breaks."""
    if newest and "truncated-backup" in breaks:
        data = data[: int(len(data) * TRUNCATE_TO)]
    digest = hashlib.sha256(data).hexdigest()
    if newest and "checksum-mismatch" in breaks:
        digest = hashlib.sha256(b"a different file" + data).hexdigest()
    return data, digest


def write(folder: Path, dump_sql: str, now: dt.datetime, breaks: frozenset[str]) -> list[Backup]:
    """Replace the backups in folder with a fresh history dated relative to now; newest first."""
    anchor = now - JOB_LAG - (STALE_BY if "stale-backup" in breaks else dt.timedelta())
    times = schedule(anchor)
    if "retention-gap" in breaks:
        gap = _months_back(anchor.date(), GAP_MONTHS_BACK)
        times = [t for t in times if (t.year, t.month) != (gap.year, gap.month)]
    folder.mkdir(parents=True, exist_ok=True)
    keep = {name for t in times for name in (name_of(t), name_of(t) + ".sha256")}
    for old in folder.glob("app-*.sql.gz*"):  # files that keep their name are overwritten (much cheaper)
        if old.name not in keep:
            old.unlink()
    body = gzip.compress(dump_sql.encode(), compresslevel=6, mtime=0)  # one member shared by all files
    backups = []
    for index, finished in enumerate(times):
        trailer = f"-- Dump completed on {finished:%Y-%m-%d %H:%M:%S}\n".encode()
        content = body
        if index == 0 and "empty-restore" in breaks:
            content = gzip.compress(_emptied(dump_sql, EMPTIED_TABLE).encode(), compresslevel=6, mtime=0)
        data, digest = _damage(content + gzip.compress(trailer, mtime=0), index == 0, breaks)
        path = folder / name_of(finished)
        path.write_bytes(data)
        sidecar = path.with_name(path.name + ".sha256")
        sidecar.write_text(f"{digest}  {path.name}\n")
        for written in (path, sidecar):
            os.utime(written, (finished.timestamp(), finished.timestamp()))
        backups.append(Backup(path, finished, len(data), digest))
    return backups
