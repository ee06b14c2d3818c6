"""CloudWatch log group retention against moto: one group or every group under a prefix, "never expire" enough."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from opsverify.checks import aws
from opsverify.checks.aws.logs import retention
from opsverify.result import Result, Status
from tests.aws.conftest import item

APP, ACCESS, SECURITY = "/ecs/production/application", "/ecs/production/access", "/ecs/production/security"


@pytest.fixture
def logs(boto: Callable[[str], Any]) -> Any:
    """The runbook's policy kept: application 30 days, access 7 days, security logs never expire."""
    client = boto("logs")
    for name, days in ((APP, 30), (ACCESS, 7), (SECURITY, None)):
        client.create_log_group(logGroupName=name)
        if days:
            client.put_retention_policy(logGroupName=name, retentionInDays=days)
    return client


def check(endpoint: str, **keys: Any) -> Result:
    """The retention check over one `log_groups:` entry with these keys."""
    return retention(item(aws.log_groups, endpoint, log_groups=[keys]))


def test_a_group_kept_long_enough_passes(logs: Any, account: str) -> None:
    result = check(account, group=APP, min_days=30)
    assert (result.status, result.reason) == (Status.PASSED, f"log group {APP} keeps logs 30 days; limit 30 days")
    assert (result.value, result.limit) == (30, "30 days")
    assert item(aws.log_groups, account, log_groups=[{"group": APP, "min_days": 30}]).name == APP


def test_never_expire_is_enough(logs: Any, account: str) -> None:
    result = check(account, group=SECURITY, min_days=90)
    assert (result.status, result.reason) == (
        Status.PASSED, f"log group {SECURITY} keeps logs forever (never expire); limit 90 days")
    assert result.value is None


def test_a_short_retention_fails(logs: Any, account: str) -> None:
    logs.put_retention_policy(logGroupName=APP, retentionInDays=14)
    result = check(account, group=APP, min_days=30)
    assert (result.status, result.reason) == (Status.FAILED, f"log group {APP} keeps logs 14 days; limit 30 days")


def test_below_the_warning_level_warns(logs: Any, account: str) -> None:
    result = check(account, group=ACCESS, min_days=7, warn_min_days=14)
    assert (result.status, result.reason) == (Status.WARNING,
                                              f"log group {ACCESS} keeps logs 7 days; warning level 14 days")


def test_every_group_under_a_prefix_is_judged(logs: Any, account: str) -> None:
    result = check(account, prefix="/ecs/production/", min_days=7)
    assert (result.status, result.reason) == (
        Status.PASSED, "all 3 log groups starting with '/ecs/production/' keep logs 7 days or longer "
                       "(the shortest: 7 days)")
    assert result.evidence["retention"] == {ACCESS: "7 days", APP: "30 days", SECURITY: "forever (never expire)"}
    result = check(account, prefix="/ecs/production/", min_days=30)
    assert (result.status, result.reason) == (
        Status.FAILED, f"1 of 3 log groups starting with '/ecs/production/' keep logs less than 30 days (limit): "
                       f"{ACCESS} 7 days")
    result = check(account, prefix="/ecs/", min_days=1, warn_min_days=60)
    assert (result.status, result.reason) == (
        Status.WARNING, f"2 of 3 log groups starting with '/ecs/' keep logs less than 60 days (warning level): "
                        f"{ACCESS} 7 days; {APP} 30 days")


def test_a_missing_group_fails_and_a_longer_name_is_not_it(logs: Any, account: str) -> None:
    logs.create_log_group(logGroupName="/ecs/production/audit-old")
    result = check(account, group="/ecs/production/audit", min_days=90)
    assert (result.status, result.reason) == (Status.FAILED, "log group /ecs/production/audit does not exist")
    result = check(account, prefix="/lambda/", min_days=7)
    assert (result.status, result.reason) == (Status.FAILED, "no log groups starting with '/lambda/'")
