"""Security groups against moto: nothing but the public ports open to 0.0.0.0/0 or ::/0, per VPC or listed group."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from opsverify.checks import aws
from opsverify.checks.aws.ec2 import open_to_internet
from opsverify.result import Result, Status
from tests.aws.conftest import item

WORLD = [{"CidrIp": "0.0.0.0/0"}]


class Vpc:
    """A VPC with a public `web` group (80 and 443 from anywhere, over IPv4 and IPv6) and a private `db` group."""

    def __init__(self, ec2: Any) -> None:
        self.ec2 = ec2
        self.id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.web = self.group("web", *[{"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": WORLD,
                                        "Ipv6Ranges": [{"CidrIpv6": "::/0"}]} for p in (80, 443)])
        self.db = self.group("db", {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                                    "IpRanges": [{"CidrIp": "10.0.0.0/16"}]})

    def group(self, name: str, *rules: dict[str, Any]) -> str:
        """A new group of the VPC with these inbound rules; its id."""
        group = self.ec2.create_security_group(GroupName=name, Description=name, VpcId=self.id)["GroupId"]
        self.open(group, *rules)
        return group

    def open(self, group: str, *rules: dict[str, Any]) -> None:
        """Add inbound rules to a group."""
        if rules:
            self.ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=list(rules))


@pytest.fixture
def vpc(boto: Callable[[str], Any]) -> Vpc:
    """The shop's VPC, every rule as it should be."""
    return Vpc(boto("ec2"))


def check(endpoint: str, **keys: Any) -> Result:
    """The security-group check over a `security_groups:` entry with these keys."""
    return open_to_internet(item(aws.security_groups, endpoint, security_groups=keys))


def test_only_80_and_443_open_to_the_world_passes(vpc: Vpc, account: str) -> None:
    result = check(account, vpc=vpc.id)
    assert (result.status, result.reason) == (
        Status.PASSED, f"none of 3 security groups in {vpc.id} allows 0.0.0.0/0 or ::/0 beyond ports 80, 443")
    assert item(aws.security_groups, account, security_groups={"vpc": vpc.id}).name == vpc.id
    everywhere = check(account)
    assert everywhere.status is Status.PASSED and everywhere.reason.startswith("none of 4 security groups allows")
    assert item(aws.security_groups, account, security_groups={}).name == "security-groups"


def test_ssh_open_to_the_world_fails_naming_the_group_and_port(vpc: Vpc, account: str) -> None:
    vpc.open(vpc.web, {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": WORLD})
    result = check(account, vpc=vpc.id)
    assert (result.status, result.reason) == (
        Status.FAILED, f"security group {vpc.web} (web) allows 0.0.0.0/0 on port 22; only 80, 443 may be public")
    assert result.evidence["findings"] == [f"security group {vpc.web} (web) allows 0.0.0.0/0 on port 22"]


def test_all_traffic_over_ipv6_fails(vpc: Vpc, account: str) -> None:
    vpc.open(vpc.db, {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]})
    result = check(account, vpc=vpc.id)
    assert (result.status, result.reason) == (
        Status.FAILED, f"security group {vpc.db} (db) allows ::/0 on all traffic; only 80, 443 may be public")


def test_a_port_range_and_udp_are_judged_port_by_port(vpc: Vpc, account: str) -> None:
    vpc.open(vpc.web, {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 443, "IpRanges": WORLD,
                       "Ipv6Ranges": [{"CidrIpv6": "::/0"}]})
    vpc.open(vpc.db, {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": WORLD})
    result = check(account, vpc=vpc.id)
    found = sorted([f"security group {vpc.web} (web) allows 0.0.0.0/0 and ::/0 on ports 80-443",
                    f"security group {vpc.db} (db) allows 0.0.0.0/0 on udp port 53"],
                   key=lambda line: line.split()[2])
    assert (result.status, result.reason) == (Status.FAILED, "; ".join(found) + "; only 80, 443 may be public")


def test_icmp_and_private_ranges_are_not_findings(vpc: Vpc, account: str) -> None:
    vpc.open(vpc.db, {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": WORLD},
             {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "203.0.113.7/32"}]})
    assert check(account, vpc=vpc.id).status is Status.PASSED


def test_the_public_ports_are_configurable(vpc: Vpc, account: str) -> None:
    result = check(account, vpc=vpc.id, public_ports=[443])
    assert (result.status, result.reason) == (
        Status.FAILED, f"security group {vpc.web} (web) allows 0.0.0.0/0 and ::/0 on port 80; only 443 may be public")
    result = check(account, vpc=vpc.id, public_ports=[])
    assert result.status is Status.FAILED and result.reason.endswith("on port 443; no port may be public")
    result = check(account, groups=[vpc.db], public_ports=[])
    assert (result.status, result.reason) == (
        Status.PASSED, "none of 1 security groups allows 0.0.0.0/0 or ::/0 on any port")


def test_only_the_listed_groups_are_judged(vpc: Vpc, account: str) -> None:
    vpc.open(vpc.web, {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": WORLD})
    assert check(account, groups=[vpc.db]).status is Status.PASSED
    assert check(account, groups=[vpc.db, vpc.web], vpc=vpc.id).status is Status.FAILED


def test_a_missing_group_or_an_empty_vpc_fails(vpc: Vpc, account: str) -> None:
    result = check(account, groups=[vpc.db, "sg-0123456789abcdef0"])
    assert (result.status, result.reason) == (Status.FAILED, "security group sg-0123456789abcdef0 does not exist")
    other = vpc.ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    result = check(account, groups=[vpc.db], vpc=other)
    assert (result.status, result.reason) == (Status.FAILED, f"security group {vpc.db} does not exist in {other}")
    result = check(account, vpc="vpc-0123456789abcdef0")
    assert (result.status, result.reason) == (Status.FAILED, "no security groups in vpc-0123456789abcdef0")
