"""RDS instances: available, automated backups kept long enough, and a recent latest restorable time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from opsverify.checks import show_seconds
from opsverify.checks.aws import Target, answers, aws_check, client, instance_of
from opsverify.result import Result, failed, grade, passed


@aws_check
def available(target: Target) -> Result:
    """DBInstanceStatus is 'available'."""
    instance = _described(target)
    status = instance["DBInstanceStatus"]
    evidence = {"status": status, "engine": instance.get("Engine"), "class": instance.get("DBInstanceClass"),
                "multi_az": instance.get("MultiAZ")}
    if status != "available":
        return failed(f"RDS instance {_instance(target)} is {status!r}", value=status, evidence=evidence)
    return passed(f"RDS instance {_instance(target)} is available", value=status, evidence=evidence)


@aws_check
def backup_retention(target: Target) -> Result:
    """Automated backups on, kept at least min_backup_retention days."""
    days = _described(target)["BackupRetentionPeriod"]
    entry = instance_of(target)
    if days == 0:
        return failed(f"RDS instance {_instance(target)}: automated backups are off (retention 0 days)", value=0,
                      unit="days", limit=_days(entry.min_backup_retention or 1))
    return grade(f"automated backup retention of RDS instance {_instance(target)}", days, entry.min_backup_retention,
                 entry.warn_min_backup_retention, show=_days, unit="days", higher_is_worse=False)


@aws_check
def restorable(target: Target) -> Result:
    """LatestRestorableTime no older than max_restore_lag (the RPO of point-in-time restore)."""
    return restore_lag(target, _described(target), dt.datetime.now(dt.timezone.utc))


def restore_lag(target: Target, instance: dict[str, Any], now: dt.datetime) -> Result:
    """How far the latest restorable time of a described instance lags `now`, against the item's limits."""
    entry = instance_of(target)
    if instance.get("BackupRetentionPeriod") == 0:
        return failed(f"RDS instance {_instance(target)} has no point-in-time restore: automated backups are off")
    latest = instance.get("LatestRestorableTime")
    if latest is None:
        return failed(f"RDS instance {_instance(target)} reports no latest restorable time "
                      f"(status {instance.get('DBInstanceStatus')!r}; no automated backup has completed yet?)")
    lag = max(0.0, (now - latest).total_seconds())
    return grade(f"age of the latest restorable time of RDS instance {_instance(target)}", lag, entry.max_restore_lag,
                 entry.warn_max_restore_lag, show=show_seconds, unit="s",
                 evidence={"latest_restorable_time": latest.isoformat()})


def _described(target: Target) -> dict[str, Any]:
    """The instance as describe_db_instances gives it; Missing if there is none."""
    with answers(target, missing=f"RDS instance {_instance(target)} does not exist"):
        return client(target).describe_db_instances(DBInstanceIdentifier=_instance(target))["DBInstances"][0]


def _instance(target: Target) -> str:
    """The instance's identifier (the test id is its `name` when it has one)."""
    return instance_of(target).instance


def _days(days: float) -> str:
    """A number of days, for a reason."""
    return f"{days:g} day" + ("" if days == 1 else "s")
