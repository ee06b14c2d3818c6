"""Metrics read from a JSON API (a Frappe whitelisted method, a health endpoint) against a real HTTP server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from opsverify.result import Status
from tests.metrics.test_metrics import run
from tests.support.http_server import HttpServer, Reply
from tests.support.net import free_port

TOKEN = "token canary-key:canary-secret-7f3a"


def _compliance(request) -> Reply:
    """Frappe's reply shape (`message`), only for the right Authorization header."""
    if request.headers.get("Authorization") != TOKEN:
        return Reply(403, {"exc_type": "PermissionError"})
    return Reply(200, {"message": {"score": 72.5, "checks": [{"value": 3}], "ok": True}})


@pytest.fixture
def api() -> Iterator[HttpServer]:
    """An API with a compliance score behind a token, a non-JSON page and a failing method."""
    with HttpServer({"/api/method/compliance": _compliance, "/text": Reply(200, "hello"),
                     "/broken": Reply(500, {"exc": "Traceback"}),
                     "/issues/": Reply(200, [{"id": "41"}, {"id": "42"}]), "/rules/": Reply(200, [])}) as server:
        yield server


def metric(server: HttpServer, path: str, json_path: str, bounds: str) -> str:
    """One metric entry (named after its json_path) reading `json_path` from `path` with the token header."""
    return (f"{{name: {json_path}, http: '{server.url(path)}', json_path: {json_path}, "
            f"headers: {{Authorization: '{TOKEN}'}}, timeout: 2s, {bounds}}}")


def test_a_number_in_a_json_answer_is_graded(api: HttpServer) -> None:
    _, (low, fine, nested, listed) = run("environment: t\nmetrics:\n" + "".join(f"  - {m}\n" for m in (
        metric(api, "/api/method/compliance", "message.score", "min: 80"),
        metric(api, "/api/method/compliance", "message.score", "min: 70, warn_min: 60").replace("name: message.score",
                                                                                          "name: soft"),
        metric(api, "/api/method/compliance", "message.checks.0.value", "max: 2"),
        metric(api, "/api/method/compliance", "message.checks", "max: 0"))))
    assert (low.status, low.reason) == (Status.FAILED, "message.score is 72.5; under its minimum 80")
    assert low.evidence == {"source": "JSON message.score", "value": 72.5}
    assert (fine.status, fine.reason) == (Status.PASSED, "soft is 72.5; min 70")
    assert (nested.status, nested.reason) == (Status.FAILED, "message.checks.0.value is 3; over its maximum 2")
    assert (listed.status, listed.reason) == (Status.FAILED, "message.checks is 1; over its maximum 0")
    assert listed.evidence == {"source": "JSON message.checks (entries counted)", "value": 1}
    assert TOKEN in api.requests[0].headers["Authorization"]


def test_json_path_dot_counts_a_top_level_list(api: HttpServer) -> None:
    _, (issues, rules, fine) = run("environment: t\nmetrics:\n" + "".join(
        f"  - {{name: {name}, http: '{api.url(path)}?query=is:unresolved', json_path: ., timeout: 2s, {bounds}}}\n"
        for name, path, bounds in (("new-issues", "/issues/", "max: 0"), ("alert-rules", "/rules/", "min: 1"),
                                   ("open-issues", "/issues/", "max: 5"))))
    assert (issues.status, issues.reason) == (Status.FAILED, "new-issues is 2; over its maximum 0")
    assert issues.evidence == {"source": "JSON top level (entries counted)", "value": 2}
    assert (rules.status, rules.reason) == (Status.FAILED, "alert-rules is 0; under its minimum 1")
    assert (fine.status, fine.reason) == (Status.PASSED, "open-issues is 2; max 5")


def test_what_is_not_a_number_in_json_is_an_error(api: HttpServer) -> None:
    _, results = run("environment: t\nmetrics:\n" + "".join(f"  - {m}\n" for m in (
        metric(api, "/api/method/compliance", "message.missing", "min: 1"),
        metric(api, "/api/method/compliance", "message.ok", "min: 1"),
        metric(api, "/text", "score", "min: 1"),
        metric(api, "/broken", "score", "min: 1").replace("name: score", "name: broken"))))
    assert [r.status for r in results] == [Status.ERROR] * 4
    assert [r.reason for r in results] == [
        f"the answer of {api.url('/api/method/compliance')} has no message.missing",
        f"message.ok in the answer of {api.url('/api/method/compliance')} is True, not a number",
        f"{api.url('/text')} answered HTTP 200 without JSON",
        f"{api.url('/broken')} answered HTTP 500"]


def test_an_unreachable_api_is_an_error_and_the_token_stays_secret() -> None:
    closed = f"http://127.0.0.1:{free_port()}/api/method/compliance"
    _, (result,) = run(f"environment: t\nmetrics:\n  - {{name: score, http: '{closed}', json_path: message.score, "
                       f"headers: {{Authorization: '{TOKEN}'}}, timeout: 2s, min: 80}}\n")
    assert result.status is Status.ERROR
    assert "refused" in result.reason
    assert "canary" not in result.reason + str(result.evidence)


def test_one_source_only() -> None:
    from opsverify.spec import SpecError, loads
    with pytest.raises(SpecError, match="give one source: database \\+ sql, prometheus \\+ query, "
                                        "http \\+ json_path, or cloudwatch"):
        loads("environment: t\nmetrics:\n  - {name: s, http: 'http://x/', json_path: a, "
              "prometheus: 'http://p:9090', query: up, min: 1}\n")
    with pytest.raises(SpecError, match="give both http and json_path"):
        loads("environment: t\nmetrics:\n  - {name: s, http: 'http://x/', min: 1}\n")
