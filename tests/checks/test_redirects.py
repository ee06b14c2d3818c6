"""Redirects are followed by hand: credentials never reach another origin, downgrades and odd schemes fail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from opsverify.checks.http import latency_sla, response
from opsverify.result import Status
from opsverify.spec import load
from opsverify.spec.models.health import Endpoint
from tests.support.http_server import HttpServer, Reply
from tests.support.items import item
from tests.support.tls_server import Pki, server_context

OTHER_HOST = "127.0.0.2"
CREDENTIALS = {"Authorization": "Bearer rd-bearer-7731", "X-Api-Key": "rd-apikey-7732",
               "X-Health-Token": "rd-health-7733", "Cookie": "sid=rd-cookie-7734", "X-Shop-Pass": "rd-redacted-7735"}


@pytest.fixture
def elsewhere() -> Iterator[HttpServer]:
    """A server on 127.0.0.2 that records what it is sent."""
    with HttpServer({"/landing": Reply(200, "landed")}, host=OTHER_HOST) as server:
        yield server


def _endpoint(tmp_path: Path, url: str) -> Endpoint:
    """An endpoint sending every kind of credential header (X-Shop-Pass through `redact`), loaded as a user's file."""
    headers = "\n".join(f"      {name}: \"{value}\"" for name, value in {**CREDENTIALS, "X-Trace": "plain-42"}.items())
    env = tmp_path / "env.yml"
    env.write_text(f"environment: redirects\nredact: [X-Shop-Pass]\nendpoints:\n  - name: r\n    url: {url}\n"
                   f"    timeout: 2s\n    headers:\n{headers}\n")
    return load(env).endpoints[0]


def test_a_redirect_to_another_host_carries_no_credential(tmp_path: Path, elsewhere: HttpServer) -> None:
    origin = HttpServer({"/go": Reply(302, headers={"Location": elsewhere.url("/landing"),
                                                   "Set-Cookie": "session=rd-setcookie-7736; Path=/"})})
    with origin:
        start = origin.url("/go")
        result = response(_endpoint(tmp_path, start))
    assert result.status is Status.PASSED, result.reason
    assert result.reason.startswith(f"GET {start} answered 200 after redirect to {elsewhere.url('/landing')}")
    assert result.evidence["redirects"] == [f"302 {start}"]
    (received,) = elsewhere.requests
    assert received.headers.get("X-Trace") == "plain-42"  # the request did arrive, with its plain headers
    sent = " ".join(f"{k}: {v}" for k, v in received.headers.items())
    assert "rd-" not in sent, f"a credential reached {OTHER_HOST}: {sent}"  # every secret here starts with rd-
    assert origin.requests[0].headers["X-Api-Key"] == "rd-apikey-7732"  # the origin itself got them


def test_a_redirect_on_the_same_origin_keeps_the_credentials(web: HttpServer) -> None:
    web.routes["/to-private"] = Reply(302, headers={"Location": "/private"})
    result = response(item(Endpoint, url=web.url("/to-private"), headers={"Authorization": "Bearer s3cret-token-42"}))
    assert result.status is Status.PASSED, result.reason
    assert web.requests[-1].headers["Authorization"] == "Bearer s3cret-token-42"


def test_a_redirect_from_https_to_http_fails(pki: Pki, web: HttpServer) -> None:
    secure = HttpServer({"/": Reply(301, headers={"Location": web.url("/health")})},
                        tls=server_context(pki.issue("downgrade")))
    with secure:
        before = len(web.requests)
        result = response(item(Endpoint, url=secure.url("/"), ca_file=str(pki.ca_file)))
        sampled = latency_sla(item(Endpoint, url=secure.url("/"), ca_file=str(pki.ca_file), sla={"samples": 3}))
    assert (result.status, result.reason) == (Status.FAILED,
                                              f"redirect from https to http refused ({web.url('/health')})")
    assert (sampled.status, sampled.reason) == (result.status, result.reason)
    assert len(web.requests) == before  # never asked


def test_a_redirect_to_another_scheme_fails(web: HttpServer) -> None:
    web.routes["/to-file"] = Reply(302, headers={"Location": "file:///etc/passwd"})
    result = response(item(Endpoint, url=web.url("/to-file")))
    assert (result.status, result.reason) == (
        Status.FAILED, "redirect to file:///etc/passwd refused: only http and https are followed")


def test_a_redirect_loop_is_an_error_after_ten_hops(web: HttpServer) -> None:
    web.routes["/loop"] = Reply(302, headers={"Location": "/loop"})
    result = response(item(Endpoint, url=web.url("/loop")))
    assert (result.status, result.reason) == (Status.ERROR, f"more than 10 redirects (the last to {web.url('/loop')})")
