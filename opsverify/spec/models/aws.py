"""An AWS account through its APIs: ECS services, RDS instances, ElastiCache, CloudWatch alarms, ALB targets."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import AfterValidator, field_validator

from opsverify.spec.models.common import Entry
from opsverify.spec.types import Count, DurationT, Name, WebUrl


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


class EcsCluster(Entry):
    """An ECS cluster and the services in it that must run their desired number of tasks."""

    cluster: Name
    services: Names = ()  # empty: every service of the cluster


class RdsInstance(Entry):
    """An RDS DB instance: available, with automated backups kept long enough and restorable recently."""

    instance: Name
    min_backup_retention: Count | None = None  # days of automated backups
    warn_min_backup_retention: Count | None = None
    max_restore_lag: DurationT | None = None  # LatestRestorableTime no older than this (the RPO)
    warn_max_restore_lag: DurationT | None = None


class Alarms(Entry):
    """The CloudWatch alarms that must not be in ALARM."""

    prefix: str | None = None  # only alarms whose names start with this; None: every alarm
    ignore: tuple[str, ...] = ()


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
