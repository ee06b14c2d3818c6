"""`metrics:` read from CloudWatch against moto: a statistic over the window, datapoints of days combined, none."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from opsverify.checks.metrics import value
from opsverify.context import RunContext
from opsverify.result import Result, Status
from opsverify.spec import loads
from tests.aws.conftest import REGION
from tests.support.net import LOOPBACK, free_port

ALB = "app/solemate-alb/123"
SOURCE = f"CloudWatch AWS/ApplicationELB HTTPCode_Target_5XX_Count (LoadBalancer={ALB})"


@pytest.fixture
def cloudwatch(boto: Callable[[str], Any]) -> Any:
    """5xx counts of the ALB: 10 and 20 within the last day, 30 a day and a half ago; 99 on another ALB."""
    client = boto("cloudwatch")
    for count, hours_ago, alb in ((10, 1, ALB), (20, 5, ALB), (30, 30, ALB), (99, 1, "app/other/456")):
        put(client, count, hours_ago, alb)
    return client


def put(client: Any, count: float, hours_ago: float, alb: str = ALB) -> None:
    """One datapoint of the ALB's 5xx count, `hours_ago` hours ago."""
    client.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[{
        "MetricName": "HTTPCode_Target_5XX_Count", "Dimensions": [{"Name": "LoadBalancer", "Value": alb}],
        "Value": count, "Timestamp": dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=hours_ago)}])


def check(endpoint: str, statistic: str = "Sum", window: str = "24h", alb: str = ALB, **bounds: Any) -> Result:
    """The metrics check of one CloudWatch metric, in an environment whose `aws:` section points at `endpoint`."""
    metric = {"name": "alb-5xx", "timeout": "3s", **(bounds or {"max": 50}),
              "cloudwatch": {"namespace": "AWS/ApplicationELB", "metric": "HTTPCode_Target_5XX_Count",
                             "dimensions": {"LoadBalancer": alb}, "statistic": statistic, "window": window}}
    env = loads(yaml.safe_dump({"environment": "t", "aws": {"region": REGION, "endpoint_url": endpoint},
                                "metrics": [metric]}), environ={})
    context = RunContext(env, Path("/nonexistent"), None, dt.datetime.now(dt.timezone.utc))
    return value(env.metrics[0], context=context)


def test_the_sum_over_the_window_passes_under_its_maximum(cloudwatch: Any, account: str) -> None:
    result = check(account)
    assert (result.status, result.reason, result.value) == (Status.PASSED, "alb-5xx is 30; max 50", 30)
    assert result.evidence == {"source": f"{SOURCE} Sum over 24h", "value": 30}


def test_over_its_maximum_fails(cloudwatch: Any, account: str) -> None:
    put(cloudwatch, 32, 2)
    result = check(account)
    assert (result.status, result.reason) == (Status.FAILED, "alb-5xx is 62; over its maximum 50")


def test_each_statistic_and_a_window_of_days(cloudwatch: Any, account: str) -> None:
    read = {statistic: check(account, statistic, max=1000).value
            for statistic in ("Average", "Maximum", "Minimum", "SampleCount")}
    assert read == {"Average": 15, "Maximum": 20, "Minimum": 10, "SampleCount": 2}
    two_days = {statistic: check(account, statistic, "2d", max=1000).value for statistic in ("Sum", "Average")}
    assert two_days == {"Sum": 60, "Average": 20}  # two daily datapoints combined


def test_no_datapoints_is_an_error_even_for_a_count_unless_the_item_says_missing_zero(cloudwatch: Any,
                                                                                       account: str) -> None:
    silent = check(account, alb="app/quiet/789")  # a metric filter that broke publishes nothing, like no attacks
    assert (silent.status, silent.reason) == (
        Status.ERROR, "no datapoints of CloudWatch AWS/ApplicationELB HTTPCode_Target_5XX_Count "
                      "(LoadBalancer=app/quiet/789) in the last 24h: no data is not zero (a metric that stopped "
                      "reporting looks the same); set missing: zero where none means 0")
    said = check(account, alb="app/quiet/789", max=50, missing="zero")
    assert (said.status, said.reason, said.value) == (Status.PASSED, "alb-5xx is 0; max 50", 0)
    assert said.evidence["source"].endswith("Sum over 24h (no datapoints, counted as 0: missing: zero)")
    result = check(account, "Maximum", "2h", alb="app/quiet/789")
    assert result.status is Status.ERROR
    assert result.reason.startswith("no datapoints of CloudWatch AWS/ApplicationELB HTTPCode_Target_5XX_Count "
                                    "(LoadBalancer=app/quiet/789) in the last 2h: ")


def test_an_unreachable_endpoint_is_an_error() -> None:
    port = free_port()
    result = check(f"http://{LOOPBACK}:{port}")
    assert (result.status, result.reason) == (Status.ERROR, f"connection refused on {LOOPBACK}:{port}")


def test_without_the_run_context_it_says_what_it_needs() -> None:
    env = loads(yaml.safe_dump({"environment": "t", "aws": {"region": REGION}, "metrics": [{
        "name": "alb-5xx", "max": 1, "cloudwatch": {"namespace": "N", "metric": "M", "statistic": "Sum",
                                                     "window": "1h"}}]}), environ={})
    result = value(env.metrics[0])
    assert (result.status, result.reason) == (
        Status.ERROR, "metric alb-5xx reads CloudWatch and needs the environment's aws: section")
