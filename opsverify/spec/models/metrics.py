"""Business and compliance numbers from SQL, PromQL, a JSON API or CloudWatch, each bounded by min and/or max
and by its change since the previous archived run."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PlainSerializer, field_validator, model_validator

from opsverify.spec.models.common import Item, Model
from opsverify.spec.secret import SecretUrl
from opsverify.spec.types import DurationT, HeadersT, Name, WebSecretUrlT
from opsverify.spec.units import Duration, Ratio, parse_ratio


def _change(value: Any) -> float:
    """A change limit: a number in the metric's own unit (`5`), or a Ratio of the previous value (`50%`)."""
    if isinstance(value, str) and value.strip().endswith("%"):
        return parse_ratio(value)
    try:
        number = float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None:
        raise ValueError(f"{value!r} is not a change; write a number in the metric's unit (5) or a share of the "
                         "previous value (10%)")
    if number < 0:
        raise ValueError(f"{value!r} is negative; give the size of the change (max_decrease: 5 means a fall of 5)")
    return number


ChangeT = Annotated[Ratio | float, BeforeValidator(_change), PlainSerializer(str)]


class CloudWatchMetric(Model):
    """A CloudWatch metric's statistic over the last `window`, read with the `aws:` section's region and credentials."""

    namespace: str = Field(min_length=1)  # AWS/ApplicationELB, or a custom namespace
    metric: str = Field(min_length=1)  # HTTPCode_Target_5XX_Count
    dimensions: dict[str, str] = {}  # all of the metric's dimensions: CloudWatch matches the full set
    statistic: Literal["Sum", "Average", "Maximum", "Minimum", "SampleCount"]
    window: DurationT  # the last 24h

    @field_validator("window")
    @classmethod
    def _a_minute_or_more(cls, window: Duration) -> Duration:
        """CloudWatch's finest period is a minute."""
        if window < 60:
            raise ValueError(f"must be at least 1m (CloudWatch's finest period), got {window}")
        return window


class Metric(Item):
    """One number from `database` + `sql`, `prometheus` + `query`, `http` + `json_path`, or `cloudwatch`."""

    database: Name | None = None  # a name from `databases`
    sql: str | None = None
    prometheus: WebSecretUrlT | None = None  # may carry basic-auth credentials
    query: str | None = None
    http: WebSecretUrlT | None = None  # a JSON API (GET); may carry credentials
    json_path: str | None = None  # dotted key of the number in its answer: `message.score`, `data.0.value`
    headers: HeadersT = {}  # credential-like names hold a Secret
    ca_file: str | None = None
    cloudwatch: CloudWatchMetric | None = None  # needs the `aws:` section
    min: float | None = None
    warn_min: float | None = None
    max: float | None = None
    warn_max: float | None = None
    max_increase: ChangeT | None = None  # since the previous archived run: 5 (the metric's unit) or 50% (of it)
    warn_max_increase: ChangeT | None = None
    max_decrease: ChangeT | None = None
    warn_max_decrease: ChangeT | None = None
    missing: Literal["error", "zero"] = "error"  # a query or API with no value: an error, or 0 when said so

    @model_validator(mode="after")
    def _one_source_and_a_bound(self) -> Metric:
        """Exactly one of the forms, and at least one bound."""
        forms = {("database", "sql"): (self.database, self.sql), ("prometheus", "query"): (self.prometheus, self.query),
                 ("http", "json_path"): (self.http, self.json_path), ("cloudwatch",): (self.cloudwatch,)}
        used = [keys for keys, values in forms.items() if any(v is not None for v in values)]
        if len(used) != 1:
            raise ValueError("give one source: database + sql, prometheus + query, http + json_path, or cloudwatch")
        if None in forms[used[0]]:
            raise ValueError(f"give both {used[0][0]} and {used[0][1]}")
        if all(v is None for v in (self.min, self.warn_min, self.max, self.warn_max, *self.change_limits)):
            raise ValueError("give a bound: min and/or max, max_increase and/or max_decrease (or their warn_ twins)")
        return self

    @property
    def change_limits(self) -> tuple[float | None, ...]:
        """max_increase, warn_max_increase, max_decrease, warn_max_decrease."""
        return self.max_increase, self.warn_max_increase, self.max_decrease, self.warn_max_decrease

    @property
    def kind(self) -> str:
        """`sql`, `prometheus`, `http` or `cloudwatch`."""
        return next(kind for kind, key in (("sql", self.sql), ("http", self.http), ("cloudwatch", self.cloudwatch),
                                           ("prometheus", self.prometheus)) if key is not None)

    @property
    def url(self) -> SecretUrl | str:
        """What the metric is read from, for the probe pool's per-target limit: the URL, `sql:DATABASE`, CloudWatch."""
        if self.cloudwatch is not None:
            return "https://monitoring.amazonaws.com"  # one gate for every CloudWatch metric
        return self.prometheus or self.http or f"sql:{self.database}"
