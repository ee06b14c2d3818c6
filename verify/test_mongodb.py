"""MongoDB: answers within its latency, connections used, replication lag, slow operations (through pymongo)."""

from opsverify.plugin import check, expect, having


@check("mongo.ping", over="mongodb", area="health")
def test_mongodb_answers(result):
    expect(result)


@check("mongo.connections", over=having("mongodb", "max_connections_used", "warn_max_connections_used"),
       area="database")
def test_mongodb_connections_used(result):
    expect(result)


@check("mongo.replication_lag", over=having("mongodb", "max_replication_lag", "warn_max_replication_lag"),
       area="database")
def test_mongodb_replication_lag(result):
    expect(result)


@check("mongo.slow_operations", over=having("mongodb", "max_slow_ops", "warn_max_slow_ops"), area="database")
def test_mongodb_slow_operations(result):
    expect(result)
