"""Redis hit rate, memory and evictions against a real throwaway redis-server whose INFO is ours alone."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import redis

from opsverify.checks.cachestats import evictions, hit_rate, memory
from opsverify.result import Status
from opsverify.spec.models.health import Cache
from tests.dbstats.helpers import archive, context
from tests.support.items import item
from tests.support.net import free_port
from tests.support.redis_server import RedisServer

NODEID = "verify/test_database.py::test_cache_evictions[sessions]"


def cache(server: RedisServer | str, **limits: object) -> Cache:
    """A Cache item for the server."""
    return item(Cache, url=server if isinstance(server, str) else server.url, **limits)


def lookups(client: redis.Redis, hits: int, misses: int) -> None:
    """`hits` reads of a key that exists and `misses` reads of keys that do not, pipelined."""
    client.set("session:1", "alice")
    with client.pipeline(transaction=False) as pipe:
        for _ in range(hits):
            pipe.get("session:1")
        for n in range(misses):
            pipe.get(f"session:gone:{n}")
        pipe.execute()


FIRST = r"since the server started \d+s ago; a first reading: no earlier archived run of this check to compare with"


def test_a_first_reading_says_so_and_never_passes_on_the_lifetime_ratio(redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url)
    client.config_resetstat()
    unused = hit_rate(cache(redis_server, min_hit_rate="70%"))
    assert unused.status is Status.ERROR
    assert re.fullmatch(rf"no key lookups on {re.escape(redis_server.url)} {FIRST}: the hit rate cannot be measured",
                        unused.reason), unused.reason
    lookups(client, 9, 1)
    first = hit_rate(cache(redis_server, min_hit_rate="70%"))
    assert first.status is Status.WARNING
    assert re.fullmatch(rf"hit rate is 90% \(9 hits, 1 misses {FIRST}\); limit 70%; the change since this run is "
                        r"judged from the next run on", first.reason), first.reason
    lookups(client, 0, 20)
    result = hit_rate(cache(redis_server, min_hit_rate="70%", warn_min_hit_rate="80%"))
    assert result.status is Status.FAILED
    assert re.fullmatch(rf"hit rate is 30% \(9 hits, 21 misses {FIRST}\); limit 70%", result.reason), result.reason
    client.close()


HIT_RATE = "verify/test_database.py::test_cache_hit_rate[sessions]"


def test_a_collapse_after_the_previous_run_fails_although_the_lifetime_ratio_is_high(
        redis_server: RedisServer, tmp_path: Path) -> None:
    client = redis.Redis.from_url(redis_server.url)
    client.config_resetstat()
    lookups(client, 50000, 500)  # a long healthy history: 99% hits
    item_ = cache(redis_server, min_hit_rate="70%")
    now = dt.datetime.now(dt.timezone.utc)
    yesterday = context(tmp_path, HIT_RATE, now - dt.timedelta(days=1))
    archive(yesterday, hit_rate(item_, context=yesterday))
    lookups(client, 100, 900)  # today: the cache misses 9 lookups in 10
    today = hit_rate(item_, context=context(tmp_path, HIT_RATE, now))
    assert today.status is Status.FAILED
    assert today.reason == (f"hit rate is 10% (100 hits, 900 misses since the run of "
                            f"{yesterday.started:%Y-%m-%d %H:%M}Z, 24h ago); limit 70%")
    info = client.info("stats")
    lifetime = info["keyspace_hits"] / (info["keyspace_hits"] + info["keyspace_misses"])
    assert lifetime > 0.97  # what the check judged before: months of history hide today's collapse
    assert today.evidence["keyspace_hits"] == 50100  # the counters, kept for the next run
    client.close()


def test_a_restart_after_the_previous_run_judges_the_lookups_since_the_restart(tmp_path: Path) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    before = context(tmp_path, HIT_RATE, now - dt.timedelta(hours=12))
    with RedisServer() as server:
        lookups(redis.Redis.from_url(server.url), 1000, 0)
        archive(before, hit_rate(cache(server, min_hit_rate="70%"), context=before))
    with RedisServer() as restarted:
        client = redis.Redis.from_url(restarted.url)
        lookups(client, 1, 9)
        result = hit_rate(cache(restarted, min_hit_rate="70%"), context=context(tmp_path, HIT_RATE, now))
        client.close()
    assert result.status is Status.FAILED
    assert re.fullmatch(r"hit rate is 10% \(1 hits, 9 misses since the server restarted \d+s ago, after the "
                        r"previous run\); limit 70%", result.reason), result.reason


def test_memory_near_maxmemory_fails_and_no_maxmemory_is_skipped(redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url)
    unset = memory(cache(redis_server, max_memory_used="90%"))
    assert unset.status is Status.SKIPPED
    assert re.fullmatch(rf"{re.escape(redis_server.url)} has no maxmemory set \(uses [\d.]+[KM]iB\); the share used "
                        r"cannot be measured", unset.reason), unset.reason
    client.config_set("maxmemory", str(64 * 2**20))
    assert memory(cache(redis_server, max_memory_used="90%")).status is Status.PASSED
    used = int(client.info("memory")["used_memory"])
    client.config_set("maxmemory", str(int(used * 1.05)))
    result = memory(cache(redis_server, max_memory_used="90%"))
    assert result.status is Status.FAILED
    assert re.fullmatch(r"memory used \([\d.]+[KM]iB of maxmemory [\d.]+[KM]iB, policy noeviction\) is \d+(\.\d)?%; "
                        r"limit 90%", result.reason), result.reason
    client.close()


def fill(client: redis.Redis, keys: int) -> None:
    """Write keys of 1 KiB each."""
    with client.pipeline(transaction=False) as pipe:
        for n in range(keys):
            pipe.set(f"page:{n}", "x" * 1024)
        pipe.execute()


def test_evictions_count_per_day_since_the_server_started_then_since_the_last_run(
        redis_server: RedisServer, tmp_path: Path) -> None:
    client = redis.Redis.from_url(redis_server.url)
    item_ = cache(redis_server, max_evictions_per_day=0)
    assert evictions(item_).status is Status.PASSED
    client.config_set("maxmemory-policy", "allkeys-lru")
    client.config_set("maxmemory", str(int(client.info("memory")["used_memory"]) + 2 * 2**20))
    fill(client, 4000)
    evicted = int(client.info("stats")["evicted_keys"])
    assert evicted > 0
    now = dt.datetime.now(dt.timezone.utc)
    yesterday = context(tmp_path, NODEID, now - dt.timedelta(days=1))
    first = evictions(item_, context=yesterday)
    assert first.status is Status.FAILED
    assert re.fullmatch(rf"evictions per day \(\d+ keys evicted {FIRST}\) is \d+; limit 0", first.reason), first.reason
    archive(yesterday, first)
    quiet = evictions(item_, context=context(tmp_path, NODEID, now))
    assert quiet.status is Status.PASSED
    since = f"{yesterday.started:%Y-%m-%d %H:%M}Z"
    assert quiet.reason.startswith(f"evictions per day (0 keys evicted since the run of {since}")
    fill(client, 4000)
    busy = evictions(item_, context=context(tmp_path, NODEID, now))
    assert busy.status is Status.FAILED
    found = re.fullmatch(rf"evictions per day \((\d+) keys evicted since the run of {since}, 24h ago\) is (\d+); "
                         r"limit 0", busy.reason)
    assert found and found[1] == found[2] and int(found[1]) > 0, busy.reason
    client.close()


def test_a_restart_since_the_last_run_counts_from_the_start(tmp_path: Path) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    with RedisServer() as server:
        before = context(tmp_path, NODEID, now - dt.timedelta(hours=12))
        archive(before, evictions(cache(server, max_evictions_per_day=0), context=before))
    with RedisServer() as restarted:
        result = evictions(cache(restarted, max_evictions_per_day=0), context=context(tmp_path, NODEID, now))
    assert result.status is Status.PASSED
    assert re.fullmatch(r"evictions per day \(0 keys evicted since the server restarted \d+s ago, after the "
                        r"previous run\) is 0; limit 0", result.reason), result.reason


def test_an_unreachable_cache_is_an_error() -> None:
    port = free_port()
    result = hit_rate(cache(f"redis://127.0.0.1:{port}/0", min_hit_rate="70%"))
    assert result.status is Status.ERROR
    assert result.reason == f"connection refused on 127.0.0.1:{port}"
