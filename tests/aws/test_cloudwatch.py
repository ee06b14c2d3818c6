"""CloudWatch alarms against moto: none in ALARM under the prefix, ignored ones left out, no data a warning."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from opsverify.checks import aws
from opsverify.checks.aws.cloudwatch import alarms
from opsverify.result import Status
from tests.aws.conftest import item


@pytest.fixture
def cloudwatch(boto: Callable[[str], Any]) -> Any:
    """Three alarms under shop- and one of another team, all OK."""
    client = boto("cloudwatch")
    for name in ("shop-5xx", "shop-latency", "shop-dev-canary", "billing-errors"):
        client.put_metric_alarm(AlarmName=name, MetricName="Errors", Namespace="Shop", Statistic="Sum", Period=60,
                                EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
        client.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="fine")
    return client


def check(endpoint: str, **keys: Any) -> Any:
    """The alarms check over an `alarms:` section with these keys."""
    return alarms(item(aws.alarms, endpoint, alarms=keys))


def test_alarms_all_ok_pass(cloudwatch: Any, account: str) -> None:
    result = check(account, prefix="shop-")
    assert (result.status, result.reason) == (Status.PASSED,
                                              "none of 3 CloudWatch alarms starting with 'shop-' in ALARM")
    assert item(aws.alarms, account, alarms={"prefix": "shop-"}).name == "shop-"
    assert item(aws.alarms, account, alarms={}).name == "alarms"


def test_an_alarm_in_alarm_fails_with_its_reason(cloudwatch: Any, account: str) -> None:
    cloudwatch.set_alarm_state(AlarmName="shop-5xx", StateValue="ALARM",
                               StateReason="Threshold Crossed: 1 datapoint [12.0 (23/11/26 09:00:00)] was greater "
                                           "than the threshold (1.0). " + "x" * 200)
    result = check(account, prefix="shop-")
    assert result.status is Status.FAILED
    assert result.reason.startswith("1 of 3 CloudWatch alarms starting with 'shop-' in ALARM: shop-5xx (Threshold "
                                    "Crossed: 1 datapoint [12.0 (23/11/26 09:00:00)] was greater than the threshold")
    assert result.reason.endswith("x…)")
    assert result.evidence["in_alarm"] == ["shop-5xx"]


def test_ignored_alarms_and_other_prefixes_do_not_count(cloudwatch: Any, account: str) -> None:
    cloudwatch.set_alarm_state(AlarmName="shop-dev-canary", StateValue="ALARM", StateReason="canary down")
    cloudwatch.set_alarm_state(AlarmName="billing-errors", StateValue="ALARM", StateReason="not ours")
    result = check(account, prefix="shop-", ignore=["shop-dev-canary"])
    assert (result.status, result.reason) == (Status.PASSED,
                                              "none of 2 CloudWatch alarms starting with 'shop-' in ALARM")
    everything = check(account)
    assert everything.status is Status.FAILED
    assert everything.reason == ("2 of 4 CloudWatch alarms in ALARM: billing-errors (not ours); "
                                 "shop-dev-canary (canary down)")


def test_insufficient_data_is_a_warning(cloudwatch: Any, account: str) -> None:
    cloudwatch.set_alarm_state(AlarmName="shop-latency", StateValue="INSUFFICIENT_DATA", StateReason="no data")
    result = check(account, prefix="shop-")
    assert (result.status, result.reason) == (
        Status.WARNING, "1 of 3 CloudWatch alarms starting with 'shop-' have insufficient data: shop-latency")


def test_no_alarms_under_the_prefix_fails(cloudwatch: Any, account: str) -> None:
    result = check(account, prefix="shpo-")
    assert (result.status, result.reason) == (Status.FAILED, "no CloudWatch alarms starting with 'shpo-'")
    result = check(account, prefix="billing-", ignore=["billing-errors"])
    assert (result.status, result.reason) == (
        Status.FAILED, "no CloudWatch alarms starting with 'billing-' that are not ignored")

