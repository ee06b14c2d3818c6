"""Redis statistics from INFO: hit rate, memory used against maxmemory, evictions per day."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from opsverify.checks import probe, timeout_of
from opsverify.checks.deadline import budget
from opsverify.checks.cache import connect
from opsverify.checks.host import percent
from opsverify.checks.counters import first_reading, since_previous
from opsverify.context import RunContext
from opsverify.result import Result, error, grade, skipped
from opsverify.spec.models.health import Cache
from opsverify.spec.units import format_bytes


def _info(cache: Cache) -> dict[str, Any] | Result:
    """INFO of the cache, or the skip for a cache that is not Redis."""
    if urlsplit(cache.url.reveal()).scheme.lower() == "memcached":
        return error(f"{cache.url} is memcached, which opsverify cannot read yet: not checked")
    client = connect(cache)
    try:
        info = client.info()
        if "maxmemory" not in info:  # Redis before 4 has it only in CONFIG GET
            info["maxmemory"] = int(client.config_get("maxmemory").get("maxmemory", 0))
        return info
    finally:
        client.close()


@budget(timeout_of)
@probe
def hit_rate(cache: Cache, *, context: RunContext | None = None) -> Result:
    """keyspace_hits / (hits + misses) since the previous archived run (the lifetime ratio only as a first
    reading, never a silent pass), against min_hit_rate."""
    info = _info(cache)
    if isinstance(info, Result):
        return info
    counters = {"keyspace_hits": int(info["keyspace_hits"]), "keyspace_misses": int(info["keyspace_misses"])}
    span = since_previous(context, counters, int(info["uptime_in_seconds"]), info.get("run_id"))
    hits, misses = span.grown["keyspace_hits"], span.grown["keyspace_misses"]
    evidence = {**counters, "uptime_s": int(info["uptime_in_seconds"]), "run_id": info.get("run_id"),
                "hits": hits, "misses": misses, "since": span.since}
    if hits + misses == 0:
        return error(f"no key lookups on {cache.url} {span.said}: the hit rate cannot be measured",
                     evidence=evidence)
    rate = hits / (hits + misses)
    result = grade("hit rate", rate, cache.min_hit_rate, cache.warn_min_hit_rate, show=percent, unit="ratio",
                   higher_is_worse=False, evidence=evidence,
                   said=f"hit rate is {percent(rate)} ({hits} hits, {misses} misses {span.said})")
    return first_reading(result, span)


@budget(timeout_of)
@probe
def memory(cache: Cache) -> Result:
    """used_memory as a share of maxmemory, against max_memory_used; no maxmemory set is a skip."""
    info = _info(cache)
    if isinstance(info, Result):
        return info
    used, limit = int(info["used_memory"]), int(info["maxmemory"])
    evidence = {"used_memory": format_bytes(used), "maxmemory": format_bytes(limit) if limit else "unset",
                "maxmemory_policy": info.get("maxmemory_policy")}
    if limit == 0:
        return skipped(f"{cache.url} has no maxmemory set (uses {format_bytes(used)}); the share used "
                       "cannot be measured", evidence=evidence)
    return grade(f"memory used ({format_bytes(used)} of maxmemory {format_bytes(limit)}, "
                 f"policy {info.get('maxmemory_policy')})", used / limit, cache.max_memory_used,
                 cache.warn_max_memory_used, show=percent, unit="ratio", evidence=evidence)


@budget(timeout_of)
@probe
def evictions(cache: Cache, *, context: RunContext | None = None) -> Result:
    """Keys evicted per day since the previous archived run of this check (since start-up only as a first reading)."""
    if cache.max_evictions_per_day is None:
        return skipped("no max_evictions_per_day set")
    info = _info(cache)
    if isinstance(info, Result):
        return info
    counters = {"evicted_keys": int(info["evicted_keys"])}
    span = since_previous(context, counters, int(info["uptime_in_seconds"]), info.get("run_id"))
    count = span.grown["evicted_keys"]
    evidence = {**counters, "uptime_s": int(info["uptime_in_seconds"]), "run_id": info.get("run_id"),
                "since": span.since}
    per_day = count * 86400 / span.seconds
    result = grade(f"evictions per day ({count} keys evicted {span.said})", round(per_day, 1),
                   cache.max_evictions_per_day, show=lambda v: f"{v:.0f}" if v >= 100 else f"{v:g}",
                   unit="keys/day", evidence=evidence)
    return result if count == 0 else first_reading(result, span)  # none ever evicted is none since any run
