"""Metrics: one number from SQL, PromQL, a JSON API or CloudWatch, bounded by min/max, by its change since the
previous archived run (max_increase/max_decrease), and by their warn_ twins."""

from __future__ import annotations

import math
from typing import Any

import requests

from opsverify.checks import CheckError, probe, timeout_of
from opsverify.checks.aws.cloudwatch import metric_value
from opsverify.checks.configured_sql import one_statement
from opsverify.checks.database import connection
from opsverify.checks.http import MISSING, lookup, session
from opsverify.checks.previous import previous
from opsverify.checks.trust import bundle
from opsverify.context import RunContext
from opsverify.result import Result, Status
from opsverify.spec.models.metrics import Metric
from opsverify.spec.secret import Secret, shorten
from opsverify.spec.units import Ratio, format_percent

Finding = tuple[Status, str]  # one verdict on the number and the words that explain it
_ORDER = (Status.FAILED, Status.WARNING, Status.PASSED)  # the most serious finding decides


@probe
def value(metric: Metric, *, context: RunContext | None = None) -> Result:
    """The metric's number against its bounds and its change since the previous run: past a limit fails,
    past a warn_ level warns."""
    read = {"sql": lambda: _sql(metric, context), "prometheus": lambda: _promql(metric), "http": lambda: _json(metric),
            "cloudwatch": lambda: _cloudwatch(metric, context)}
    number, source = read[metric.kind]()
    evidence: dict[str, Any] = {"source": source, "value": number}  # `value` is what the next run compares with
    said = f"{metric.name} is {_show(number)}"
    findings = _bounds(metric, number)
    if any(limit is not None for limit in metric.change_limits):
        past = previous(context, "value")
        if past is None:
            findings.append((Status.PASSED, "no earlier archived run of this check to compare with yet "
                                            "(this value is kept for the next run)"))
        else:
            was = float(past.entry["evidence"]["value"])
            said += f" (was {_show(was)} on {past.started[:10]})"
            evidence.update(previous=was, since=past.run)
            findings.append(_change(metric, number, was))
    limits = ", ".join(f"{word} {_level(v)}" for word, v in (
        ("min", metric.min), ("max", metric.max), ("max_increase", metric.max_increase),
        ("max_decrease", metric.max_decrease)) if v is not None)
    status = min((s for s, _ in findings), key=lambda s: _ORDER.index(s))
    shown = "; ".join(text for s, text in findings if s is status)
    return Result(status, f"{said}; {shown}", value=number, limit=limits or None, evidence=evidence)


def _bounds(metric: Metric, number: float) -> list[Finding]:
    """The first of min, max, warn_min, warn_max the number is outside of, else the bounds it is within."""
    bounds = ", ".join(f"{word} {_show(v)}" for word, v in (("min", metric.min), ("max", metric.max))
                       if v is not None)
    for bound, word, outside, verdict in (
            (metric.min, "under its minimum", number < (metric.min or 0), Status.FAILED),
            (metric.max, "over its maximum", number > (metric.max or 0), Status.FAILED),
            (metric.warn_min, "under its warning minimum", number < (metric.warn_min or 0), Status.WARNING),
            (metric.warn_max, "over its warning maximum", number > (metric.warn_max or 0), Status.WARNING)):
        if bound is not None and outside:
            return [(verdict, f"{word} {_show(bound)}")]
    if all(v is None for v in (metric.min, metric.max, metric.warn_min, metric.warn_max)):
        return []
    return [(Status.PASSED, bounds or "within its warning levels")]


def _change(metric: Metric, number: float, was: float) -> Finding:
    """The rise or fall since the previous value against max_increase/max_decrease (a number, or a share of it)."""
    delta = round(number - was, 10)  # 95.3 - 90.3 is 5, not 5.000000000000001
    if delta == 0:
        return Status.PASSED, "unchanged"
    rose = delta > 0
    limit, warn = (metric.max_increase, metric.warn_max_increase) if rose else \
        (metric.max_decrease, metric.warn_max_decrease)
    share = abs(delta) / abs(was) if was else math.inf
    moved = f"{'rose' if rose else 'fell'} by {_show(abs(delta))}"
    if isinstance(limit, Ratio) or isinstance(warn, Ratio):
        moved += f" ({format_percent(round(share, 3))})" if was else " from 0"

    def over(level: float) -> bool:
        """Whether the change is past a level: a share of the previous value, or a number."""
        return share > level if isinstance(level, Ratio) else abs(delta) > level

    if limit is not None and over(limit):
        return Status.FAILED, f"{moved}, limit {_level(limit)}"
    if warn is not None and over(warn):
        return Status.WARNING, f"{moved}, warning level {_level(warn)}"
    shown = limit if limit is not None else warn
    return Status.PASSED, moved + (f", {'limit' if limit is not None else 'warning level'} {_level(shown)}"
                                   if shown is not None else "")


def _level(level: float) -> str:
    """A limit as written: 5, 97.5, or 10%."""
    return str(level) if isinstance(level, Ratio) else _show(level)


def _show(number: float) -> str:
    """A number without needless digits: 97.5, 12, 0.0042, 1000000."""
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else f"{number:.6g}"


def _sql(metric: Metric, context: RunContext | None) -> tuple[float, str]:
    """Run the metric's SQL as one read-only statement on the named database; it must return one number."""
    if context is None:
        raise CheckError(f"metric {metric.name} needs the run's environment to find database {metric.database}")
    db = context.named("databases", metric.database)
    if db is None:
        raise CheckError(f"no database named {metric.database} in the environment")
    with connection(db) as conn:
        found = one_statement(conn, metric.sql or "", limit=2)
    if not found and metric.missing == "zero":
        return 0.0, f"SQL on {metric.database} (no row, counted as 0: missing: zero)"
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
    if not found and metric.missing == "zero":
        return 0.0, "PromQL (no series, counted as 0: missing: zero)"
    if len(found) != 1:
        hint = " (no data; set missing: zero if none means 0)" if not found else \
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
    if (found is MISSING or found is None) and metric.missing == "zero":
        return 0.0, f"JSON {where} (no value, counted as 0: missing: zero)"
    if found is MISSING:
        raise CheckError(f"the answer of {metric.http} has no {metric.json_path}")
    if isinstance(found, bool):
        raise CheckError(f"{where} in the answer of {metric.http} is {found}, not a number")
    if isinstance(found, list):  # a list counts its entries: unresolved issues, open tickets
        return float(len(found)), f"JSON {where} (entries counted)"
    return _number(found, metric), f"JSON {where}"


def _number(raw: Any, metric: Metric) -> float:
    """The query's value as a finite number; NULL is 0 only with `missing: zero`."""
    if raw is None and metric.missing == "zero":
        return 0.0
    if raw is None:
        raise CheckError(f"the query of {metric.name} returned NULL (no rows to compute it from?); set missing: "
                         "zero if none means 0")
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise CheckError(f"the query of {metric.name} returned {shorten(str(raw), 40)!r}, not a number") from None
    if not math.isfinite(number):
        raise CheckError(f"the query of {metric.name} returned {raw}")
    return number
