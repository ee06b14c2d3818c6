"""Redis statistics from INFO: hit rate, memory used against maxmemory, evictions per day."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from opsverify.checks import probe, timeout_of
from opsverify.checks.deadline import budget
from opsverify.checks.cache import connect
from opsverify.checks.host import percent
from opsverify.checks.previous import previous, seconds_since
from opsverify.context import RunContext
from opsverify.result import Result, grade, skipped
from opsverify.spec.models.health import Cache
from opsverify.spec.units import format_bytes, format_seconds


def _info(cache: Cache) -> dict[str, Any] | Result:
    """INFO of the cache, or the skip for a cache that is not Redis."""
    if urlsplit(cache.url.reveal()).scheme.lower() == "memcached":
        return skipped("memcached is not supported yet")
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
def hit_rate(cache: Cache) -> Result:
    """keyspace_hits / (hits + misses) since the server started (or CONFIG RESETSTAT), against min_hit_rate."""
    info = _info(cache)
    if isinstance(info, Result):
        return info
    hits, misses = int(info["keyspace_hits"]), int(info["keyspace_misses"])
    evidence = {"keyspace_hits": hits, "keyspace_misses": misses, "uptime_s": int(info["uptime_in_seconds"])}
    if hits + misses == 0:
        return skipped(f"no key lookups on {cache.url} since its statistics began; the hit rate cannot be "
                       "measured", evidence=evidence)
    since = format_seconds(max(int(info["uptime_in_seconds"]), 1))
    return grade(f"hit rate ({hits} hits, {misses} misses in {since})", hits / (hits + misses),
                 cache.min_hit_rate, cache.warn_min_hit_rate, show=percent, unit="ratio",
                 higher_is_worse=False, evidence=evidence)


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
    """Keys evicted per day: since the previous archived run of this check, else since the server started."""
    if cache.max_evictions_per_day is None:
        return skipped("no max_evictions_per_day set")
    info = _info(cache)
    if isinstance(info, Result):
        return info
    evicted, uptime, run_id = int(info["evicted_keys"]), int(info["uptime_in_seconds"]), info.get("run_id")
    evidence = {"evicted_keys": evicted, "uptime_s": uptime, "run_id": run_id}
    past = previous(context, "evicted_keys")
    then = past.entry["evidence"] if past else {}
    elapsed = seconds_since(context, past) if past and context else 0.0
    if past and then.get("run_id") == run_id and evicted >= int(then["evicted_keys"]) and elapsed > 0:
        count, seconds = evicted - int(then["evicted_keys"]), elapsed
        span = f"since the run of {past.started[:16].replace('T', ' ')}Z"
        evidence["since"] = past.run
    else:
        count, seconds = evicted, max(uptime, 1)
        span = "since the server started" + (" (restarted after the previous run)" if past else "")
    per_day = count * 86400 / seconds
    return grade(f"evictions per day ({count} keys evicted {span}, {format_seconds(seconds)} ago)",
                 round(per_day, 1), cache.max_evictions_per_day, show=lambda v: f"{v:.0f}" if v >= 100 else f"{v:g}",
                 unit="keys/day",
                 evidence=evidence)
