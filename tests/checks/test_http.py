"""HTTP checks against a real stdlib server: status, body, JSON, time, redirects, TLS, latency SLA."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

from opsverify.checks.http import latency_sla, response
from opsverify.result import Status
from opsverify.spec.models.health import Endpoint
from tests.support.fixtures import TlsSites
from tests.support.http_server import HttpServer, Reply
from tests.support.items import item
from tests.support.net import LOOPBACK, free_port
from tests.support.tls_server import Pki


def endpoint(url: str, **fields: Any) -> Endpoint:
    """An Endpoint item for url."""
    return item(Endpoint, url=url, **fields)


def test_a_healthy_endpoint_passes_with_evidence(web: HttpServer) -> None:
    result = response(endpoint(web.url("/health"), expect={"json": {"status": "ok", "checks.db": "up"},
                                                           "contains": '"status": "ok"', "max_time": "2s"}))
    assert result.status is Status.PASSED, result.reason
    assert result.reason.startswith(f"GET {web.url('/health')} answered 200 | response time is ")
    assert result.evidence["status"] == 200
    assert result.evidence["elapsed_ms"] > 0
    assert result.evidence["headers"]["Content-Type"] == "application/json"
    assert "body" not in result.evidence


def test_a_503_fails_with_the_status_and_a_body_excerpt(web: HttpServer) -> None:
    result = response(endpoint(web.url("/down")))
    assert result.status is Status.FAILED
    assert result.reason == f"GET {web.url('/down')} answered 503; expected 200-399"
    assert result.evidence["body"] == '{"status": "down"}'


def test_an_explicit_status_list_is_named_in_the_reason(web: HttpServer) -> None:
    result = response(endpoint(web.url("/health"), expect={"status": [201, 204]}))
    assert result.reason == f"GET {web.url('/health')} answered 200; expected 201 or 204"


def test_degraded_json_names_the_key_and_both_values(web: HttpServer) -> None:
    for expected in ({"checks.db": "up"}, {"checks": {"db": "up"}}):
        result = response(endpoint(web.url("/degraded"), expect={"json": expected}))
        assert result.status is Status.FAILED
        assert result.reason == "JSON key checks.db is 'down'; expected 'up'"


def test_a_missing_json_key_and_a_missing_substring_are_both_reported(web: HttpServer) -> None:
    result = response(endpoint(web.url("/health"), expect={"json": {"checks.queue": "up"},
                                                           "contains": '"status":"ok"'}))
    assert result.reason == "body does not contain '\"status\":\"ok\"' | JSON key checks.queue is missing"


def test_a_body_that_is_not_json_fails_a_json_expectation(web: HttpServer) -> None:
    result = response(endpoint(web.url("/text"), expect={"json": {"status": "ok"}}))
    assert result.reason == "body is not JSON; expected keys status"
    assert result.evidence["body"] == "hello, world"


def test_a_slow_answer_fails_max_time_and_warns_past_warn_max_time(web: HttpServer) -> None:
    slow = response(endpoint(web.url("/slow"), expect={"max_time": "200ms"}))
    assert slow.status is Status.FAILED
    assert re.fullmatch(r"response time is [\d.]+m?s; limit 200ms", slow.reason), slow.reason
    assert slow.value >= 0.3
    assert slow.limit == "200ms"
    warned = response(endpoint(web.url("/slow"), expect={"max_time": "2s", "warn_max_time": "200ms"}))
    assert warned.status is Status.WARNING
    assert re.search(r"response time is [\d.]+m?s; warning level 200ms$", warned.reason), warned.reason


def test_a_hanging_server_is_an_error_within_the_timeout(hanging_port: int) -> None:
    start = time.monotonic()
    result = response(endpoint(f"http://{LOOPBACK}:{hanging_port}/health", timeout="1s"))
    assert time.monotonic() - start < 2
    assert result.status is Status.ERROR
    assert result.reason == "no answer within 1s"


def test_a_closed_port_is_an_error_naming_host_and_port() -> None:
    port = free_port()
    result = response(endpoint(f"http://{LOOPBACK}:{port}/health"))
    assert result.status is Status.ERROR
    assert result.reason == f"connection refused on {LOOPBACK}:{port}"


def test_a_redirect_is_followed_and_said(web: HttpServer) -> None:
    result = response(endpoint(web.url("/moved")))
    assert result.status is Status.PASSED
    assert f"answered 200 after redirect to {web.url('/health')}" in result.reason
    assert result.evidence["redirects"] == [f"302 {web.url('/moved')}"]
    assert result.evidence["final_url"] == web.url("/health")


def test_cookie_values_are_masked_in_the_evidence(web: HttpServer) -> None:
    result = response(endpoint(web.url("/login")))
    assert result.evidence["headers"]["Set-Cookie"] == "***"


def test_headers_are_sent_revealed_and_never_shown(web: HttpServer) -> None:
    good = response(endpoint(web.url("/private"), headers={"Authorization": "Bearer s3cret-token-42"}))
    assert good.status is Status.PASSED
    bad = response(endpoint(web.url("/private"), headers={"Authorization": "Bearer wr0ng-token-17"}))
    assert bad.status is Status.FAILED
    assert bad.evidence["body"] == "bad token ***"  # the server echoed the header; scrubbed
    assert "wr0ng-token-17" not in repr(bad)


def test_plain_headers_are_sent_as_written_and_stay_readable(web: HttpServer) -> None:
    result = response(endpoint(web.url("/health"), headers={"Accept": "application/json", "X-Request-Source": "opsverify"}))
    assert result.status is Status.PASSED, result.reason
    sent = web.requests[-1].headers
    assert sent["Accept"] == "application/json" and sent["X-Request-Source"] == "opsverify"
    assert result.evidence["headers"]["Content-Type"] == "application/json"  # not scrubbed as a secret


def test_https_with_the_ca_file_passes_and_without_is_an_error(tls_sites: TlsSites, pki: Pki) -> None:
    url = tls_sites.valid.url("/health")
    assert response(endpoint(url, ca_file=str(pki.ca_file))).status is Status.PASSED
    untrusted = response(endpoint(tls_sites.self_signed.url("/health")))
    assert untrusted.status is Status.ERROR
    assert untrusted.reason == "certificate verify failed: self-signed certificate"


def test_latency_sla_passes_on_one_keep_alive_connection(web: HttpServer) -> None:
    before = len(web.requests)
    result = latency_sla(endpoint(web.url("/health"), sla={"samples": 20, "p95": "500ms", "p99": "1s",
                                                          "max_error_rate": "1%"}))
    assert result.status is Status.PASSED, result.reason
    assert re.fullmatch(r"p95 latency is [\d.]+ms; limit 500ms \| p99 latency is [\d.]+ms; limit 1s \| "
                        r"error rate \(0 of 20\) is 0%; limit 1%", result.reason), result.reason
    evidence = result.evidence
    assert evidence["samples"] == 20 and evidence["errors"] == 0
    spread = [evidence[key] for key in ("min_ms", "median_ms", "p95_ms", "p99_ms", "max_ms")]
    assert spread == sorted(spread)
    assert len({r.client for r in web.requests[before:]}) == 1


def test_latency_sla_fails_p95_and_warns_on_warn_p95(web: HttpServer) -> None:
    failed = latency_sla(endpoint(web.url("/bit-slow"), sla={"samples": 5, "p95": "5ms"}))
    assert failed.status is Status.FAILED
    assert re.fullmatch(r"p95 latency is [\d.]+m?s; limit 5ms", failed.reason), failed.reason
    warned = latency_sla(endpoint(web.url("/bit-slow"), sla={"samples": 5, "p95": "1s", "warn_p95": "5ms"}))
    assert warned.status is Status.WARNING
    assert re.fullmatch(r"p95 latency is [\d.]+m?s; warning level 5ms", warned.reason), warned.reason


def test_latency_sla_fails_on_the_error_rate_and_keeps_the_first_error(web: HttpServer) -> None:
    result = latency_sla(endpoint(web.url("/flaky"), sla={"samples": 10, "max_error_rate": "10%"}))
    assert result.status is Status.FAILED
    assert result.reason == "error rate (2 of 4) is 50%; limit 10%"
    assert result.evidence["first_error"] == "answered 500; expected 200-399"


def test_latency_sla_stops_sampling_once_the_limit_is_certain_to_fail(web: HttpServer) -> None:
    result = latency_sla(endpoint(web.url("/bit-slow"), sla={"samples": 20, "p95": "5ms"}))
    assert result.status is Status.FAILED
    assert result.evidence["samples"] == 2 and result.evidence["planned_samples"] == 20


def test_latency_sla_without_an_error_limit_fails_on_any_error(web: HttpServer) -> None:
    result = latency_sla(endpoint(web.url("/flaky"), sla={"samples": 2, "p95": "1s"}))
    assert result.reason == "error rate (1 of 2) is 50%; limit 0%"


def test_latency_sla_on_a_hanging_server_is_an_error_within_the_timeout(hanging_port: int) -> None:
    start = time.monotonic()
    result = latency_sla(endpoint(f"http://{LOOPBACK}:{hanging_port}/", timeout="1s", sla={"samples": 20}))
    assert time.monotonic() - start < 2
    assert (result.status, result.reason) == (Status.ERROR, "no answer within 1s")


def test_latency_sla_without_sla_is_skipped(web: HttpServer) -> None:
    result = latency_sla(endpoint(web.url("/health")))
    assert (result.status, result.reason) == (Status.SKIPPED, "no sla set")


def analytics(state: dict[str, Any]) -> HttpServer:
    """A Frappe-like analytics API answering {"message": {...}} with whatever `state` holds at the time."""
    return HttpServer({"/api/method/analytics": lambda _request: Reply(200, {"message": dict(state)})})


def test_json_age_passes_fresh_data_and_fails_data_older_than_its_limit() -> None:
    now = dt.datetime.now(dt.timezone.utc)
    state: dict[str, Any] = {"last_updated": f"{now - dt.timedelta(hours=1):%Y-%m-%d %H:%M:%S.%f}", "members": 412}
    with analytics(state) as server:
        item_ = endpoint(server.url("/api/method/analytics"), expect={"json_age": {"message.last_updated": "6h"}})
        fresh = response(item_)
        assert fresh.status is Status.PASSED, fresh.reason
        assert re.search(r"\| JSON key message.last_updated is \S+ \S+Z, (59m|60m|1h) old; limit 6h \|", fresh.reason), \
            fresh.reason
        stale = now - dt.timedelta(hours=8, minutes=2)
        state["last_updated"] = stale.isoformat()  # with its zone: +00:00
        old = response(item_)
    assert old.status is Status.FAILED
    assert old.reason == f"JSON key message.last_updated is {stale:%Y-%m-%d %H:%M:%S}Z, 8h old; limit 6h"


def test_json_age_on_an_unreadable_timestamp_fails_and_on_a_missing_one_is_an_error() -> None:
    state: dict[str, Any] = {"last_updated": "yesterday"}
    with analytics(state) as server:
        item_ = endpoint(server.url("/api/method/analytics"), expect={"json_age": {"message.last_updated": "6h"}})
        unreadable = response(item_)
        del state["last_updated"]
        missing = response(item_)
        state["last_updated"] = int(time.time() * 1000) - 3_600_000  # milliseconds since the epoch: 1h ago
        epoch = response(item_)
    assert (unreadable.status, unreadable.reason) == (Status.FAILED, "JSON key message.last_updated is 'yesterday', "
                                                      "not a timestamp: the age of the data cannot be judged")
    assert (missing.status, missing.reason) == (Status.ERROR, "JSON key message.last_updated is missing: the age "
                                                "of the data cannot be judged")
    assert epoch.status is Status.PASSED, epoch.reason


def test_a_list_entry_is_picked_by_one_of_its_values_or_as_any_entry_holding_the_key() -> None:
    rules = {"data": {"groups": [
        {"name": "db", "rules": [{"name": "SlowQueries", "duration": 600, "health": "ok"}]},
        {"name": "host", "rules": [{"name": "InstanceDown", "duration": 60, "health": "ok"},
                                   {"name": "HostCpuAbove80", "duration": 60, "health": "err"}]}]}}
    cpu = "data.groups.*.rules.name=HostCpuAbove80"
    with HttpServer({"/api/v1/rules": Reply(200, rules)}) as server:
        down = response(endpoint(server.url("/api/v1/rules"), expect={"json": {
            "data.groups.*.rules.name=InstanceDown.duration": 60, "data.groups.1.name": "host"}}))
        cpu_rule = response(endpoint(server.url("/api/v1/rules"), expect={"json": {
            f"{cpu}.duration": 300, f"{cpu}.health": "ok"}}))
        gone = response(endpoint(server.url("/api/v1/rules"), expect={"json": {
            "data.groups.*.rules.name=DiskAlmostFull.duration": 300}}))
    assert down.status is Status.PASSED, down.reason
    assert cpu_rule.status is Status.FAILED
    assert cpu_rule.reason == (f"JSON key {cpu}.duration is 60; expected 300 | JSON key {cpu}.health is 'err'; "
                               "expected 'ok'")
    assert gone.reason == "JSON key data.groups.*.rules.name=DiskAlmostFull.duration is missing"


def test_two_long_texts_are_shown_from_shortly_before_they_differ() -> None:
    query = "100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode=\"idle\"}[5m]))) > "
    with HttpServer({"/rules": Reply(200, {"query": query + "90"})}) as server:
        result = response(endpoint(server.url("/rules"), expect={"json": {"query": query + "80"}}))
    assert result.reason == "JSON key query is '…de=\"idle\"}[5m]))) > 90'; expected '…de=\"idle\"}[5m]))) > 80'"
