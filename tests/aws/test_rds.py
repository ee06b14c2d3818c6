"""RDS instances against moto: available or stopped, backup retention, the latest restorable time (the RPO)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from opsverify.checks import aws
from opsverify.checks.aws.rds import available, backup_retention, restorable, restore_lag
from opsverify.result import Status
from tests.aws.conftest import environment, item

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.timezone.utc)


def instance(boto: Callable[[str], Any], retention: int = 7) -> Any:
    """A PostgreSQL instance shop-db keeping automated backups `retention` days."""
    client = boto("rds")
    client.create_db_instance(DBInstanceIdentifier="shop-db", DBInstanceClass="db.t3.micro", Engine="postgres",
                              MasterUsername="app", MasterUserPassword="not-a-real-password",
                              AllocatedStorage=20, BackupRetentionPeriod=retention)
    return client


def shop_db(endpoint: str, **keys: Any) -> aws.Target:
    """The item of an `rds:` entry for shop-db."""
    return item(aws.rds_instances, endpoint, rds=[{"instance": "shop-db", **keys}])


def test_an_available_instance_passes_and_a_stopped_one_fails(boto: Callable[[str], Any], account: str) -> None:
    client = instance(boto)
    result = available(shop_db(account))
    assert (result.status, result.reason) == (Status.PASSED, "RDS instance shop-db is available")
    assert result.evidence["engine"] == "postgres"
    client.stop_db_instance(DBInstanceIdentifier="shop-db")
    result = available(shop_db(account))
    assert (result.status, result.reason) == (Status.FAILED, "RDS instance shop-db is 'stopped'")


def test_a_missing_instance_fails_naming_it(account: str) -> None:
    for check in (available, backup_retention, restorable):
        result = check(shop_db(account, max_restore_lag="15m"))
        assert (result.status, result.reason) == (Status.FAILED, "RDS instance shop-db does not exist")


def test_backup_retention_against_its_minimum(boto: Callable[[str], Any], account: str) -> None:
    instance(boto, retention=7)
    result = backup_retention(shop_db(account, min_backup_retention=7, warn_min_backup_retention=14))
    assert result.status is Status.WARNING
    assert result.reason == "automated backup retention of RDS instance shop-db is 7 days; warning level 14 days"
    assert backup_retention(shop_db(account)).status is Status.PASSED


def test_short_backup_retention_fails(boto: Callable[[str], Any], account: str) -> None:
    instance(boto, retention=3)
    result = backup_retention(shop_db(account, min_backup_retention=7))
    assert result.status is Status.FAILED
    assert result.reason == "automated backup retention of RDS instance shop-db is 3 days; limit 7 days"


def test_automated_backups_off_fails_both_backup_checks(boto: Callable[[str], Any], account: str) -> None:
    instance(boto, retention=0)
    result = backup_retention(shop_db(account))
    assert (result.status, result.reason) == (
        Status.FAILED, "RDS instance shop-db: automated backups are off (retention 0 days)")
    result = restorable(shop_db(account, max_restore_lag="15m"))
    assert (result.status, result.reason) == (
        Status.FAILED, "RDS instance shop-db has no point-in-time restore: automated backups are off")


def test_a_recent_latest_restorable_time_passes(boto: Callable[[str], Any], account: str) -> None:
    instance(boto)
    assert aws.rds_rpo(environment(account, rds=[{"instance": "shop-db"}])) == []
    result = restorable(shop_db(account, max_restore_lag="15m"))
    assert result.status is Status.PASSED, result.reason
    assert result.reason.startswith("age of the latest restorable time of RDS instance shop-db is ")
    assert result.reason.endswith("; limit 15m")


def test_a_stale_latest_restorable_time_fails(account: str) -> None:
    """moto always reports now as the latest restorable time, so a stale one is judged as AWS describes it."""
    target = shop_db(account, max_restore_lag="15m", warn_max_restore_lag="5m")
    described = {"DBInstanceStatus": "available", "BackupRetentionPeriod": 7}
    stale = restore_lag(target, {**described, "LatestRestorableTime": NOW - dt.timedelta(hours=2, minutes=10)}, NOW)
    assert stale.status is Status.FAILED
    assert stale.reason == "age of the latest restorable time of RDS instance shop-db is 2h; limit 15m"
    late = restore_lag(target, {**described, "LatestRestorableTime": NOW - dt.timedelta(minutes=8)}, NOW)
    assert (late.status, late.reason) == (
        Status.WARNING, "age of the latest restorable time of RDS instance shop-db is 8m; warning level 5m")
    none = restore_lag(target, described, NOW)
    assert none.status is Status.FAILED
    assert none.reason == ("RDS instance shop-db reports no latest restorable time "
                           "(status 'available'; no automated backup has completed yet?)")
