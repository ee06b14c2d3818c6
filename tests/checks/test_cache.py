"""Cache checks against real Redis servers: PING latency, INFO evidence, stopped and hanging servers."""

from __future__ import annotations

import re
import time
from typing import Any

from opsverify.checks.cache import ping
from opsverify.result import Status
from opsverify.spec.models.health import Cache
from tests.services import REDIS, need
from tests.support.items import item
from tests.support.net import LOOPBACK
from tests.support.redis_server import RedisServer


def cache(url: str, **fields: Any) -> Cache:
    """A Cache item for url."""
    return item(Cache, url=url, **fields)


def test_the_shared_redis_passes_with_info_evidence() -> None:
    need("Redis", REDIS)
    result = ping(cache(f"redis://{LOOPBACK}:6379/0", max_latency="50ms"))
    assert result.status is Status.PASSED, result.reason
    assert re.fullmatch(rf"redis://{LOOPBACK}:6379/0 answered PING \(connected in [\d.]+ms\) \| "
                        r"PING round trip is [\d.]+ms; limit 50ms", result.reason), result.reason
    assert re.fullmatch(r"\d+\.\d+\.\d+", result.evidence["redis_version"])
    assert result.evidence["role"] == "master"
    assert result.evidence["used_memory_human"]


def test_a_throwaway_redis_passes_then_errors_once_stopped(redis_server: RedisServer) -> None:
    item_ = cache(redis_server.url)
    assert ping(item_).status is Status.PASSED
    redis_server.stop()
    result = ping(item_)
    assert result.status is Status.ERROR
    assert result.reason == f"connection refused on {LOOPBACK}:{redis_server.port}"


def test_the_latency_limit_fails(redis_server: RedisServer) -> None:
    result = ping(cache(redis_server.url, max_latency="0.001ms"))
    assert result.status is Status.FAILED
    assert re.fullmatch(r"PING round trip is [\d.]+ms; limit 0.001ms", result.reason), result.reason


def test_a_wrong_password_is_an_error_in_the_servers_words(redis_server: RedisServer) -> None:
    result = ping(cache(f"redis://:rd-s3cret-pw@{LOOPBACK}:{redis_server.port}/0"))
    assert result.status is Status.ERROR
    assert result.reason.startswith("AUTH <password> called without any password configured")
    assert "rd-s3cret-pw" not in repr(result)


def test_a_hanging_redis_is_an_error_within_the_timeout(hanging_port: int) -> None:
    start = time.monotonic()
    result = ping(cache(f"redis://{LOOPBACK}:{hanging_port}/0", timeout="1s"))
    assert time.monotonic() - start < 2
    assert (result.status, result.reason) == (Status.ERROR, "no answer within 1s")


def test_memcached_cannot_be_judged_and_is_an_error() -> None:
    result = ping(cache("memcached://127.0.0.1:11211"))
    assert (result.status, result.reason) == (Status.ERROR, "memcached://127.0.0.1:11211 is memcached, which "
                                                            "opsverify cannot read yet: not checked")
