"""No false assurance in the AWS checks against moto: a metric with no datapoints and an old image scan are
`error`, never a pass."""

from __future__ import annotations

from typing import Any

from opsverify.result import Status
from tests.aws.test_cloudwatch_metrics import check as metric
from tests.aws.test_ecr import check as image_scan
from tests.aws.test_ecr import ecr, scanned  # noqa: F401 - a fixture


def test_a_metric_that_stopped_reporting_is_not_zero(account: str) -> None:
    result = metric(account, alb="app/silent/000")
    assert result.status is Status.ERROR
    assert "no data is not zero" in result.reason


def test_a_scan_a_month_old_cannot_speak_for_today(ecr: Any, account: str) -> None:
    scanned(ecr, account, days_ago=31)
    result = image_scan(account)
    assert result.status is Status.ERROR
    assert "31d old" in result.reason
