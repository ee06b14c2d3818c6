"""Load balancer target groups against moto: every registered target healthy, none registered fails."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from opsverify.checks import aws
from opsverify.checks.aws.elb import targets
from opsverify.result import Status
from tests.aws.conftest import item


@pytest.fixture
def group(boto: Callable[[str], Any]) -> tuple[Any, Any, str]:
    """(ec2, elbv2, ARN) of an empty instance target group shop-web in a new VPC."""
    ec2, elb = boto("ec2"), boto("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    arn = elb.create_target_group(Name="shop-web", Protocol="HTTP", Port=80, VpcId=vpc,
                                  TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    return ec2, elb, arn


def register(group: tuple[Any, Any, str], count: int) -> list[str]:
    """Start `count` EC2 instances and register them on port 80; their ids."""
    ec2, elb, arn = group
    ids = [i["InstanceId"] for i in ec2.run_instances(ImageId="ami-12c6146b", MinCount=count,
                                                      MaxCount=count)["Instances"]]
    elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": i, "Port": 80} for i in ids])
    return ids


def test_all_targets_healthy_passes(group: tuple[Any, Any, str], account: str) -> None:
    ids = register(group, 2)
    result = targets(item(aws.target_groups, account, target_groups=["shop-web"]))
    assert (result.status, result.reason) == (Status.PASSED, "all 2 targets of target group shop-web are healthy")
    assert result.evidence == {"targets": {f"{i}:80": "healthy" for i in ids}}


def test_an_unhealthy_target_fails_naming_it(group: tuple[Any, Any, str], account: str) -> None:
    stopped, _ = register(group, 2)
    group[0].stop_instances(InstanceIds=[stopped])
    result = targets(item(aws.target_groups, account, target_groups=["shop-web"]))
    assert result.status is Status.FAILED
    assert result.reason == (f"1 of 2 targets of target group shop-web are not healthy: {stopped}:80 unused "
                             "(Target.InvalidState: Target is in the stopped state)")


def test_no_registered_targets_fails(group: tuple[Any, Any, str], account: str) -> None:
    result = targets(item(aws.target_groups, account, target_groups=["shop-web"]))
    assert (result.status, result.reason) == (Status.FAILED, "target group shop-web has no registered targets")


def test_an_unknown_target_group_fails_naming_it(account: str) -> None:
    result = targets(item(aws.target_groups, account, target_groups=["shop-api"]))
    assert (result.status, result.reason) == (Status.FAILED, "target group shop-api does not exist")
