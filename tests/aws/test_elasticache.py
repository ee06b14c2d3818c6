"""ElastiCache against moto: a replication group or a cache cluster must be 'available'."""

from __future__ import annotations

from typing import Any, Callable

from opsverify.checks import aws
from opsverify.checks.aws.elasticache import available
from opsverify.result import Status
from tests.aws.conftest import item


def test_an_available_replication_group_passes_and_a_deleting_one_fails(boto: Callable[[str], Any],
                                                                       account: str) -> None:
    client = boto("elasticache")
    client.create_replication_group(ReplicationGroupId="shop-redis", ReplicationGroupDescription="sessions",
                                    Engine="redis", CacheNodeType="cache.t3.micro", NumCacheClusters=1)
    target = item(aws.caches, account, elasticache=["shop-redis"])
    result = available(target)
    assert (result.status, result.reason) == (Status.PASSED, "ElastiCache replication group shop-redis is available")
    client.delete_replication_group(ReplicationGroupId="shop-redis")
    result = available(target)
    assert (result.status, result.reason) == (Status.FAILED,
                                              "ElastiCache replication group shop-redis is 'deleting'")


def test_a_cache_cluster_is_checked_when_there_is_no_such_replication_group(boto: Callable[[str], Any],
                                                                           account: str) -> None:
    client = boto("elasticache")
    client.create_cache_cluster(CacheClusterId="shop-memcached", Engine="memcached", CacheNodeType="cache.t3.micro",
                                NumCacheNodes=2)
    target = item(aws.caches, account, elasticache=["shop-memcached"])
    result = available(target)
    assert (result.status, result.reason) == (Status.PASSED, "ElastiCache cache cluster shop-memcached is available")
    assert result.evidence == {"engine": "memcached", "nodes": 2}
    client.delete_cache_cluster(CacheClusterId="shop-memcached")
    result = available(target)
    assert (result.status, result.reason) == (Status.FAILED, "ElastiCache cache cluster shop-memcached is 'deleting'")


def test_an_unknown_cache_fails_naming_it(account: str) -> None:
    result = available(item(aws.caches, account, elasticache=["shop-redis"]))
    assert result.status is Status.FAILED
    assert result.reason == "ElastiCache shop-redis does not exist (neither a replication group nor a cache cluster)"
