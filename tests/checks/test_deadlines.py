"""Each check ends by its deadline against a hostile target on loopback, naming the cause and what arrived."""

from __future__ import annotations

import re
import time
import tracemalloc
from typing import Any, Callable

import pytest

from opsverify.checks.cache import ping
from opsverify.checks.database import connect
from opsverify.checks.http import latency_sla, response
from opsverify.checks.smtp import handshake
from opsverify.result import Result, Status
from opsverify.spec.models.health import Cache, Database, Endpoint, Smtp
from tests.support import hostile
from tests.support.items import item
from tests.support.net import LOOPBACK

TIMEOUT = 2.0
GRACE = 1.0  # the check's own end may come this long after its timeout (thread wake-up, closing)
TRICKLED = re.compile(r"no answer within 2s \((\d+)B received\)")


def _ended_in_time(check: Callable[[Any], Result], target: Any) -> Result:
    """Run a check on a hostile target; it must end within its timeout plus GRACE."""
    start = time.monotonic()
    result = check(target)
    took = time.monotonic() - start
    assert TIMEOUT - 0.1 <= took <= TIMEOUT + GRACE, f"took {took:.2f}s: {result.reason}"
    return result


def _trickled(result: Result) -> int:
    """The bytes a `no answer within 2s (N received)` error says arrived."""
    assert result.status is Status.ERROR
    found = TRICKLED.fullmatch(result.reason)
    assert found, result.reason
    return int(found.group(1))


def test_http_headers_sent_a_byte_at_a_time_end_at_the_timeout() -> None:
    with hostile.serving(hostile.http_headers_trickle(every=0.25)) as port:
        result = _ended_in_time(response, item(Endpoint, url=f"http://{LOOPBACK}:{port}/", timeout="2s"))
    assert 4 <= _trickled(result) <= 10  # one byte each 0.25 s for 2 s


def test_an_http_body_sent_a_byte_at_a_time_ends_at_the_timeout() -> None:
    with hostile.serving(hostile.http_body_trickle(every=0.25)) as port:
        result = _ended_in_time(response, item(Endpoint, url=f"http://{LOOPBACK}:{port}/", timeout="2s"))
    assert 38 + 4 <= _trickled(result) <= 38 + 10  # the 38 bytes of headers, then the body's bytes


def test_each_sla_sample_has_the_timeout_and_a_trickling_one_is_an_error() -> None:
    with hostile.serving(hostile.http_body_trickle(every=0.25)) as port:
        endpoint = item(Endpoint, url=f"http://{LOOPBACK}:{port}/", timeout="2s", sla={"samples": 5})
        result = _ended_in_time(latency_sla, endpoint)
    assert _trickled(result) > 38


def test_an_smtp_banner_sent_a_byte_at_a_time_ends_at_the_timeout() -> None:
    with hostile.serving(hostile.smtp_banner_trickle(every=0.25)) as port:
        result = _ended_in_time(handshake, item(Smtp, host=LOOPBACK, port=port, timeout="2s"))
    assert 4 <= _trickled(result) <= 10


def test_a_redis_reply_sent_a_byte_at_a_time_ends_at_the_timeout() -> None:
    with hostile.serving(hostile.redis_reply_trickle(every=0.25)) as port:
        result = _ended_in_time(ping, item(Cache, url=f"redis://{LOOPBACK}:{port}/0", timeout="2s"))
    assert 4 <= _trickled(result) <= 10


def test_a_postgres_that_logs_in_and_never_answers_ends_at_the_timeout() -> None:
    with hostile.serving(hostile.postgres_silent_after_login()) as port:
        url = f"postgresql+psycopg://postgres@{LOOPBACK}:{port}/app"
        result = _ended_in_time(connect, item(Database, url=url, timeout="2s"))
    assert (result.status, result.reason) == (Status.ERROR, "no answer within 2s")  # logged in, then nothing


def test_a_mariadb_port_trickling_bytes_ends_at_the_timeout_with_a_readable_cause() -> None:
    with hostile.serving(hostile.mysql_greeting_trickle(every=0.25)) as port:
        url = f"mysql+pymysql://root@{LOOPBACK}:{port}/app"
        result = _ended_in_time(connect, item(Database, url=url, timeout="2s"))
    assert 4 <= _trickled(result) <= 10


def test_a_greeting_that_is_not_mysql_is_named_as_such() -> None:
    talk = hostile.trickle(b"", first=b"\x05\x00\x00\x00\x0a1\x00ab", listens=False)
    with hostile.serving(talk) as port:
        result = connect(item(Database, url=f"mysql+pymysql://root@{LOOPBACK}:{port}/app", timeout="2s"))
    assert result.status is Status.ERROR
    assert re.fullmatch(rf"{LOOPBACK}:{port} did not answer as a MySQL or MariaDB server "
                        r"\(\w+ reading its greeting\)", result.reason), result.reason


@pytest.fixture(scope="module")
def endless() -> Any:
    """An HTTP server answering a 1 GiB body as fast as loopback takes it."""
    with hostile.serving(hostile.endless_body()) as port:
        yield f"http://{LOOPBACK}:{port}/"


def test_a_1gb_body_is_read_to_the_limit_in_bounded_memory_and_errors_when_content_is_expected(endless) -> None:
    tracemalloc.start()
    try:
        result = response(item(Endpoint, url=endless, timeout="10s", expect={"contains": "never there"}))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (result.status, result.reason) == (Status.ERROR, "body larger than 10MiB (first 10MiB read)")
    assert peak < 40 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"


def test_a_body_over_the_limit_is_judged_on_its_first_bytes_when_they_are_enough(endless) -> None:
    result = response(item(Endpoint, url=endless, timeout="10s", body_limit="1MiB"))
    assert result.status is Status.PASSED, result.reason
    assert result.evidence["body_read"] == "first 1048576 bytes (the body is longer)"
    found = response(item(Endpoint, url=endless, timeout="10s", body_limit="64KiB", expect={"contains": "\0\0"}))
    assert found.status is Status.PASSED, found.reason
