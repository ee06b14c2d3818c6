"""ElastiCache: a replication group, else a cache cluster, of that name is 'available'."""

from __future__ import annotations

from typing import Any

from opsverify.checks.aws import Missing, Target, answers, aws_check, client
from opsverify.result import Result, failed, passed


@aws_check
def available(target: Target) -> Result:
    """The replication group's (or cache cluster's) status is 'available'."""
    kind, status, evidence = _state(target, client(target))
    shown = f"ElastiCache {kind} {target.name}"
    if status != "available":
        return failed(f"{shown} is {status!r}", value=status, evidence=evidence)
    return passed(f"{shown} is available", value=status, evidence=evidence)


def _state(target: Target, api: Any) -> tuple[str, str, dict[str, Any]]:
    """What the name is (replication group or cache cluster), its status and a little evidence."""
    try:
        with answers(target, missing=target.name):
            group = api.describe_replication_groups(ReplicationGroupId=target.name)["ReplicationGroups"][0]
        return "replication group", group["Status"], {"members": list(group.get("MemberClusters", []))}
    except Missing:
        pass
    gone = f"ElastiCache {target.name} does not exist (neither a replication group nor a cache cluster)"
    with answers(target, missing=gone):
        node = api.describe_cache_clusters(CacheClusterId=target.name)["CacheClusters"][0]
    return "cache cluster", node["CacheClusterStatus"], {"engine": node.get("Engine"),
                                                         "nodes": node.get("NumCacheNodes")}
