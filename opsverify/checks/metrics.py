"""Metrics: one number from SQL, PromQL, a JSON API or CloudWatch, bounded by min/max and warn_ twins."""

from __future__ import annotations

import math
from typing import Any

import requests

from opsverify.checks import CheckError, probe, timeout_of
from opsverify.checks.aws.cloudwatch import metric_value
from opsverify.checks.database import connection
from opsverify.checks.http import MISSING, lookup, session
from opsverify.checks.trust import bundle
from opsverify.context import RunContext
from opsverify.result import Result, failed, passed, warning
from opsverify.spec.models.metrics import Metric
from opsverify.spec.secret import Secret


@probe
def value(metric: Metric, *, context: RunContext | None = None) -> Result:
    """The metric's number against its bounds: below min or above max fails, past a warn_ level warns."""
    read = {"sql": lambda: _sql(metric, context), "prometheus": lambda: _promql(metric), "http": lambda: _json(metric),
            "cloudwatch": lambda: _cloudwatch(metric, context)}
    number, source = read[metric.kind]()
    bounds = ", ".join(f"{word} {_show(v)}" for word, v in (("min", metric.min), ("max", metric.max))
                       if v is not None)
    kw: dict[str, Any] = {"value": number, "limit": bounds or None, "evidence": {"source": source}}
    said = f"{metric.name} is {_show(number)}"
    for bound, word, outside, verdict in (
            (metric.min, "under its minimum", number < (metric.min or 0), failed),
            (metric.max, "over its maximum", number > (metric.max or 0), failed),
            (metric.warn_min, "under its warning minimum", number < (metric.warn_min or 0), warning),
            (metric.warn_max, "over its warning maximum", number > (metric.warn_max or 0), warning)):
        if bound is not None and outside:
            return verdict(f"{said}; {word} {_show(bound)}", **kw)
    return passed(f"{said}; {bounds or 'within its warning levels'}", **kw)


def _show(number: float) -> str:
    """A number without needless digits: 97.5, 12, 0.0042, 1000000."""
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else f"{number:.6g}"


def _sql(metric: Metric, context: RunContext | None) -> tuple[float, str]:
    """Run the metric's SQL read-only on the named database; it must return one number."""
    if context is None:
        raise CheckError(f"metric {metric.name} needs the run's environment to find database {metric.database}")
    db = context.named("databases", metric.database)
    if db is None:
        raise CheckError(f"no database named {metric.database} in the environment")
    with connection(db) as conn:
        result = conn.exec_driver_sql(metric.sql or "")
        found = result.fetchmany(2)
    if len(found) != 1 or len(found[0]) != 1:
        shape = f"{len(found)}{'+' if len(found) == 2 else ''} rows" if len(found) != 1 else f"{len(found[0])} columns"
        raise CheckError(f"the SQL of {metric.name} returned {shape}; a metric needs one row with one number")
    return _number(found[0][0], metric), f"SQL on {metric.database}"


def _cloudwatch(metric: Metric, context: RunContext | None) -> tuple[float, str]:
    """Read the metric from CloudWatch with the environment's `aws:` section."""
    aws = context.environment.aws if context else None
    if aws is None:
        raise CheckError(f"metric {metric.name} reads CloudWatch and needs the environment's aws: section")
    return metric_value(metric, aws)


def _promql(metric: Metric) -> tuple[float, str]:
    """Evaluate the PromQL query now through Prometheus' HTTP API; it must give one sample or a scalar."""
    base = metric.prometheus.reveal().rstrip("/") if metric.prometheus else ""
    timeout = float(timeout_of(metric))
    answer = requests.get(f"{base}/api/v1/query", params={"query": metric.query, "timeout": f"{timeout:g}s"},
                          timeout=timeout, verify=bundle(metric.ca_file) if base.startswith("https") else True)
    try:
        body: dict[str, Any] = answer.json()
    except ValueError:
        raise CheckError(f"{metric.prometheus} answered HTTP {answer.status_code} without JSON; is it Prometheus?") \
            from None
    if body.get("status") != "success":
        raise CheckError(f"Prometheus rejected the query ({body.get('errorType', answer.status_code)}): "
                         f"{body.get('error', 'no reason given')}")
    data = body.get("data", {})
    kind, found = data.get("resultType"), data.get("result")
    if kind == "scalar":
        return _number(found[1], metric), "PromQL"
    if kind != "vector":
        raise CheckError(f"the query of {metric.name} gives a {kind}; a metric needs an instant vector or scalar")
    if len(found) != 1:
        hint = " (no data; append `or vector(0)` if none means zero)" if not found else \
            " (aggregate them, e.g. with sum() or max())"
        raise CheckError(f"the query of {metric.name} returned {len(found)} series{hint}")
    return _number(found[0]["value"][1], metric), "PromQL"


def _json(metric: Metric) -> tuple[float, str]:
    """GET the metric's JSON API and take the number at json_path."""
    url = metric.http.reveal() if metric.http else ""
    headers = {k: v.reveal() if isinstance(v, Secret) else v for k, v in metric.headers.items()}
    with session(metric.ca_file) as client:
        answer = client.get(url, headers={"Accept": "application/json", **headers}, timeout=float(timeout_of(metric)))
    if not answer.ok:
        raise CheckError(f"{metric.http} answered HTTP {answer.status_code}")
    try:
        document = answer.json()
    except ValueError:
        raise CheckError(f"{metric.http} answered HTTP {answer.status_code} without JSON") from None
    whole = metric.json_path == "."  # the answer itself, e.g. Sentry's top-level list of issues
    found = document if whole else lookup(document, metric.json_path or "")
    where = "top level" if whole else metric.json_path
    if found is MISSING:
        raise CheckError(f"the answer of {metric.http} has no {metric.json_path}")
    if isinstance(found, bool):
        raise CheckError(f"{where} in the answer of {metric.http} is {found}, not a number")
    if isinstance(found, list):  # a list counts its entries: unresolved issues, open tickets
        return float(len(found)), f"JSON {where} (entries counted)"
    return _number(found, metric), f"JSON {where}"


def _number(raw: Any, metric: Metric) -> float:
    """The query's value as a finite number."""
    if raw is None:
        raise CheckError(f"the query of {metric.name} returned NULL (no rows to compute it from?)")
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise CheckError(f"the query of {metric.name} returned {str(raw)[:40]!r}, not a number") from None
    if not math.isfinite(number):
        raise CheckError(f"the query of {metric.name} returned {raw}")
    return number
