"""Retention, grandfather-father-son: every calendar slot of the policy holds a backup, and nothing the
policy would no longer keep (by restic's `forget --keep-*` rules) is older than the oldest backup it keeps.

Slots are clock hours, calendar days, ISO weeks, months and years counted back from the newest backup, in the local
time of the machine holding the backups. A month without a backup is a missing slot even when older
months would let restic fill its `--keep-monthly` count (restic counts the last n months that *have* a
backup); the files restic would forget in between are not reported, only those beyond the oldest it keeps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Sequence

from opsverify.checks.backup.files import HostStore, backup_check, listing
from opsverify.context import RunContext
from opsverify.result import Result, failed, passed, skipped
from opsverify.spec.models.backups import Backup, Retention

RULES: dict[str, Callable[[dt.datetime], Hashable]] = {
    "hourly": lambda t: (t.date(), t.hour),
    "daily": lambda t: t.date(),
    "weekly": lambda t: t.isocalendar()[:2],
    "monthly": lambda t: (t.year, t.month),
    "yearly": lambda t: t.year,
}
SHOWN = 5  # names listed in a reason before "and N more"


def slot_label(rule: str, key: Hashable) -> str:
    """A slot as people write it: 2026-11-18 14:00, 2026-11-18, 2026-W47, 2026-11, 2026."""
    if rule == "hourly":
        return f"{key[0].isoformat()} {key[1]:02d}:00"  # type: ignore[index]
    if rule == "daily":
        return key.isoformat()  # type: ignore[union-attr]
    if rule == "weekly":
        return f"{key[0]}-W{key[1]:02d}"  # type: ignore[index]
    if rule == "monthly":
        return f"{key[0]}-{key[1]:02d}"  # type: ignore[index]
    return str(key)


def slots(rule: str, newest: dt.datetime, count: int) -> list[Hashable]:
    """The calendar slots of a rule, newest first, counted back from the newest backup."""
    day = newest.date()
    if rule == "hourly":
        return [RULES[rule](newest - dt.timedelta(hours=back)) for back in range(count)]
    if rule == "daily":
        return [day - dt.timedelta(days=back) for back in range(count)]
    if rule == "weekly":
        return [(day - dt.timedelta(weeks=back)).isocalendar()[:2] for back in range(count)]
    if rule == "monthly":
        index = day.year * 12 + day.month - 1
        return [((index - back) // 12, (index - back) % 12 + 1) for back in range(count)]
    return [day.year - back for back in range(count)]


def counts(policy: Retention) -> dict[str, int]:
    """The rules with a count above zero."""
    return {rule: n for rule in RULES if (n := getattr(policy, rule))}


def kept(times: Sequence[dt.datetime], policy: Retention) -> set[int]:
    """Indexes of the backups (newest first) that restic's forget would keep under this policy.

    For each rule, a backup is kept when its bucket differs from the last one that rule kept, until the
    rule's count is used up; a rule with counts left also keeps the oldest backup.
    """
    keep: set[int] = set()
    for rule, count in counts(policy).items():
        bucket, last, left = RULES[rule], None, count
        for index, when in enumerate(times):
            value = bucket(when)
            if left and (value != last or index == len(times) - 1):
                keep.add(index)
                last, left = value, left - 1
    return keep


@backup_check
def retention(backup: Backup, *, context: RunContext | None = None) -> Result:
    """Missing calendar slots and files older than the policy keeps."""
    if backup.retention is None or not counts(backup.retention):
        return skipped("no retention counts set")
    policy = backup.retention
    store, files = listing(backup, context)
    zone = store.offset() if isinstance(store, HostStore) else dt.datetime.now().astimezone().tzinfo
    times = [f.modified.astimezone(zone) for f in files]
    missing: dict[str, list[str]] = {}
    for rule, count in counts(policy).items():
        have = {RULES[rule](t) for t in times}
        empty = [slot_label(rule, s) for s in slots(rule, times[0], count) if s not in have]
        if empty:
            missing[rule] = empty
    keep = kept(times, policy)
    oldest_kept = max(keep)
    too_old = [f.name for f in files[oldest_kept + 1:]]
    evidence = {"files": len(files), "kept_by_policy": len(keep), "oldest_kept": files[oldest_kept].name,
                "missing_slots": missing, "older_than_policy": too_old,
                "policy": {rule: n for rule, n in counts(policy).items()}}
    problems = [f"no {rule} backup for {_listed(empty)} ({len(empty)} of {counts(policy)[rule]} {rule} slots empty)"
                for rule, empty in missing.items()]
    if too_old:
        problems.append(f"{len(too_old)} file{'s' if len(too_old) > 1 else ''} older than the policy keeps: "
                        f"{_listed(too_old)} (oldest kept: {files[oldest_kept].name})")
    where = f"{backup.path}{store.where}"
    if problems:
        return failed(f"{where}: " + "; ".join(problems), value=sum(map(len, missing.values())) + len(too_old),
                      evidence=evidence)
    summary = ", ".join(f"{n} {rule}" for rule, n in counts(policy).items())
    return passed(f"{where}: every slot of the policy holds a backup ({summary}) and nothing is older than it "
                  f"keeps ({len(files)} files, oldest kept {files[oldest_kept].name})", value=0, evidence=evidence)


def _listed(names: list[str]) -> str:
    """The first few names, then how many more."""
    more = len(names) - SHOWN
    return ", ".join(names[:SHOWN]) + (f" and {more} more" if more > 0 else "")
