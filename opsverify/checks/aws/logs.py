"""CloudWatch Logs: log groups keep their logs at least the policy's number of days ("never expire" is enough)."""

from __future__ import annotations

import math
from typing import Any, cast

from opsverify.checks.aws import Target, answers, aws_check, client, first_few
from opsverify.result import Result, failed, passed, warning
from opsverify.spec.models.aws import LogGroup


@aws_check
def retention(target: Target) -> Result:
    """The log group (or every group under the prefix) has retentionInDays of at least min_days, or none."""
    spec = cast(LogGroup, target.entry)
    found = _described(target, spec)
    what = f"log group {spec.group}" if spec.group else f"log groups starting with {spec.prefix!r}"
    if not found:
        return failed(f"{what} does not exist" if spec.group else f"no {what}", value=0)
    days = {g["logGroupName"]: g.get("retentionInDays", math.inf) for g in found}
    shortest = min(days.values())
    kw: dict[str, Any] = {"value": shortest if shortest < math.inf else None, "unit": "days",
                          "limit": _shown(spec.min_days),
                          "evidence": {"retention": {n: _shown(d) for n, d in days.items()}}}
    for level, limit, verdict in (("limit", spec.min_days, failed), ("warning level", spec.warn_min_days, warning)):
        short = sorted((d, name) for name, d in days.items() if limit is not None and d < limit)
        if spec.group and short:
            return verdict(f"{what} keeps logs {_shown(shortest)}; {level} {_shown(limit)}", **kw)
        if short:
            named = first_few([f"{name} {_shown(d)}" for d, name in short])
            return verdict(f"{len(short)} of {len(days)} {what} keep logs less than {_shown(limit)} ({level}): "
                           f"{named}", **kw)
    if spec.group:
        return passed(f"{what} keeps logs {_shown(shortest)}; limit {_shown(spec.min_days)}", **kw)
    return passed(f"all {len(days)} {what} keep logs {_shown(spec.min_days)} or longer (the shortest: "
                  f"{_shown(shortest)})", **kw)


def _described(target: Target, spec: LogGroup) -> list[dict[str, Any]]:
    """The log group of that name, or every group under the prefix (all pages)."""
    with answers(target):
        pages = client(target).get_paginator("describe_log_groups").paginate(
            logGroupNamePrefix=spec.group or spec.prefix)
        found = [g for page in pages for g in page["logGroups"]]
    return [g for g in found if spec.prefix or g["logGroupName"] == spec.group]


def _shown(days: float) -> str:
    """A retention for a reason: `7 days`, `1 day`, `forever (never expire)`."""
    if days == math.inf:
        return "forever (never expire)"
    return f"{days:g} day" + ("" if days == 1 else "s")
