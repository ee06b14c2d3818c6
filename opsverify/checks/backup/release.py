"""The pre-update backup: a backup of the set was written shortly before the deployed release changed."""

from __future__ import annotations

from opsverify.checks import CheckError, show_seconds
from opsverify.checks.backup.files import backup_check, listing, store_on
from opsverify.context import RunContext
from opsverify.result import Result, grade, skipped
from opsverify.spec.models.backups import Backup


@backup_check
def before_release(backup: Backup, *, context: RunContext | None = None) -> Result:
    """The newest backup older than the release's change time is at most `within` older than it."""
    plan = backup.before_release
    if plan is None:
        return skipped("no before_release set")
    store, files = listing(backup, context)
    release = store_on(plan.host if plan.host is not None else backup.host, backup, context)
    deployed = release.changed(plan.path)
    if deployed is None:
        raise CheckError(f"the release path {plan.path}{release.where} does not exist")
    when = f"{plan.path}{release.where} changed {deployed:%Y-%m-%d %H:%M} UTC"
    earlier = [f for f in files if f.modified <= deployed]
    if not earlier:
        return skipped(f"every backup of {backup.path}{store.where} is newer than the release ({when}): "
                       "the one before it is no longer kept")
    gap = (deployed - earlier[0].modified).total_seconds()
    said = (f"newest backup before the release, {earlier[0].name}{store.where}, was written {show_seconds(gap)} "
            f"before {when}")
    return grade("time from backup to release", gap, plan.within, None, show=show_seconds, unit="s", said=said,
                 evidence={"release": plan.path, "deployed": deployed.isoformat(timespec="seconds"),
                           "backup": earlier[0].path})
