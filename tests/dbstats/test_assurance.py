"""No false assurance in the database and cache statistics: lifetime-only or missing evidence is `error` or
`failed`, never passed or skipped."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import redis

from opsverify.checks.cachestats import hit_rate
from opsverify.checks.db.maintenance import growth
from opsverify.checks.db.replication import lag
from opsverify.result import Status
from opsverify.spec.models.health import Cache
from tests.dbstats.helpers import archive, context, database, pg_admin
from tests.services import POSTGRES, need
from tests.support.items import item
from tests.support.pg_cluster import PgCluster
from tests.support.redis_server import RedisServer

NOW = dt.datetime.now(dt.timezone.utc)


def test_a_cache_nobody_looked_up_since_the_previous_run_cannot_claim_a_hit_rate(redis_server: RedisServer,
                                                                                tmp_path: Path) -> None:
    client = redis.Redis.from_url(redis_server.url)
    client.set("k", "v")
    for _ in range(100):
        client.get("k")  # a healthy lifetime ratio of 100%
    cache = item(Cache, url=redis_server.url, min_hit_rate="70%")
    nodeid = "verify/test_database.py::test_cache_hit_rate[quiet]"
    yesterday = context(tmp_path, nodeid, NOW - dt.timedelta(days=1))
    archive(yesterday, hit_rate(cache, context=yesterday))
    result = hit_rate(cache, context=context(tmp_path, nodeid, NOW))
    client.close()
    assert result.status is Status.ERROR
    assert result.reason.startswith(f"no key lookups on {redis_server.url} since the run of ")


def test_a_server_expected_to_have_replicas_but_without_any_fails() -> None:
    need("PostgreSQL", POSTGRES)
    url = f"postgresql+psycopg://postgres@{POSTGRES[0]}:{POSTGRES[1]}/postgres"
    result = lag(database(url, replication="primary"))
    assert result.status is Status.FAILED
    assert result.reason == (f"no replica is connected to {url} (pg_stat_replication is empty); replication: primary "
                             "expects at least one")


def test_table_growth_with_nothing_left_to_compare_is_an_error(pg: PgCluster, dbname: str, tmp_path: Path) -> None:
    db = database(pg.url(dbname), max_table_growth="50%")
    nodeid = "verify/test_database.py::test_database_table_growth[main]"
    with pg_admin(pg.port, dbname) as admin:
        admin.execute("CREATE TABLE old_orders (id int)")
    last_week = context(tmp_path, nodeid, NOW - dt.timedelta(days=7))
    archive(last_week, growth(db, context=last_week))
    with pg_admin(pg.port, dbname) as admin:
        admin.execute("DROP TABLE old_orders; CREATE TABLE orders (id int)")
    result = growth(db, context=context(tmp_path, nodeid, NOW))
    assert (result.status, result.reason) == (Status.ERROR, "no table of the earlier run is left to compare with: the "
                                                            "growth cannot be judged")
