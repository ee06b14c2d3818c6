"""Real pymongo against real loopback sockets that are not a MongoDB server: every check is an `error`.

No MongoDB server can be installed on these machines, so these tests cover what can be shown for real:
a closed port, a listener that never answers, servers that speak another protocol (HTTP, Redis), a name
that does not resolve, pymongo missing. None of them may pass, each keeps its real cause, each ends
within the item's timeout, and the URL's password never appears in the result.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pytest

from opsverify.checks import mongo
from opsverify.result import Status
from opsverify.spec.models.mongodb import MongoDb
from tests.services import REDIS, need
from tests.support.http_server import HttpServer
from tests.support.items import item
from tests.support.net import LOOPBACK, free_port

PASSWORD = "m0ng0-hunter2-pw"
CHECKS = [mongo.ping, mongo.connections, mongo.replication_lag, mongo.slow_operations]
LIMITS = {"max_latency": "100ms", "max_connections_used": "80%", "max_replication_lag": "30s", "max_slow_ops": 0,
          "expect_collections": ["bookings"]}


def mongodb(port: int, host: str = LOOPBACK, **fields: Any) -> MongoDb:
    """A MongoDb item with a password in its URL and every limit set."""
    return item(MongoDb, url=f"mongodb://monitor:{PASSWORD}@{host}:{port}/bookings?authSource=admin",
                **{"timeout": "1s", **LIMITS, **fields})


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_a_closed_port_is_an_error_with_its_cause_within_the_timeout(check) -> None:
    port = free_port()
    start = time.monotonic()
    result = check(mongodb(port))
    elapsed = time.monotonic() - start
    assert (result.status, result.reason) == (
        Status.ERROR, f"no MongoDB answered on {LOOPBACK}:{port} within 1s: connection refused")
    assert 0.8 < elapsed < 2.5, elapsed  # pymongo waits serverSelectionTimeoutMS (the item's 1s), not longer
    assert PASSWORD not in repr(result)


def test_a_listener_that_never_answers_is_an_error_within_the_timeout(hanging_port: int) -> None:
    start = time.monotonic()
    result = mongo.ping(mongodb(hanging_port))
    assert time.monotonic() - start < 2.5
    assert (result.status, result.reason) == (
        Status.ERROR, f"no MongoDB answered on {LOOPBACK}:{hanging_port} within 1s: no answer")


def test_an_http_server_is_not_taken_for_mongodb(web: HttpServer) -> None:
    result = mongo.ping(mongodb(web.port))
    assert result.status is Status.ERROR
    assert result.reason.startswith(f"no MongoDB answered on {LOOPBACK}:{web.port} within 1s: it answered, "
                                    "but not in MongoDB's wire protocol ("), result.reason
    assert PASSWORD not in repr(result)


def test_the_machines_redis_is_not_taken_for_mongodb() -> None:
    need("Redis", REDIS)
    result = mongo.connections(mongodb(REDIS[1]))
    assert (result.status, result.reason) == (
        Status.ERROR, f"no MongoDB answered on {LOOPBACK}:{REDIS[1]} within 1s: no answer")


def test_every_host_of_a_replica_set_url_is_named_with_its_own_cause(hanging_port: int) -> None:
    closed = free_port()
    db = item(MongoDb, url=f"mongodb://monitor:{PASSWORD}@{LOOPBACK}:{closed},{LOOPBACK}:{hanging_port}/x"
                           "?replicaSet=rs0", timeout="1s")
    result = mongo.ping(db)
    assert result.status is Status.ERROR
    assert result.reason.startswith(f"no MongoDB answered on {LOOPBACK}:"), result.reason
    assert f"{LOOPBACK}:{closed} connection refused" in result.reason
    assert f"{LOOPBACK}:{hanging_port} no answer" in result.reason


def test_a_host_that_does_not_resolve_says_so() -> None:
    result = mongo.ping(mongodb(27017, host="no-such-host.invalid"))
    assert result.status is Status.ERROR
    assert result.reason.startswith("no MongoDB answered on no-such-host.invalid:27017 within 1s: "
                                    "cannot resolve no-such-host.invalid: "), result.reason


def test_a_malformed_url_is_an_error_naming_it_masked() -> None:
    result = mongo.ping(item(MongoDb, url=f"mongodb://monitor:{PASSWORD}@db1:port/x"))
    assert result.status is Status.ERROR
    assert result.reason.startswith("cannot use the URL mongodb://monitor:***@db1:port/x: "), result.reason
    assert PASSWORD not in repr(result)


def test_without_pymongo_each_check_says_how_to_install_it() -> None:
    """A real interpreter in which pymongo cannot be imported (as where the extra is not installed)."""
    code = ("import sys; sys.modules['pymongo'] = None\n"
            "from opsverify.checks import mongo\n"
            "from opsverify.spec.models.mongodb import MongoDb\n"
            "r = mongo.ping(MongoDb(name='m', url='mongodb://127.0.0.1:9/x'))\n"
            "print(r.status.value, r.reason, sep='|')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "error|mongodb: needs pymongo: pip install 'opsverify[mongodb]'", done.stderr


def test_tls_trusts_the_items_ca_file(tls_sites, pki) -> None:
    """A TLS URL: without the private CA the certificate is refused; with ca_file the handshake gets through."""
    url = f"mongodb://monitor:{PASSWORD}@{LOOPBACK}:{tls_sites.valid.port}/bookings?tls=true"
    untrusted = mongo.ping(item(MongoDb, url=url, timeout="1s"))
    assert untrusted.status is Status.ERROR and "certificate verify failed" in untrusted.reason, untrusted.reason
    trusted = mongo.ping(item(MongoDb, url=url, timeout="1s", ca_file=str(pki.ca_file)))
    assert trusted.status is Status.ERROR
    assert "certificate" not in trusted.reason and "not in MongoDB's wire protocol" in trusted.reason, trusted.reason
    missing = mongo.ping(item(MongoDb, url=url, ca_file="/nonexistent/ca.pem"))
    assert (missing.status, missing.reason) == (Status.ERROR, "ca_file /nonexistent/ca.pem does not exist")
