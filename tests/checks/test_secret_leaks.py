"""Checks against real servers that reflect what they receive (HTTP, SMTP), a real PostgreSQL and real log files:
no secret shows, however it comes back: trimmed, cut, normalised, percent- or base64-encoded, or in a password
SQLAlchemy reads with a `/` or `#`."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsverify.checks.database import connect
from opsverify.checks.http import EXCERPT, response
from opsverify.checks.logs import repeats
from opsverify.checks.metrics import value
from opsverify.checks.smtp import handshake
from opsverify.result import Result, Status
from opsverify.spec import loads
from opsverify.spec.models.health import Database, Endpoint, Smtp
from opsverify.spec.secret import Secret
from tests.logs.helpers import log_entry, write_log
from tests.support.http_server import HttpServer, Reply, Request, reflected
from tests.support.items import item
from tests.support.net import LOOPBACK
from tests.support.pg_cluster import PgCluster
from tests.support.smtp_server import SmtpServer
from tests.support.tls_server import Pki, server_context

pytestmark = pytest.mark.filterwarnings("ignore:Session.login_data is deprecated")  # inside aiosmtpd


def _route(request: Request) -> Reply:
    """`/json...`: 200 with the request in a JSON field; `/padded/N...`: 500 with N characters, then the request."""
    if request.path.startswith("/json"):
        return Reply(200, {"status": reflected(request)})
    if request.path.startswith("/padded/"):
        return Reply(500, "x" * int(request.path.split("/")[2].split("?")[0]) + reflected(request))
    return Reply(500, reflected(request))


@pytest.fixture(scope="module")
def reflector() -> Iterator[HttpServer]:
    """A server that answers with what it was sent."""
    with HttpServer(fallback=_route) as server:
        yield server


def check(url: str, **fields: Any) -> Result:
    """The response check of an Endpoint item."""
    return response(item(Endpoint, url=url, **fields))


def shown(result: Result) -> str:
    """Everything the result would print."""
    return f"{result.reason} {json.dumps(result.evidence)}"


def test_a_token_read_with_its_trailing_newline_is_sent_trimmed_and_never_shown(reflector: HttpServer) -> None:
    result = check(reflector.url("/h"), headers={"Authorization": "Bearer CANARYNEWLINE09\n", "X-Api-Key": "CANARYKEY10\n"})
    assert result.status is Status.FAILED and "answered 500" in result.reason, result.reason  # sent: no refusal
    assert reflector.requests[-1].headers["Authorization"] == "Bearer CANARYNEWLINE09"
    assert "CANARY" not in shown(result)
    assert "Authorization: ***\nX-Api-Key: ***\n" in result.evidence["body"]


def test_a_reflected_secret_in_a_compared_json_value_is_masked_before_the_cut(reflector: HttpServer) -> None:
    path = "/json?pad=" + "x" * 22  # the token starts at character 70 of the value's repr: across the 80 cut
    result = check(reflector.url(path), headers={"Authorization": "Bearer CANARYJSONAUTH28"},
                   expect={"json": {"status": "ok"}})
    assert result.status is Status.FAILED
    assert f"JSON key status is 'GET {path} HTTP/1.1\\nAuthorization: ***\\n" in result.reason, result.reason
    assert "CANARY" not in shown(result)


@pytest.mark.parametrize("pad", range(EXCERPT - 60, EXCERPT + 1, 7))
def test_the_body_excerpt_is_masked_before_the_cut(reflector: HttpServer, pad: int) -> None:
    result = check(reflector.url(f"/padded/{pad}"), headers={"Authorization": "Bearer CANARYEXCERPT29"})
    assert len(result.evidence["body"]) <= EXCERPT
    assert "CANARY" not in shown(result), result.evidence["body"][-40:]


def test_basic_auth_from_the_url_is_masked_in_its_base64_form(reflector: HttpServer) -> None:
    url = reflector.url("/basic").replace("://", "://canaryuser:CANARYBASICPW04@")
    result = check(url)
    sent = base64.b64encode(b"canaryuser:CANARYBASICPW04").decode()
    assert reflector.requests[-1].headers["Authorization"] == f"Basic {sent}"
    assert "Authorization: Basic ***=\n" in result.evidence["body"]
    assert sent[:-1] not in shown(result) and "CANARY" not in shown(result)
    assert f"canaryuser:***@127.0.0.1:{reflector.port}/basic" in result.reason


def test_a_query_token_reflected_percent_encoded_is_masked(reflector: HttpServer) -> None:
    result = check(reflector.url('/q?token=CANARY"QUOTE12&jwt=CANARYJWT07&code=CANARYCODE08'))
    assert reflector.requests[-1].path == "/q?token=CANARY%22QUOTE12&jwt=CANARYJWT07&code=CANARYCODE08"
    assert result.reason.startswith(f"GET {reflector.url('/q?token=***&jwt=***&code=***')} answered 500")
    assert result.evidence["body"].startswith("GET /q?token=***&jwt=***&code=*** HTTP/1.1\n")
    assert "CANARY" not in shown(result)


@pytest.mark.parametrize("password", ["CANARY/PGSLASH14", "CANARY#PGHASH15"])
def test_a_database_password_with_a_slash_or_hash_is_masked_when_the_check_passes(pg_cluster: PgCluster,
                                                                                  password: str) -> None:
    result = connect(item(Database, url=f"postgresql+psycopg://postgres:{password}@{LOOPBACK}:{pg_cluster.port}/postgres"))
    assert result.status is Status.PASSED, result.reason  # trust login: the password is not checked
    assert result.reason.startswith(f"connected to postgresql+psycopg://postgres:***@{LOOPBACK}:{pg_cluster.port}/postgres")
    assert "CANARY" not in shown(result) and "PG" not in result.reason


def test_a_relay_that_echoes_auth_never_shows_the_login_in_any_encoding(pki: Pki) -> None:
    with SmtpServer(starttls=server_context(pki.issue("echo")), echo_auth=True) as relay:
        result = handshake(item(Smtp, host=LOOPBACK, port=relay.port, ca_file=str(pki.ca_file),
                                login={"user": "CANARYUSER18@example.com", "password": "CANARYSMTPPASS19"}))
    assert result.status is Status.FAILED
    assert result.reason == ("AUTH rejected for user ***: 535 5.7.8 AUTH PLAIN *** / *** (***); "  # base64 of NUL user NUL password
                             "AUTH LOGIN *** / *** (*** ***==) rejected"), result.reason  # base64 of each


def test_a_redact_listed_header_of_an_http_metric_is_masked_when_reflected(reflector: HttpServer) -> None:
    env = loads(f"""environment: x
redact: [X-Custom-Canary]
metrics: [{{name: m, http: "{reflector.url('/json')}", json_path: status, max: 1, timeout: 2s,
           headers: {{X-Custom-Canary: CANARYMETRIC16}}}}]
""")
    result = value(env.metrics[0])
    assert result.status is Status.ERROR
    assert result.reason == "the query of m returned 'GET /json HTTP/1.1\\nX-Custom-Canary: ***…', not a number"


def test_a_known_secret_in_a_repeated_log_message_is_masked_before_numbers_are_normalised(tmp_path: Path) -> None:
    Secret("Bearer CANARYLOG7a9b3c1d")
    line = "ERROR: upstream 401 for Authorization: Bearer CANARYLOG7a9b3c1d " + "x" * 180  # past the kept 200
    path = write_log(tmp_path / "app.log", [(60 + i, line) for i in range(6)])
    result = repeats(log_entry(path, max_repeats=5))
    assert result.status is Status.FAILED
    assert result.reason.endswith(': "production.ERROR: upstream # for Authorization: *** ' + "x" * 47 + '…"'), result.reason
    assert "CANARY" not in shown(result) and "LOG#a#b#c#d" not in shown(result)
