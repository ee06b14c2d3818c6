"""The rules of the sections beyond plain types: one form of two, schedules, modes, steps, waivers, ids."""

from __future__ import annotations

import datetime

import pytest

from opsverify.spec.models.notify import Waiver
from opsverify.spec.models.security import site_name
from tests.spec.helpers import at, ok, one


@pytest.mark.parametrize("metric, words", [
    ("{name: m, max: 1}", "give one source: database + sql, prometheus + query, http + json_path, or cloudwatch"),
    ("{name: m, database: main, sql: SELECT 1, prometheus: 'http://p:9090', query: up, max: 1}", "give one source"),
    ("{name: m, database: main, max: 1}", "give both database and sql"),
    ("{name: m, prometheus: 'http://p:9090', query: up}", "give a bound"),
])
def test_metric_has_exactly_one_form_and_a_bound(metric: str, words: str) -> None:
    """SQL or PromQL, never both or neither, and min and/or max."""
    head = "environment: x\ndatabases: [{name: main, url: 'sqlite://'}]\nmetrics:\n"
    at(one(f"{head}  - {metric}\n"), 4, "metrics[0]", words)


CLOUDWATCH = "{namespace: AWS/ApplicationELB, metric: HTTPCode_Target_5XX_Count, statistic: Sum, window: 24h"


def test_a_cloudwatch_metric_reads_with_the_aws_section() -> None:
    """namespace, metric, statistic and window (at least a minute); the `aws:` section gives region and keys."""
    env = ok(f"environment: x\naws: {{region: us-east-1}}\nmetrics:\n"
             f"  - {{name: alb-5xx, cloudwatch: {CLOUDWATCH}, dimensions: {{LoadBalancer: app/alb/1}}}}, max: 50}}\n")
    (metric,) = env.metrics
    assert (metric.kind, metric.cloudwatch.dimensions, str(metric.cloudwatch.window)) == (
        "cloudwatch", {"LoadBalancer": "app/alb/1"}, "24h")
    at(one(f"environment: x\nmetrics:\n  - {{name: m, cloudwatch: {CLOUDWATCH}}}, max: 1}}\n"), 3,
       "metrics[0].cloudwatch", "needs the `aws:` section")
    head = "environment: x\naws: {region: us-east-1}\nmetrics:\n"
    at(one(f"{head}  - {{name: m, cloudwatch: {CLOUDWATCH.replace('Sum', 'p99')}}}, max: 1}}\n"), 4,
       "metrics[0].cloudwatch.statistic", "SampleCount")
    at(one(f"{head}  - {{name: m, cloudwatch: {CLOUDWATCH.replace('24h', '30s')}}}, max: 1}}\n"), 4,
       "metrics[0].cloudwatch.window", "must be at least 1m")
    at(one(f"{head}  - {{name: m, cloudwatch: {CLOUDWATCH}}}, sql: SELECT 1, max: 1}}\n"), 4, "metrics[0]",
       "give one source")


@pytest.mark.parametrize("channel, words", [
    ("{name: n}", "either webhook, or email"),
    ("{name: n, webhook: 'https://h/x', email: a@example.com, smtp: relay}", "exactly one"),
    ("{name: n, email: not-an-address, smtp: relay}", "not an e-mail address"),
    ("{name: n, webhook: 'https://h/x', on: [failure, success]}", "must be one of failure, recovery"),
])
def test_notify_channels(channel: str, words: str) -> None:
    """A webhook, or an e-mail address with its relay."""
    head = "environment: x\nsmtp: [{name: relay, host: mail}]\nnotify:\n"
    assert words in one(f"{head}  - {channel}\n").message


def test_notify_defaults() -> None:
    """on: failure and recovery; every severity."""
    env = ok("environment: x\nnotify: [{name: n, webhook: 'https://h/x'}]\n")
    assert (env.notify[0].on, env.notify[0].min_severity) == (("failure", "recovery"), "P4")


@pytest.mark.parametrize("key, value, words", [
    ("daily", "9am", "write it like '09:00'"),
    ("daily", "25:00", "impossible time"),
    ("weekly", "mondy 08:00", "did you mean 'monday'?"),
    ("monthly", "monday 07:00", "write it like 'first monday 07:00'"),
    ("quarterly", "first monday of jan,apx 06:00", "'apx' is not a month"),
    ("maintenance_window", "sunday 02:00", "write it like 'sunday 02:00-04:00'"),
    ("maintenance_window", "sunday 02:00-02:00", "empty window"),
    ("timezone", "Europe/Amsterdm", "did you mean 'Europe/Amsterdam'?"),
])
def test_schedule_formats_are_checked_with_an_example(key: str, value: str, words: str) -> None:
    """Each schedule key has one format, shown when it is not followed."""
    at(one(f"environment: x\nschedule:\n  {key}: \"{value}\"\n"), 3, f"schedule.{key}", words)


def test_schedule_parses_and_keeps_the_text() -> None:
    """Abbreviations and a window across midnight are fine; the text is kept."""
    env = ok("environment: x\nschedule: {weekly: 'Fri 17:30', maintenance_window: 'saturday 23:00-03:00'}\n")
    weekly, window = env.schedule.weekly, env.schedule.maintenance_window
    assert (weekly.weekday, weekly.at, str(weekly)) == (4, datetime.time(17, 30), "Fri 17:30")
    assert (window.weekday, window.at, window.until) == (5, datetime.time(23), datetime.time(3))
    assert env.schedule.zone.key == "UTC"


@pytest.mark.parametrize("written, mode", [('"0640"', "0640"), ("0640", "0640"), ("640", "0640"), ('"0o600"', "0600")])
def test_file_modes_are_octal(written: str, mode: str) -> None:
    """However YAML reads it, a mode is octal text."""
    env = ok(f"environment: x\nhosts:\n  - name: h\n    files: [{{name: f, path: /f, mode: {written}}}]\n")
    assert env.hosts[0].files[0].mode == mode


def test_host_rules() -> None:
    """sshd true/false become yes/no; sockets and targets are checked; a log needs a limit."""
    env = ok("environment: x\nhosts: [{name: h, sshd: {PermitRootLogin: false}}]\n")
    assert (env.hosts[0].sshd, env.hosts[0].target) == ({"permitrootlogin": "no"}, "local://")
    assert "tcp://0.0.0.0:443" in one("environment: x\nhosts: [{name: h, listening: [':443']}]\n").message
    no_limit = "environment: x\nhosts: [{name: h, logs: [{name: l, path: /l, pattern: x}]}]\n"
    assert "give a limit" in one(no_limit).message


def test_host_containers_need_a_project_or_names() -> None:
    """`containers` defaults to the docker CLI; it names a compose project or containers; the engine is checked."""
    env = ok("environment: x\nhosts: [{name: h, containers: {project: shop, max_restarts: 3}}]\n")
    wanted = env.hosts[0].containers
    assert (wanted.engine, wanted.project, wanted.names, wanted.max_restarts) == ("docker", "shop", (), 3)
    assert "project, names, or both" in one("environment: x\nhosts: [{name: h, containers: {max_restarts: 3}}]\n").message
    assert "podman" in one("environment: x\nhosts: [{name: h, containers: {engine: lxc, names: [web]}}]\n").message


@pytest.mark.parametrize("step, words", [
    ("{get: /a, post: /b}", "exactly one of get, post"),
    ("{get: products}", "must start with /"),
    ("{get: '/p/{id}'}", "needs ids"),
    ("{get: /p, ids: [1]}", "needs ids"),
])
def test_journey_steps(step: str, words: str) -> None:
    """One request per step, with a path, and {id} exactly when ids are given."""
    text = f"""\
        environment: x
        loadtests:
          host: https://staging.example.com
          journeys: [{{name: j, steps: [{step}]}}]
          profiles: {{load: {{users: 10, duration: 1m}}}}
        """
    at(one(text), 4, "loadtests.journeys[0].steps[0]", words)


@pytest.mark.parametrize("profiles, words", [
    ("{}", "at least one of load, stress"),
    ("{spike: {base_users: 50, spike_users: 10, spike_duration: 1m, duration: 10m}}", "more than base_users"),
    ("{stress: {start_users: 100, step_users: 10, step_duration: 1m, max_users: 50}}", "below start_users"),
])
def test_load_profiles(profiles: str, words: str) -> None:
    """At least one profile, and each one sensible."""
    text = ("environment: x\nloadtests:\n  host: https://s.example.com\n"
            f"  journeys: [{{name: j, steps: [{{get: /}}]}}]\n  profiles: {profiles}\n")
    assert words in one(text).message


def test_security_keywords_or_lists_and_ids() -> None:
    """headers and exposed_paths are a keyword or a list; unnamed entries get ids from host and path."""
    env = ok("""\
        environment: x
        hosts: [{name: web1}]
        security:
          base_urls: [https://shop.example.com/]
          headers: [Strict-Transport-Security]
          dependency_audit: [{lockfile: /app/composer.lock, host: web1}, {lockfile: /app/poetry.lock}]
        compliance:
          documents: [{path: docs/runbook.md, max_age: 90d}]
          log_retention: [{path: /var/log/app, host: web1, min_days: 90}]
        """)
    assert (env.security.headers, env.security.exposed_paths) == (("Strict-Transport-Security",), "default")
    assert [a.name for a in env.security.dependency_audit] == ["web1:/app/composer.lock", "local:/app/poetry.lock"]
    assert (env.compliance.documents[0].name, env.compliance.log_retention[0].name) == \
        ("docs/runbook.md", "web1:/var/log/app")
    assert site_name("https://user@shop.example.com/eu/") == "shop.example.com/eu"
    assert "'recommended' or a list" in one("environment: x\nsecurity: {headers: all}\n").message


def test_waivers_match_test_ids_and_expire() -> None:
    """Exact ids with literal brackets, * and ? globs, full node ids; valid through the expiry date."""
    waiver = Waiver(check="test_security_headers[shop.example.com-*]", reason="r", approved_by="a",
                    expires=datetime.date(2027, 1, 31))
    assert waiver.matches("verify/test_security.py::test_security_headers[shop.example.com-csp]")
    assert not waiver.matches("test_security_headers[other.example.com-csp]")
    exact = waiver.model_copy(update={"check": "test_x[a]"})
    assert exact.matches("test_x[a]") and not exact.matches("test_x[b]")
    assert not waiver.expired(datetime.date(2027, 1, 31)) and waiver.expired(datetime.date(2027, 2, 1))
    assert "must not be empty" in one("environment: x\nwaivers: [{check: x, reason: ' ', approved_by: a, "
                                      "expires: 2027-01-31}]\n").message
