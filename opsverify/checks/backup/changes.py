"""Backups around changes: one written shortly before each release, and one after each change of live files."""

from __future__ import annotations

import datetime as dt

from opsverify.checks import CheckError, show_seconds
from opsverify.checks.backup.files import Store, backup_check, listing, store_on
from opsverify.context import RunContext
from opsverify.result import Result, error, failed, grade, passed, skipped
from opsverify.spec.models.backups import Backup

SHOWN = 3  # unsaved changes named in a reason


@backup_check
def before_release(backup: Backup, *, context: RunContext | None = None) -> Result:
    """The newest backup older than the release's change time is at most `within` older than it."""
    plan = backup.before_release
    if plan is None:
        return skipped("no before_release set")
    store, files = listing(backup, context)
    live = store_on(plan.host if plan.host is not None else backup.host, backup, context)
    deployed = _changed(live, plan.path)
    when = f"{plan.path}{live.where} changed {_clock(deployed)}"
    earlier = [f for f in files if f.modified <= deployed]
    if not earlier:
        return error(f"every backup of {backup.path}{store.where} is newer than the release ({when}): "
                     "the one before it is no longer kept, so it cannot be judged")
    gap = (deployed - earlier[0].modified).total_seconds()
    said = (f"newest backup before the release, {earlier[0].name}{store.where}, was written {show_seconds(gap)} "
            f"before {when}")
    return grade("time from backup to release", gap, plan.within, None, show=show_seconds, unit="s", said=said,
                 evidence={"release": plan.path, "deployed": deployed.isoformat(timespec="seconds"),
                           "backup": earlier[0].path})


@backup_check
def after_change(backup: Backup, *, context: RunContext | None = None) -> Result:
    """Every path in `after_change` last changed before the set's newest backup (or within the grace)."""
    plan = backup.after_change
    if plan is None:
        return skipped("no after_change set")
    store, files = listing(backup, context)
    live = store_on(plan.host if plan.host is not None else backup.host, backup, context)
    newest, now = files[0], dt.datetime.now(dt.timezone.utc)
    grace = dt.timedelta(seconds=float(plan.within or 0))
    changes = {path: _changed(live, path) for path in plan.paths}
    unsaved = {path: when for path, when in changes.items() if when > newest.modified and now - when > grace}
    evidence = {"newest": newest.name, "written": newest.modified.isoformat(timespec="seconds"),
                "changed": {path: when.isoformat(timespec="seconds") for path, when in changes.items()}}
    backed = f"the newest backup {newest.name}{store.where} ({_clock(newest.modified)})"
    if unsaved:
        listed = ", ".join(f"{path} changed {_clock(when)}" for path, when in list(unsaved.items())[:SHOWN])
        more = f" and {len(unsaved) - SHOWN} more" if len(unsaved) > SHOWN else ""
        grace_said = f" and over {plan.within} ago" if plan.within else ""
        return failed(f"{len(unsaved)} of {len(changes)} paths{live.where} changed after {backed}"
                      f"{grace_said}: {listed}{more}", value=len(unsaved), evidence=evidence)
    return passed(f"all {len(changes)} paths{live.where} last changed before {backed}"
                  + (f" or within {plan.within}" if plan.within else ""), value=0, evidence=evidence)


def _changed(store: Store, path: str) -> dt.datetime:
    """The path's newest change time there; CheckError when it does not exist."""
    when = store.changed(path)
    if when is None:
        raise CheckError(f"{path}{store.where} does not exist")
    return when


def _clock(when: dt.datetime) -> str:
    """A time as the reasons print it: 2026-11-23 10:12 UTC."""
    return f"{when:%Y-%m-%d %H:%M} UTC"
