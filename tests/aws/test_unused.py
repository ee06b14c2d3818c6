"""Unused resources against moto: unattached volumes, unassociated Elastic IPs, long-stopped instances and idle
load balancers each fail alone; what is in use passes; `ignore`, `max` and `warn_max` are honoured."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable

import pytest

from opsverify.checks import aws
from opsverify.checks.aws.cost import stopped_since, unused, unused_at
from opsverify.result import Result, Status
from tests.aws.conftest import REGION, item

TODAY = f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d}"
HEALTHY = f"no unused volumes, Elastic IPs, instances stopped over 7d or idle load balancers in {REGION}; limit 0"


def named(kind: str, name: str) -> list[dict[str, Any]]:
    """Tags giving a new resource of this kind a Name."""
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]


class Shop:
    """A region where everything is in use: an instance with a data volume and an Elastic IP, behind an ALB."""

    def __init__(self, boto: Callable[[str], Any]) -> None:
        self.ec2, self.elb = boto("ec2"), boto("elbv2")
        self.vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.subnets = [self.ec2.create_subnet(VpcId=self.vpc, CidrBlock=f"10.0.{n}.0/24",
                                               AvailabilityZone=f"{REGION}{zone}")["Subnet"]["SubnetId"]
                        for n, zone in ((1, "a"), (2, "b"))]
        self.web = self.instance("web")
        self.ec2.attach_volume(VolumeId=self.volume("web-data"), InstanceId=self.web, Device="/dev/sdf")
        self.ec2.associate_address(AllocationId=self.address()["AllocationId"], InstanceId=self.web)
        self.balancer("shop-alb", targets=[self.web])

    def instance(self, name: str) -> str:
        """A new running t3.large instance; its id."""
        return self.ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.large",
                                      SubnetId=self.subnets[0], TagSpecifications=named("instance", name)
                                      )["Instances"][0]["InstanceId"]

    def volume(self, name: str) -> str:
        """A new, unattached 100 GiB gp3 volume; its id."""
        return self.ec2.create_volume(Size=100, VolumeType="gp3", AvailabilityZone=f"{REGION}a",
                                      TagSpecifications=named("volume", name))["VolumeId"]

    def address(self) -> dict[str, Any]:
        """A new, unassociated Elastic IP (AllocationId, PublicIp)."""
        return self.ec2.allocate_address(Domain="vpc")

    def balancer(self, name: str, targets: list[str] | None = None) -> str:
        """An ALB; with `targets`, forwarding to a target group with those instances registered; its ARN."""
        arn = self.elb.create_load_balancer(Name=name, Subnets=self.subnets)["LoadBalancers"][0]["LoadBalancerArn"]
        if targets is not None:
            group = self.elb.create_target_group(Name=f"{name}-tg", Protocol="HTTP", Port=80, VpcId=self.vpc
                                                 )["TargetGroups"][0]["TargetGroupArn"]
            self.elb.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=80,
                                     DefaultActions=[{"Type": "forward", "TargetGroupArn": group}])
            if targets:
                self.elb.register_targets(TargetGroupArn=group, Targets=[{"Id": t, "Port": 80} for t in targets])
        return arn


@pytest.fixture
def shop(boto: Callable[[str], Any]) -> Shop:
    """The shop's region, nothing unused."""
    return Shop(boto)


def target(endpoint: str, **keys: Any) -> aws.Target:
    """The unused-resources item of an `unused:` entry with these keys."""
    return item(aws.unused_resources, endpoint, unused=keys)


def check(endpoint: str, **keys: Any) -> Result:
    """The unused-resources check over an `unused:` entry with these keys."""
    return unused(target(endpoint, **keys))


def test_a_region_where_everything_is_in_use_passes(shop: Shop, account: str) -> None:
    result = check(account)
    assert (result.status, result.reason, result.value, result.limit) == (Status.PASSED, HEALTHY, 0, "0")
    assert target(account).name == "unused"


def test_an_unattached_volume_fails(shop: Shop, account: str) -> None:
    volume = shop.volume("old-data")
    result = check(account)
    assert (result.status, result.reason) == (
        Status.FAILED, f"1 unused resource in {REGION}: {volume} (old-data, 100 GiB gp3, unattached, created {TODAY}); "
                       "limit 0")
    shop.ec2.attach_volume(VolumeId=volume, InstanceId=shop.web, Device="/dev/sdg")
    assert check(account).status is Status.PASSED


def test_an_unassociated_elastic_ip_fails(shop: Shop, account: str) -> None:
    address = shop.address()
    result = check(account)
    assert (result.status, result.reason) == (
        Status.FAILED, f"1 unused resource in {REGION}: {address['AllocationId']} ({address['PublicIp']}, "
                       "unassociated); limit 0")
    shop.ec2.associate_address(AllocationId=address["AllocationId"], InstanceId=shop.instance("api"))
    assert check(account).status is Status.PASSED


def test_an_instance_stopped_longer_than_min_age_fails(shop: Shop, account: str) -> None:
    old = shop.instance("old-web")
    shop.ec2.stop_instances(InstanceIds=[old])
    assert check(account).reason == HEALTHY  # stopped just now: younger than the default 7d
    result = check(account, min_age="0s")
    assert result.status is Status.FAILED
    assert re.fullmatch(rf"1 unused resource in {REGION}: {old} \(old-web, t3.large, stopped \S+ ago\); limit 0",
                        result.reason), result.reason
    later = unused_at(target(account), dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=10))
    assert (later.status, later.reason) == (
        Status.FAILED, f"1 unused resource in {REGION}: {old} (old-web, t3.large, stopped 10d ago); limit 0")
    shop.ec2.start_instances(InstanceIds=[old])
    assert check(account, min_age="0s").status is Status.PASSED


def test_the_stop_time_is_read_from_the_state_transition_reason(boto: Callable[[str], Any]) -> None:
    ec2 = boto("ec2")
    old = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[old])
    (described,) = ec2.describe_instances(InstanceIds=[old])["Reservations"][0]["Instances"]
    moto_says = described["StateTransitionReason"]  # "User initiated (2026-11-02 10:11:12 UTC)"
    assert abs((dt.datetime.now(dt.timezone.utc) - stopped_since(moto_says)).total_seconds()) < 60, moto_says
    aws_says = "User initiated (2026-11-02 10:11:12 GMT)"  # as AWS documents it
    assert stopped_since(aws_says) == dt.datetime(2026, 11, 2, 10, 11, 12, tzinfo=dt.timezone.utc)
    for unreadable in ("", "Server.ScheduledStop: Stopped due to scheduled retirement", "User initiated"):
        assert stopped_since(unreadable) is None


def test_a_load_balancer_without_a_registered_target_fails(shop: Shop, account: str) -> None:
    shop.balancer("old-alb", targets=[])
    shop.balancer("bare-alb")
    result = check(account)
    assert (result.status, result.reason) == (
        Status.FAILED, f"2 unused resources in {REGION}: old-alb (application load balancer, no registered target); "
                       "bare-alb (application load balancer, no target group); limit 0")


def test_ignore_leaves_out_resources_by_id_name_address_or_balancer(shop: Shop, account: str) -> None:
    volume, address = shop.volume("scratch"), shop.address()
    shop.balancer("spare-alb")
    spare = shop.volume("spare")
    result = check(account, ignore=["scratch", address["PublicIp"], "spare-alb"])
    assert (result.status, result.reason) == (
        Status.FAILED, f"1 unused resource in {REGION}: {spare} (spare, 100 GiB gp3, unattached, created {TODAY}); "
                       "limit 0")
    assert result.evidence["ignored"] == [volume, address["AllocationId"], "spare-alb"]
    assert check(account, ignore=["scratch", address["AllocationId"], "spare-alb", spare]).reason == HEALTHY


def test_max_and_warn_max_set_how_many_may_stay(shop: Shop, account: str) -> None:
    volumes = [shop.volume(f"old-{n}") for n in range(7)]
    result = check(account, max=6)
    assert result.status is Status.FAILED
    assert result.reason.startswith(f"7 unused resources in {REGION}: {volumes[0]} (old-0, ")
    assert result.reason.endswith(f"{volumes[4]} (old-4, 100 GiB gp3, unattached, created {TODAY}); and 2 more; "
                                  "limit 6")
    assert [line.split()[0] for line in result.evidence["unused"]] == volumes
    assert check(account, max=7).status is Status.PASSED
    warned = check(account, max=10, warn_max=5)
    assert (warned.status, warned.reason.endswith("and 2 more; warning level 5")) == (Status.WARNING, True)
