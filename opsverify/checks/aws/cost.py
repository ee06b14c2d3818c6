"""Resources that cost money and serve nothing: unattached EBS volumes, unassociated Elastic IPs, instances
stopped longer than `min_age`, and load balancers (elbv2) none of whose target groups has a registered target."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, cast

from opsverify.checks.aws import Target, answers, aws_check, client, first_few
from opsverify.result import Result, grade
from opsverify.spec.models.aws import Unused
from opsverify.spec.units import format_seconds

STOPPED_AT = re.compile(r"\((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (?:GMT|UTC)\)")  # "User initiated (… GMT)"
LISTED = 100  # resources named in the evidence


@dataclass(frozen=True)
class Found:
    """One unused resource: its id, the other names `ignore` may give it, and what makes it unused."""

    id: str
    names: tuple[str, ...]
    why: str

    def __str__(self) -> str:
        """`vol-0abc (old-data, 100 GiB gp3, unattached, created 2026-11-02)`."""
        return f"{self.id} ({self.why})"

    def ignored(self, ignore: tuple[str, ...]) -> bool:
        """Listed in `ignore` by its id or one of its names."""
        return any(name in ignore for name in (self.id, *self.names))


@aws_check
def unused(target: Target) -> Result:
    """No more than `max` unused volumes, Elastic IPs, long-stopped instances and idle load balancers."""
    return unused_at(target, dt.datetime.now(dt.timezone.utc))


def unused_at(target: Target, now: dt.datetime) -> Result:
    """The region's unused resources as they stand at `now` (the stop times judged then), against the limits."""
    spec = cast(Unused, target.entry)
    ec2 = client(target)
    every = [*_volumes(target, ec2), *_addresses(target, ec2), *_stopped(target, ec2, spec.min_age, now),
             *_idle_balancers(target)]
    found = [f for f in every if not f.ignored(spec.ignore)]
    shown = [str(f) for f in found]
    evidence = {"unused": shown[:LISTED], "ignored": [f.id for f in every if f.ignored(spec.ignore)][:LISTED]}
    where = target.aws.region
    said = (f"{len(found)} unused resource{'s' * (len(found) != 1)} in {where}: {first_few(shown)}" if found else
            f"no unused volumes, Elastic IPs, instances stopped over {spec.min_age} or idle load balancers in {where}")
    return grade("unused resources", len(found), spec.max, spec.warn_max, said=said, evidence=evidence)


def stopped_since(reason: str) -> dt.datetime | None:
    """When an instance stopped, from its StateTransitionReason ("User initiated (2026-11-02 10:11:12 GMT)")."""
    match = STOPPED_AT.search(reason or "")
    if not match:
        return None
    return dt.datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.timezone.utc)


def _pages(api: Any, operation: str, key: str, **kw: Any) -> Iterator[dict[str, Any]]:
    """Every entry under `key` of every page of a paginated describe call."""
    for page in api.get_paginator(operation).paginate(**kw):
        yield from page[key]


def _state(name: str, value: str) -> list[dict[str, Any]]:
    """A describe call's filter on one state."""
    return [{"Name": name, "Values": [value]}]


def _day(moment: dt.datetime) -> str:
    """A moment's date in UTC."""
    return f"{moment.astimezone(dt.timezone.utc):%Y-%m-%d}"


def _name(resource: dict[str, Any]) -> tuple[str, ...]:
    """The resource's Name tag, if it has one."""
    return tuple(t["Value"] for t in resource.get("Tags") or () if t["Key"] == "Name")


def _labelled(names: tuple[str, ...], *what: str) -> str:
    """The Name tag (if any) followed by the details."""
    return ", ".join((*names, *what))


def _volumes(target: Target, ec2: Any) -> list[Found]:
    """EBS volumes in state `available`: attached to nothing."""
    with answers(target):
        volumes = list(_pages(ec2, "describe_volumes", "Volumes", Filters=_state("status", "available")))
    return [Found(v["VolumeId"], _name(v), _labelled(_name(v), f"{v['Size']} GiB {v['VolumeType']}",
                                                      f"unattached, created {_day(v['CreateTime'])}"))
            for v in volumes]


def _addresses(target: Target, ec2: Any) -> list[Found]:
    """Elastic IPs with no association (DescribeAddresses is not paginated: one call answers all)."""
    with answers(target):
        addresses = ec2.describe_addresses()["Addresses"]
    return [Found(a.get("AllocationId") or a["PublicIp"], (a["PublicIp"], *_name(a)),
                  _labelled(_name(a), a["PublicIp"], "unassociated"))
            for a in addresses if not a.get("AssociationId")]


def _stopped(target: Target, ec2: Any, min_age: float, now: dt.datetime) -> list[Found]:
    """Instances stopped at least `min_age` before `now`, and those whose stop time cannot be read."""
    with answers(target):
        reservations = _pages(ec2, "describe_instances", "Reservations",
                              Filters=_state("instance-state-name", "stopped"))
        instances = [i for reservation in reservations for i in reservation["Instances"]]
    return [Found(i["InstanceId"], _name(i), _labelled(_name(i), i["InstanceType"], _when(age)))
            for i, age in ((i, _stopped_for(i, now)) for i in instances) if age is None or age >= min_age]


def _stopped_for(instance: dict[str, Any], now: dt.datetime) -> float | None:
    """Seconds from the instance's stop to `now`; None when its StateTransitionReason carries no time."""
    since = stopped_since(instance.get("StateTransitionReason", ""))
    return None if since is None else (now - since).total_seconds()


def _when(age: float | None) -> str:
    """How long ago an instance stopped: `stopped 12d ago`, or that it is not known."""
    return "stopped since an unknown time" if age is None else f"stopped {format_seconds(max(age, 0.0))} ago"


def _idle_balancers(target: Target) -> list[Found]:
    """Load balancers none of whose target groups has a registered target (idle, yet billed by the hour)."""
    elb = replace(target, api="elbv2")
    api = client(elb)
    with answers(elb):
        balancers = list(_pages(api, "describe_load_balancers", "LoadBalancers"))
        groups = [g for g in _pages(api, "describe_target_groups", "TargetGroups") if g.get("LoadBalancerArns")]
        serving = {arn for g in groups for arn in g["LoadBalancerArns"]
                   if api.describe_target_health(TargetGroupArn=g["TargetGroupArn"])["TargetHealthDescriptions"]}
    attached = {arn for g in groups for arn in g["LoadBalancerArns"]}
    return [Found(b["LoadBalancerName"], (b["LoadBalancerArn"],),
                  f"{b['Type']} load balancer, "
                  + ("no registered target" if b["LoadBalancerArn"] in attached else "no target group"))
            for b in balancers if b["LoadBalancerArn"] not in serving]
