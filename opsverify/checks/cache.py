"""Caches: Redis answers PING within its latency limit (Memcached is not supported yet)."""

from __future__ import annotations

import statistics
import time
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from opsverify.checks import CheckError, combine, milliseconds, probe, show_seconds, timeout_of
from opsverify.checks.deadline import budget, guard
from opsverify.checks.trust import bundle
from opsverify.result import Result, error, grade, passed
from opsverify.spec.models.health import Cache

_INFO = ("redis_version", "used_memory_human", "role")


@budget(timeout_of)
@probe
def ping(cache: Cache) -> Result:
    """PING round trip (median of 5 after connecting) against max_latency/warn_max_latency."""
    if urlsplit(cache.url.reveal()).scheme.lower() == "memcached":
        return error(f"{cache.url} is memcached, which opsverify cannot read yet: not checked")
    client = connect(cache)
    try:
        start = time.perf_counter()
        client.ping()
        connected = time.perf_counter() - start
        rounds = []
        for _ in range(5):
            begin = time.perf_counter()
            client.ping()
            rounds.append(time.perf_counter() - begin)
        info = _info(client)
    finally:
        client.close()
    latency = statistics.median(rounds)
    return combine([
        passed(f"{cache.url} answered PING (connected in {show_seconds(connected)})"),
        grade("PING round trip", latency, cache.max_latency, cache.warn_max_latency,
              show=show_seconds, unit="s"),
    ], connect_ms=milliseconds(connected), latency_ms=milliseconds(latency), **info)


def connect(cache: Cache) -> redis.Redis:
    """A Redis client with the item's timeouts, no retries, its socket guarded by the deadline (close it after use)."""
    scheme = urlsplit(cache.url.reveal()).scheme.lower()
    if scheme not in ("redis", "rediss", "unix"):
        raise CheckError(f"unsupported cache URL scheme {scheme!r}; expected redis://, rediss:// or unix://")
    timeout = timeout_of(cache)
    trust = {"ssl_ca_certs": bundle(None)} if scheme == "rediss" else {}  # Cache has no ca_file key
    return redis.Redis.from_url(cache.url.reveal(), socket_timeout=timeout, socket_connect_timeout=timeout,
                                retry=Retry(NoBackoff(), 0), protocol=2, redis_connect_func=_guarded, **trust)


def _guarded(connection: redis.Connection) -> None:
    """Once connected, before the handshake (AUTH, SELECT): guard the socket, then shake hands as redis-py does."""
    guard(connection._sock)  # redis-py calls this right after setting the socket it made
    connection.on_connect()


def _info(client: redis.Redis) -> dict[str, str]:
    """redis_version, used_memory_human and role from INFO; empty where INFO is disabled."""
    try:
        info = client.info()
    except redis.ResponseError:
        return {}
    return {key: str(info[key]) for key in _INFO if key in info}
