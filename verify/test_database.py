"""Databases and caches: connections, long queries, locks, replication, maintenance, cache statistics."""

from opsverify.plugin import check, expect, having


@check("db.activity.connections", over=having("databases", "max_connections_used", "warn_max_connections_used"),
       area="database")
def test_database_connections_used(result):
    expect(result)


@check("db.activity.long_queries", over=having("databases", "max_long_query"), area="database")
def test_database_long_queries(result):
    expect(result)


@check("db.activity.blocked", over=having("databases", "max_blocked"), area="database")
def test_database_blocked_sessions(result):
    expect(result)


@check("db.replication.lag", over=having("databases", "max_replication_lag", "warn_max_replication_lag", "replication"),
       area="database")
def test_database_replication_lag(result):
    expect(result)


@check("db.maintenance.dead_tuples", over=having("databases", "max_dead_tuples", "warn_max_dead_tuples"),
       cadence="weekly", area="database")
def test_database_dead_tuples(result):
    expect(result)


@check("db.maintenance.statistics_age", over=having("databases", "stats_max_age"), cadence="weekly", area="database")
def test_database_statistics_age(result):
    expect(result)


@check("db.bloat.index_bloat", over=having("databases", "max_index_bloat", "warn_max_index_bloat"),
       cadence="monthly", area="database")
def test_database_index_bloat(result):
    expect(result)


@check("db.maintenance.growth", over=having("databases", "max_table_growth", "warn_max_table_growth"),
       cadence="weekly", area="database")
def test_database_table_growth(result):
    expect(result)


@check("cachestats.hit_rate", over=having("caches", "min_hit_rate", "warn_min_hit_rate"), area="performance")
def test_cache_hit_rate(result):
    expect(result)


@check("cachestats.memory", over=having("caches", "max_memory_used", "warn_max_memory_used"), area="database")
def test_cache_memory_used(result):
    expect(result)


@check("cachestats.evictions", over=having("caches", "max_evictions_per_day"), area="database")
def test_cache_evictions(result):
    expect(result)
