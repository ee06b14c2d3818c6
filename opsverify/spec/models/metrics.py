"""Business and compliance numbers from SQL or PromQL, each bounded by min and/or max."""

from __future__ import annotations

from pydantic import model_validator

from opsverify.spec.models.common import Item
from opsverify.spec.secret import SecretUrl
from opsverify.spec.types import Name, SecretUrlT


class Metric(Item):
    """One number from `database` + `sql`, or from `prometheus` + `query`, with its bounds."""

    database: Name | None = None  # a name from `databases`
    sql: str | None = None
    prometheus: SecretUrlT | None = None  # may carry basic-auth credentials
    query: str | None = None
    ca_file: str | None = None
    min: float | None = None
    warn_min: float | None = None
    max: float | None = None
    warn_max: float | None = None

    @model_validator(mode="after")
    def _one_source_and_a_bound(self) -> Metric:
        """Exactly one of the two forms, and at least one bound."""
        forms = {("database", "sql"): (self.database, self.sql), ("prometheus", "query"): (self.prometheus, self.query)}
        used = [keys for keys, values in forms.items() if any(v is not None for v in values)]
        if len(used) != 1:
            raise ValueError("give either database + sql, or prometheus + query (exactly one of the two)")
        if None in forms[used[0]]:
            raise ValueError(f"give both {used[0][0]} and {used[0][1]}")
        if all(v is None for v in (self.min, self.warn_min, self.max, self.warn_max)):
            raise ValueError("give a bound: min and/or max (or their warn_ twins)")
        return self

    @property
    def kind(self) -> str:
        """`sql` or `prometheus`."""
        return "sql" if self.sql is not None else "prometheus"

    @property
    def url(self) -> SecretUrl | str:
        """What the metric is read from, for the probe pool's per-target limit: Prometheus, or `sql:DATABASE`."""
        return self.prometheus if self.prometheus is not None else f"sql:{self.database}"
