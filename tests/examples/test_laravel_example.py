"""The Laravel example's monitoring items against a real Prometheus and real HTTP servers: alert rules that drifted
from the runbook, a slow statement digest, a slow route, unused indexes, an APM agent that stopped reporting and
Sentry alert rules that notify nobody fail."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from opsverify.checks.http import response
from opsverify.checks.metrics import value
from opsverify.context import RunContext
from opsverify.result import Status
from tests.examples.helpers import example, moved, named
from tests.metrics.prometheus import PrometheusServer
from tests.support.fixtures import require
from tests.support.http_server import HttpServer, Reply

LARAVEL = example("laravel-mysql")
RULES = """groups:
  - name: host-alerts
    rules:
      - alert: InstanceDown
        expr: up{job="node"} == 0
        for: 1m
      - alert: HostCpuAbove80
        expr: 100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))) > 80
        for: 5m
      - alert: HostMemoryAbove85
        expr: 100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes) > 85
        for: 5m
      - alert: HostDiskBelow10PercentFree
        expr: 100 * node_filesystem_avail_bytes{fstype!~"tmpfs|overlay|squashfs"} / node_filesystem_size_bytes{fstype!~"tmpfs|overlay|squashfs"} < 10
        for: 10m
"""
DRIFTED = RULES.replace("[5m]))) > 80", "[5m]))) > 90").replace(
    "MemTotal_bytes) > 85\n        for: 5m", "MemTotal_bytes) > 85\n        for: 1m").split(
    "      - alert: HostDiskBelow10PercentFree")[0]
ALERTS = ("alert-rule-cpu", "alert-rule-memory", "alert-rule-disk", "alert-rule-unreachable")
START = time.time()


def rules_server(rules: str) -> PrometheusServer:
    """A started Prometheus with these rules, once each has been evaluated."""
    require(PrometheusServer.unavailable())
    server = PrometheusServer(rules=rules).start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        groups = requests.get(f"{server.url}/api/v1/rules", timeout=5).json()["data"]["groups"]
        if all(rule["health"] == "ok" for group in groups for rule in group["rules"]):
            return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError("Prometheus did not evaluate its rules within 30s")


def alert_rules(rules: str) -> dict[str, Any]:
    """The example's alert-rule endpoints, asked of a Prometheus holding these rules."""
    server = rules_server(rules)
    try:
        return {name: response(moved(named(LARAVEL.endpoints, name), f"{server.url}/api/v1/rules?type=alert"))
                for name in ALERTS}
    finally:
        server.stop()


def test_the_runbooks_alert_rules_as_deployed_pass() -> None:
    results = alert_rules(RULES)
    assert {name: r.status for name, r in results.items()} == dict.fromkeys(ALERTS, Status.PASSED), \
        [r.reason for r in results.values()]


def test_alert_rules_that_drifted_from_the_runbook_fail_naming_what_changed() -> None:
    results = alert_rules(DRIFTED)
    cpu, memory, disk, down = (results[name] for name in ALERTS)
    assert cpu.status is Status.FAILED
    assert cpu.reason == ("JSON key data.groups.*.rules.name=HostCpuAbove80.query is '…de=\"idle\"}[5m]))) > 90'; "
                          "expected '…de=\"idle\"}[5m]))) > 80'")
    assert memory.status is Status.FAILED
    assert memory.reason.endswith("JSON key data.groups.*.rules.name=HostMemoryAbove85.duration is 60; expected 300")
    assert disk.status is Status.FAILED
    assert "JSON key data.groups.*.rules.name=HostDiskBelow10PercentFree.query is missing" in disk.reason
    assert down.status is Status.PASSED, down.reason


def exposition() -> str:
    """mysqld and nginx exporter counters that grow with time: two digests (one averaging 2.5 s), two routes (one
    answering in 2.5-5 s), eight indexes of which six were not used."""
    t = time.time() - START + 1
    lines = []
    for digest, calls, mean in (("fast", 10, 0.002), ("slow", 10, 2.5), ("rare", 0.1, 40)):
        labels = f'schema="printing_marketplace",digest="{digest}",digest_text="SELECT {digest}"'
        lines += [f"mysql_perf_schema_events_statements_total{{{labels}}} {calls * t}",
                  f"mysql_perf_schema_events_statements_seconds_total{{{labels}}} {calls * mean * t}"]
    for path, bucket in (("/services", "0.25"), ("/checkout", "5")):
        for le in ("0.25", "0.5", "1", "2.5", "5", "+Inf"):
            count = 20 * t if float(le) >= float(bucket) else 0
            lines.append(f'nginx_http_response_time_seconds_hist_bucket{{path="{path}",le="{le}"}} {count}')
    for n in range(8):
        used = n < 2
        for operation in ("fetch", "insert"):
            lines.append(f'mysql_perf_schema_index_io_waits_total{{schema="printing_marketplace",name="orders",'
                         f'index="idx_{n}",operation="{operation}"}} {5 * t if used else 7}')
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def scraped() -> Iterator[PrometheusServer]:
    """A Prometheus scraping the exporter counters above every second, once it holds a few scrapes."""
    require(PrometheusServer.unavailable())
    with HttpServer({"/metrics": lambda _request: Reply(200, exposition())}) as exporter:
        with PrometheusServer(exporters=(exporter.base_url.split("//", 1)[1],)) as server:
            time.sleep(4)
            yield server


def promql(server: PrometheusServer, name: str) -> Any:
    """The example's PromQL metric, asked of this Prometheus."""
    context = RunContext(LARAVEL, server.folder or server.url, None, dt.datetime.now(dt.timezone.utc))
    return value(moved(named(LARAVEL.metrics, name), server.url), context=context)


def test_a_statement_digest_averaging_over_a_second_fails_query_execution_time(scraped: PrometheusServer) -> None:
    result = promql(scraped, "slowest-statement-avg-24h")
    assert (result.status, result.reason) == (Status.FAILED, "slowest-statement-avg-24h is 2.5; over its maximum 1")


def test_one_slow_route_among_fast_ones_fails_the_slowest_route(scraped: PrometheusServer) -> None:
    result = promql(scraped, "slowest-route-p95-24h")
    assert (result.status, result.reason) == (Status.FAILED, "slowest-route-p95-24h is 4.875; over its maximum 3")


def test_indexes_no_query_used_fail_index_optimisation(scraped: PrometheusServer) -> None:
    result = promql(scraped, "unused-indexes-30d")
    assert (result.status, result.reason) == (Status.FAILED, "unused-indexes-30d is 6; over its maximum 5")


def test_an_apm_agent_that_stopped_reporting_fails() -> None:
    state: dict[str, Any] = {"id": 123456789, "name": "printing-marketplace", "reporting": True,
                             "last_reported_at": f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%dT%H:%M:%S+00:00}"}
    apm = named(LARAVEL.endpoints, "newrelic-apm")
    with HttpServer({"/v2/applications/123456789.json": lambda _r: Reply(200, {"application": dict(state)})}) as nr:
        item = moved(apm, nr.url("/v2/applications/123456789.json"))
        reporting = response(item)
        state["last_reported_at"] = "2026-12-01T03:00:00+00:00"
        silent = response(item)
        state["reporting"] = False
        stopped = response(item)
    assert reporting.status is Status.PASSED, reporting.reason
    assert silent.status is Status.FAILED
    assert silent.reason.startswith("JSON key application.last_reported_at is 2026-12-01 03:00:00Z, ")
    assert silent.reason.endswith("old; limit 15m")
    assert stopped.status is Status.FAILED
    assert "JSON key application.reporting is False; expected True" in stopped.reason


def test_sentry_alert_rules_that_notify_nobody_fail_and_none_active_is_an_error() -> None:
    rules: list[dict[str, Any]] = [
        {"id": "1", "name": "Every new issue", "status": "disabled", "actions": [{"id": "mail"}]},
        {"id": "2", "name": "Checkout errors", "status": "active", "actions": []}]
    metric = named(LARAVEL.metrics, "sentry-alert-rules")
    with HttpServer({"/api/0/projects/printing-marketplace/laravel/rules/": lambda _r: Reply(200, list(rules))}) as s:
        item = moved(metric, s.url("/api/0/projects/printing-marketplace/laravel/rules/"))
        silent = value(item)
        rules[1]["actions"] = [{"id": "sentry.mail.actions.NotifyEmailAction"}]
        notifying = value(item)
        del rules[1]
        none_active = value(item)
    assert (silent.status, silent.reason) == (Status.FAILED, "sentry-alert-rules is 0; under its minimum 1")
    assert notifying.status is Status.PASSED, notifying.reason
    assert none_active.status is Status.ERROR
    assert none_active.reason.endswith("has no status=active.actions")
