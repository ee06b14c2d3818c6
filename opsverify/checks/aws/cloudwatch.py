"""CloudWatch: alarms (metric and composite) none in ALARM, INSUFFICIENT_DATA a warning; a metric's statistic."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any, cast

from opsverify.checks import CheckError, cause, target_key, timeout_of
from opsverify.checks.aws import Target, answers, aws_check, client, first_few, trimmed
from opsverify.result import Result, failed, passed, warning
from opsverify.spec.models.aws import Alarms, Aws
from opsverify.spec.models.metrics import CloudWatchMetric, Metric

DAY = 86400  # the longest period asked for: longer windows add up daily datapoints

@aws_check
def alarms(target: Target) -> Result:
    """Every alarm under the prefix, except the ignored ones, is not in ALARM."""
    spec = cast(Alarms, target.entry)
    params: dict[str, Any] = {"AlarmTypes": ["MetricAlarm", "CompositeAlarm"]}
    if spec.prefix:
        params["AlarmNamePrefix"] = spec.prefix
    with answers(target):
        pages = client(target).get_paginator("describe_alarms").paginate(**params)
        found = [a for page in pages for a in page.get("MetricAlarms", []) + page.get("CompositeAlarms", [])]
    watched = sorted((a for a in found if a["AlarmName"] not in spec.ignore), key=lambda a: a["AlarmName"])
    what = f"CloudWatch alarms starting with {spec.prefix!r}" if spec.prefix else "CloudWatch alarms"
    if not watched:
        return failed(f"no {what}" + (" that are not ignored" if found else ""), value=0)
    firing = [a for a in watched if a["StateValue"] == "ALARM"]
    unknown = [a for a in watched if a["StateValue"] == "INSUFFICIENT_DATA"]
    evidence = {"alarms": len(watched), "in_alarm": [a["AlarmName"] for a in firing][:50],
                "insufficient_data": [a["AlarmName"] for a in unknown][:50]}
    if firing:
        named = first_few([f"{a['AlarmName']} ({trimmed(a.get('StateReason', ''), 100)})" for a in firing])
        return failed(f"{len(firing)} of {len(watched)} {what} in ALARM: {named}", value=len(firing),
                      evidence=evidence)
    if unknown:
        named = first_few([a["AlarmName"] for a in unknown])
        return warning(f"{len(unknown)} of {len(watched)} {what} have insufficient data: {named}",
                       value=0, evidence=evidence)
    return passed(f"none of {len(watched)} {what} in ALARM", value=0, evidence=evidence)


def metric_value(metric: Metric, aws: Aws) -> tuple[float, str]:
    """The metric's CloudWatch statistic over its window (datapoints of up to a day combined); its source."""
    spec = cast(CloudWatchMetric, metric.cloudwatch)
    target = Target(aws, "cloudwatch", metric.name, metric)  # the metric's own timeout
    end = datetime.now(timezone.utc)
    params = {"Namespace": spec.namespace, "MetricName": spec.metric,
              "Dimensions": [{"Name": k, "Value": v} for k, v in spec.dimensions.items()],
              "StartTime": end - timedelta(seconds=float(spec.window)), "EndTime": end,
              "Period": min(DAY, math.ceil(spec.window / 60) * 60),
              "Statistics": ["Sum", "SampleCount", "Maximum", "Minimum"]}
    try:
        with answers(target):
            points = client(target).get_metric_statistics(**params)["Datapoints"]
    except Exception as exc:  # named after the endpoint, not the metric
        raise CheckError(cause(exc, target_key(target), timeout_of(target))) from exc
    dimensions = ", ".join(f"{k}={v}" for k, v in spec.dimensions.items())
    source = f"CloudWatch {spec.namespace} {spec.metric}" + (f" ({dimensions})" if dimensions else "")
    said = f"{source} {spec.statistic} over {spec.window}"
    if not points:
        if metric.missing == "zero":
            return 0.0, f"{said} (no datapoints, counted as 0: missing: zero)"
        raise CheckError(f"no datapoints of {source} in the last {spec.window}: no data is not zero (a metric "
                         "that stopped reporting looks the same); set missing: zero where none means 0")
    total, count = sum(p["Sum"] for p in points), sum(p["SampleCount"] for p in points)
    number = {"Sum": total, "SampleCount": count, "Average": total / count,
              "Maximum": max(p["Maximum"] for p in points), "Minimum": min(p["Minimum"] for p in points)}
    return number[spec.statistic], said
