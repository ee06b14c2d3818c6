"""Load balancer target groups: targets registered, and every one of them healthy."""

from __future__ import annotations

from typing import Any

from opsverify.checks.aws import Target, answers, aws_check, client, first_few, trimmed
from opsverify.result import Result, failed, passed

@aws_check
def targets(target: Target) -> Result:
    """The target group has registered targets and every one is 'healthy'."""
    api = client(target)
    with answers(target, missing=f"target group {target.name} does not exist"):
        group = api.describe_target_groups(Names=[target.name])["TargetGroups"][0]
    with answers(target):
        health = api.describe_target_health(TargetGroupArn=group["TargetGroupArn"])["TargetHealthDescriptions"]
    if not health:
        return failed(f"target group {target.name} has no registered targets", value=0)
    evidence = {"targets": {_where(h): h["TargetHealth"]["State"] for h in health}}
    bad = [h for h in health if h["TargetHealth"]["State"] != "healthy"]
    if bad:
        named = first_few([_shown(h) for h in bad])
        return failed(f"{len(bad)} of {len(health)} targets of target group {target.name} are not healthy: {named}",
                      value=len(health) - len(bad), limit=str(len(health)), evidence=evidence)
    return passed(f"all {len(health)} targets of target group {target.name} are healthy", value=len(health),
                  limit=str(len(health)), evidence=evidence)


def _where(description: dict[str, Any]) -> str:
    """A target as id:port."""
    registered = description["Target"]
    return f"{registered['Id']}:{registered.get('Port', '?')}"


def _shown(description: dict[str, Any]) -> str:
    """One unhealthy target with its state and why: `i-0abc:80 unhealthy (Target.Timeout: Request timed out)`."""
    health = description["TargetHealth"]
    why = ": ".join(trimmed(health[k], 80) for k in ("Reason", "Description") if health.get(k))
    return f"{_where(description)} {health['State']}" + (f" ({why})" if why else "")
