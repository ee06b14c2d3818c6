"""Where CloudWatch alarms go: the expected alarms exist, their actions are on, and their SNS topics reach a
confirmed subscription of each protocol the item asks for (an alarm that fires into nothing pages no one)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from opsverify.checks.aws import Target, answers, aws_check, client, first_few
from opsverify.result import Result, failed, passed
from opsverify.spec.models.aws import Alarms

UNCONFIRMED = ("PendingConfirmation", "Deleted")  # SubscriptionArn of a subscription that delivers nothing


@aws_check
def routed(target: Target) -> Result:
    """Every alarm in `expect` exists; every alarm a route names has its actions enabled and an SNS action whose topic
    has a confirmed subscription of the route's protocol."""
    spec = cast(Alarms, target.entry)
    with answers(target):
        pages = client(target).get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        found = {a["AlarmName"]: a for page in pages for a in page.get("MetricAlarms", []) + page.get("CompositeAlarms", [])}
    watched = sorted(n for n in found if n.startswith(spec.prefix or "") and n not in spec.ignore)
    problems = [f"no alarm named {name}" for name in spec.expect if name not in found]
    reach = _Reach(replace(target, api="sns"))
    checked = 0
    for route in spec.notify:
        for name in route.alarms or watched:
            alarm = found.get(name)
            if alarm is None:
                problems.append(f"no alarm named {name}")
                continue
            checked += 1
            if not alarm.get("ActionsEnabled", False):
                problems.append(f"{name} has its actions disabled")
                continue
            protocols = reach.protocols(alarm.get("AlarmActions", []))
            if route.protocol not in protocols:
                has = f"its actions reach {', '.join(sorted(protocols))}" if protocols else \
                    "its actions reach no confirmed SNS subscription"
                problems.append(f"{name} does not notify by {route.protocol} ({has})")
    evidence = {"alarms": len(watched), "expected": list(spec.expect), "routes": checked,
                "topics": {arn: sorted(p) for arn, p in reach.seen.items()}}
    if problems:
        unique = list(dict.fromkeys(problems))
        return failed(f"{len(unique)} alarm routing problem{'' if len(unique) == 1 else 's'}: {first_few(unique)}",
                      value=len(unique), evidence=evidence)
    said = [f"every expected alarm exists ({', '.join(spec.expect)})"] if spec.expect else []
    if spec.notify:
        said.append(f"{checked} alarm notifications ({', '.join(r.protocol for r in spec.notify)}) reach a confirmed "
                    "subscription with actions enabled")
    return passed("; ".join(said), value=0, evidence=evidence)


class _Reach:
    """The confirmed subscription protocols of SNS topics, each topic read once."""

    def __init__(self, target: Target) -> None:
        """Read topics through the SNS API of the item's account and region."""
        self.target = target
        self.seen: dict[str, set[str]] = {}

    def protocols(self, actions: list[str]) -> set[str]:
        """The protocols an alarm's actions reach (only SNS topics deliver to people)."""
        reached: set[str] = set()
        for arn in actions:
            if arn.startswith("arn:aws:sns:"):
                if arn not in self.seen:
                    self.seen[arn] = self._read(arn)
                reached |= self.seen[arn]
        return reached

    def _read(self, arn: str) -> set[str]:
        """One topic's confirmed subscriptions; a topic that is gone reaches nothing."""
        with answers(self.target, missing=f"SNS topic {arn} does not exist"):
            sns: Any = client(self.target)
            pages = sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn)
            return {s["Protocol"] for page in pages for s in page.get("Subscriptions", [])
                    if s.get("SubscriptionArn") not in UNCONFIRMED}
