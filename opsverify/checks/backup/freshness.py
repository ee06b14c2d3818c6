"""Freshness (the RPO): the newest file of the set is younger than `max_age`."""

from __future__ import annotations

import datetime as dt

from opsverify.checks import show_seconds
from opsverify.checks.backup.files import backup_check, listing
from opsverify.context import RunContext
from opsverify.result import Result, grade
from opsverify.spec.models.backups import Backup


@backup_check
def freshness(backup: Backup, *, context: RunContext | None = None) -> Result:
    """Age of the newest backup file against max_age / warn_max_age."""
    store, files = listing(backup, context)
    newest = files[0]
    age = newest.age(dt.datetime.now(dt.timezone.utc))
    return grade(f"age of newest backup {newest.name}{store.where}", age, backup.max_age, backup.warn_max_age,
                 show=show_seconds, unit="s",
                 evidence={"newest": newest.path, "written": newest.modified.isoformat(timespec="seconds"),
                           "files": len(files)})
