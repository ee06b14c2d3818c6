"""EC2 security groups: no inbound rule opens more than the public ports to the whole internet."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from opsverify.checks.aws import Missing, Target, answers, aws_check, client, first_few
from opsverify.result import Result, failed, passed
from opsverify.spec.models.aws import SecurityGroups

ANYWHERE = {"IpRanges": ("CidrIp", "0.0.0.0/0"), "Ipv6Ranges": ("CidrIpv6", "::/0")}
PORTLESS = {"icmp", "icmpv6", "1", "58"}  # ICMP has no ports (ping, path MTU discovery): not judged


@aws_check
def open_to_internet(target: Target) -> Result:
    """No inbound rule of the groups opens anything but `public_ports` to 0.0.0.0/0 or ::/0."""
    spec = cast(SecurityGroups, target.entry)
    groups = _groups(target, spec)
    where = f" in {spec.vpc}" if spec.vpc else ""
    if not groups:
        return failed(f"no security groups{where}", value=0)
    public = ", ".join(map(str, spec.public_ports))
    findings = [f"security group {g['GroupId']} ({g['GroupName']}) allows {cidrs} on {what}"
                for g in groups for cidrs, what in _exposures(g, set(spec.public_ports))]
    evidence = {"groups": len(groups), "findings": findings[:50]}
    if findings:
        allowed = f"only {public} may be public" if public else "no port may be public"
        return failed(f"{first_few(findings)}; {allowed}", value=len(findings), evidence=evidence)
    beyond = f"beyond ports {public}" if public else "on any port"
    return passed(f"none of {len(groups)} security groups{where} allows 0.0.0.0/0 or ::/0 {beyond}", value=0,
                  evidence=evidence)


def _groups(target: Target, spec: SecurityGroups) -> list[dict[str, Any]]:
    """The groups described (all pages); a listed group that is not found raises Missing."""
    filters = [{"Name": "group-id", "Values": list(spec.groups)}] if spec.groups else []
    filters += [{"Name": "vpc-id", "Values": [spec.vpc]}] if spec.vpc else []
    with answers(target):
        pages = client(target).get_paginator("describe_security_groups").paginate(Filters=filters)
        found = [g for page in pages for g in page["SecurityGroups"]]
    gone = [g for g in spec.groups if g not in {f["GroupId"] for f in found}]
    if gone:
        raise Missing(f"security group {', '.join(gone)} does not exist" + (f" in {spec.vpc}" if spec.vpc else ""))
    return sorted(found, key=lambda g: g["GroupId"])


def _exposures(group: dict[str, Any], public: set[int]) -> Iterator[tuple[str, str]]:
    """(open ranges, what they reach) of each inbound rule open to the internet beyond the public ports."""
    for rule in group.get("IpPermissions", []):
        cidrs = [cidr for key, (field, cidr) in ANYWHERE.items()
                 if any(r.get(field) == cidr for r in rule.get(key, []))]
        reached = _beyond(rule, public) if cidrs else None
        if reached:
            yield " and ".join(cidrs), reached


def _beyond(rule: dict[str, Any], public: set[int]) -> str | None:
    """What a rule opens beyond the public ports ("port 22", "udp ports 0-65535", "all traffic"), else None."""
    protocol = str(rule.get("IpProtocol"))
    if protocol == "-1":
        return "all traffic"
    if protocol in PORTLESS:
        return None
    if protocol not in ("tcp", "udp"):
        return f"protocol {protocol}"
    low, high = rule.get("FromPort", 0), rule.get("ToPort", 65535)
    if high - low < len(public) and all(port in public for port in range(low, high + 1)):
        return None
    kind = "" if protocol == "tcp" else "udp "
    return f"{kind}port {low}" if low == high else f"{kind}ports {low}-{high}"
