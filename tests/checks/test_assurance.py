"""No false assurance in the health checks: missing or stale evidence is `error` or `failed`, never passed or skipped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from opsverify.checks.cache import ping
from opsverify.checks.database import connect
from opsverify.checks.http import response
from opsverify.checks.smtp import handshake
from opsverify.checks.tls import certificate
from opsverify.result import Result, Status
from opsverify.spec.models.health import Cache, Database, Endpoint, Smtp, Tls
from tests.checks.test_tls import _protocols_under
from tests.support.fixtures import TlsSites
from tests.support.http_server import HttpServer, Reply
from tests.support.items import item
from tests.support.net import LOOPBACK, free_port

STALE = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3)).isoformat()
ANSWERS = {"/fresh-key-gone": Reply(200, {"message": {"members": 412}}),
           "/stale": Reply(200, {"message": {"last_updated": STALE}}),
           "/not-json": Reply(200, "<html>maintenance</html>")}


def answer(path: str) -> Callable[[HttpServer], Result]:
    """The endpoint check of `path`, whose data must be at most 6h old."""
    return lambda web: response(item(Endpoint, url=web.url(path), expect={"json_age": {"message.last_updated": "6h"}}))


CASES = {
    "endpoint-timestamp-missing": (answer("/fresh-key-gone"), Status.ERROR, "JSON key message.last_updated is missing"),
    "endpoint-data-stale": (answer("/stale"), Status.FAILED, "72h old; limit 6h"),
    "endpoint-no-json": (answer("/not-json"), Status.FAILED, "body is not JSON"),
    "tls-no-answer": (lambda _: certificate(item(Tls, host=LOOPBACK, port=free_port())), Status.ERROR, "refused"),
    "smtp-no-answer": (lambda _: handshake(item(Smtp, host=LOOPBACK, port=free_port())), Status.ERROR, "refused"),
    "database-no-answer": (lambda _: connect(item(Database, url=f"postgresql+psycopg://u@{LOOPBACK}:{free_port()}/x")),
                           Status.ERROR, "refused"),
    "cache-unreadable-kind": (lambda _: ping(item(Cache, url="memcached://127.0.0.1:11211")), Status.ERROR,
                              "cannot read"),
}


@pytest.mark.parametrize("case", CASES)
def test_missing_or_stale_evidence_is_never_a_pass(case: str) -> None:
    check, status, said = CASES[case]
    with HttpServer(ANSWERS) as web:
        result = check(web)
    assert result.status is status, result.reason
    assert said in result.reason


def test_tls_versions_this_client_cannot_offer_are_an_error(tls_sites: TlsSites, tmp_path: Path) -> None:
    conf = tmp_path / "openssl.cnf"
    conf.write_text("openssl_conf = c\n[c]\nssl_conf = s\n[s]\nsystem_default = d\n[d]\nProtocol = -TLSv1, -TLSv1.1\n")
    assert _protocols_under(conf, tls_sites.old_protocols).startswith("error: cannot judge the minimum TLSv1.2")
