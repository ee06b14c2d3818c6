"""An AWS account through its APIs: ECS services, RDS instances, ElastiCache, CloudWatch alarms, ALB targets,
security groups, log group retention, IAM users, ECR image scans and unused resources."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, field_validator, model_validator

from opsverify.spec.models.common import Entry, Listed
from opsverify.spec.types import Count, DurationT, Name, Port, WebUrl
from opsverify.spec.units import Duration


def _unique(names: Sequence[str], what: str = "") -> Any:
    """The names, once none is listed twice."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{what}{name!r} is listed twice; each may appear once")
        seen.add(name)
    return names


Names = Annotated[tuple[Name, ...], AfterValidator(_unique)]


def _region(value: str) -> str:
    """An AWS region code such as eu-west-1."""
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d+", value):
        raise ValueError(f"{value!r} is not an AWS region; write it like eu-west-1")
    return value


Region = Annotated[str, AfterValidator(_region)]


def _resource_id(kind: str, prefix: str) -> Any:
    """A validator of AWS resource ids such as sg-0abc12345 (security group) or vpc-0abc12345 (VPC)."""

    def check(value: str) -> str:
        """The id, once it looks like one."""
        if not re.fullmatch(rf"{prefix}-[0-9a-f]+", value):
            raise ValueError(f"{value!r} is not a {kind} id; write it like {prefix}-0abc12345")
        return value

    return AfterValidator(check)


def _repository(value: str) -> str:
    """An ECR repository name such as solemate-backend or team/app."""
    if not re.fullmatch(r"[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*", value):
        raise ValueError(f"{value!r} is not an ECR repository name (lower-case letters, digits, . _ - and /)")
    return value


GroupId = Annotated[str, _resource_id("security group", "sg")]
VpcId = Annotated[str, _resource_id("VPC", "vpc")]
Repository = Annotated[str, AfterValidator(_repository)]


class EcsCluster(Listed):
    """An ECS cluster and the services in it that must run their desired number of tasks."""

    cluster: Name
    services: Names = ()  # empty: every service of the cluster

    @property
    def own_id(self) -> str:
        """The cluster's name."""
        return self.cluster


class RdsInstance(Listed):
    """An RDS DB instance: available, with automated backups kept long enough and restorable recently."""

    instance: Name
    min_backup_retention: Count | None = None  # days of automated backups
    warn_min_backup_retention: Count | None = None
    max_restore_lag: DurationT | None = None  # LatestRestorableTime no older than this (the RPO)
    warn_max_restore_lag: DurationT | None = None

    @property
    def own_id(self) -> str:
        """The instance's identifier."""
        return self.instance


class AlarmRoute(Listed):
    """Alarms that must reach people by one kind of SNS subscription (email, sms, https, lambda, ...)."""

    protocol: Literal["email", "email-json", "sms", "https", "http", "lambda", "sqs", "firehose", "application"]
    alarms: tuple[str, ...] = ()  # these alarms; empty: every alarm watched (under the prefix, not ignored)

    @property
    def own_id(self) -> str:
        """The subscription protocol the alarms must reach."""
        return self.protocol


class Alarms(Entry):
    """The CloudWatch alarms that must not be in ALARM, the ones that must exist, and where they must notify."""

    prefix: str | None = None  # only alarms whose names start with this; None: every alarm
    ignore: tuple[str, ...] = ()
    expect: tuple[str, ...] = ()  # alarms that must exist (the runbook's P1 conditions)
    notify: tuple[AlarmRoute, ...] = ()  # each alarm's actions on, reaching a confirmed subscription of the protocol


class SecurityGroups(Entry):
    """Security groups whose inbound rules open nothing but `public_ports` to 0.0.0.0/0 or ::/0."""

    public_ports: tuple[Port, ...] = (80, 443)
    groups: tuple[GroupId, ...] = ()  # only these groups; empty: every group (of `vpc`)
    vpc: VpcId | None = None  # only the groups of this VPC


class Unused(Entry):
    """Resources that cost money and serve nothing; more than `max` of them fails."""

    max: Count = 0
    warn_max: Count | None = None
    ignore: tuple[str, ...] = ()  # resource ids, Name tags, Elastic IP addresses or load balancer names left out
    min_age: DurationT = Duration(7 * 86400.0, "7d")  # an instance counts once stopped this long


class LogGroup(Listed):
    """CloudWatch log groups, one by name or all under a prefix, that keep their logs at least `min_days`."""

    group: str | None = None
    prefix: str | None = None
    min_days: Count  # retentionInDays at least this; "never expire" is enough
    warn_min_days: Count | None = None

    @model_validator(mode="after")
    def _group_or_prefix(self) -> LogGroup:
        """Exactly one of group and prefix."""
        if (self.group is None) == (self.prefix is None):
            raise ValueError("give either group (one log group's name) or prefix (every group under it)")
        return self

    @property
    def own_id(self) -> str:
        """The group's name or the prefix."""
        return self.group or self.prefix or ""


class Iam(Entry):
    """The account's IAM users: console sign-in only with MFA, access keys rotated, administrators approved."""

    console_mfa: bool = True  # users with a console password must have an MFA device
    max_access_key_age: DurationT | None = None  # active access keys no older than this
    warn_max_access_key_age: DurationT | None = None
    approved_admins: tuple[str, ...] | None = None  # the users who may hold AdministratorAccess; None: not reviewed


class EcrImage(Listed):
    """An ECR image whose latest scan found nothing above `max_severity`."""

    repository: Repository
    tag: Name = "latest"
    max_severity: Literal["low", "medium", "high", "critical"] = "medium"  # medium: nothing high or critical
    max_scan_age: DurationT = Duration(7 * 86400.0, "7d")  # an older scan cannot speak for today's advisories

    @property
    def own_id(self) -> str:
        """repository:tag."""
        return f"{self.repository}:{self.tag}"


class Aws(Entry):
    """One AWS region of one account, reached with boto3's usual credentials (or `profile`)."""

    region: Region
    profile: str | None = None  # a profile of ~/.aws/config; None: the usual credential chain
    endpoint_url: WebUrl | None = None  # LocalStack, moto; None: AWS itself (or AWS_ENDPOINT_URL)
    ecs: tuple[EcsCluster, ...] = ()
    rds: tuple[RdsInstance, ...] = ()
    elasticache: Names = ()  # replication groups or cache clusters
    alarms: Alarms | None = None
    target_groups: Names = ()  # ALB/NLB target groups by name
    security_groups: SecurityGroups | None = None
    unused: Unused | None = None
    log_groups: tuple[LogGroup, ...] = ()
    iam: Iam | None = None
    ecr: tuple[EcrImage, ...] = ()

    @field_validator("ecs")
    @classmethod
    def _one_entry_per_cluster(cls, clusters: tuple[EcsCluster, ...]) -> tuple[EcsCluster, ...]:
        """Each cluster once, so that every test id is unique."""
        _unique([c.cluster for c in clusters], "cluster ")
        return clusters

    @field_validator("rds")
    @classmethod
    def _one_entry_per_instance(cls, instances: tuple[RdsInstance, ...]) -> tuple[RdsInstance, ...]:
        """Each instance once, so that every test id is unique."""
        _unique([i.instance for i in instances], "instance ")
        return instances

    @field_validator("log_groups", "ecr")
    @classmethod
    def _one_entry_per_name(cls, entries: tuple[Any, ...]) -> tuple[Any, ...]:
        """Each log group, prefix and image once, so that every test id is unique."""
        _unique([e.own_id for e in entries])
        return entries
