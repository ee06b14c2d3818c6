"""The gate, the verdicts and the timelines on known samples (no Locust needed)."""

from __future__ import annotations

import re

import pytest

from opsverify.archive.history import PastCheck
from opsverify.load import gate, profiles, trend
from opsverify.load.plan import Plan, build, refusal, split_credentials
from opsverify.load.runner import RunOutput, cpu_lines, locust_percentile
from opsverify.load.samples import Samples
from opsverify.load.verdict import verdict
from tests.load.conftest import environment

PROFILES = ("{load: {users: 10, duration: 100s}, stress: {start_users: 10, step_users: 10, step_duration: 10s, "
            "max_users: 35}, endurance: {users: 5, duration: 200s}, "
            "spike: {base_users: 2, spike_users: 20, spike_duration: 10s, duration: 50s}}")


def plan(profile: str, sla: str = "{p95: 500ms, max_error_rate: 1%}", **kw: str) -> Plan:
    """A plan for one of PROFILES against a host nothing listens on (nothing is sent)."""
    env = environment("http://127.0.0.1:9", PROFILES, sla=sla, **kw)
    return build(env.loadtests, env.environment, profile)


def output(samples: Samples, elapsed: float, **kw) -> RunOutput:
    """A finished run's output."""
    return RunOutput(samples, 1000.0, 1000.0 + elapsed, kw.get("stop_reason"), kw.get("cpu", []),
                     kw.get("lines", []), {})


def fill(samples: Samples, stage: str, ms: float, n: int, *, journey: str = "browse", errors: int = 0) -> None:
    """n responses of `ms` in a stage (the first `errors` of them failed)."""
    for i in range(n):
        samples.add((stage, journey, "GET /"), ms, "HTTPError: 500" if i < errors else None)


def test_timelines_of_the_four_profiles() -> None:
    load = plan("load").stages
    assert [(s.name, s.start, s.end, s.warmup) for s in load] == [("ramp-up", 0, 10, True), ("steady", 10, 100, False)]
    stress = plan("stress").stages
    assert [s.users for s in stress] == [10, 20, 30, 35] and stress[-1].end == 40
    endurance = plan("endurance").stages
    assert endurance[0].name == "ramp-up" and [s.name for s in endurance[1:]] == [f"tenth {i}/10" for i in range(1, 11)]
    assert endurance[-1].end == 200
    spike = plan("spike").stages
    assert [(s.name, s.start, s.end, s.users) for s in spike] == [
        ("base", 0, 20, 2), ("spike", 20, 30, 20), ("recovery", 30, 50, 2)]
    assert profiles.label_at(spike, -1) == "base" and profiles.label_at(spike, 99) == "recovery"


def test_a_journeys_own_limit_replaces_the_global_one_for_its_requests_only() -> None:
    journeys = ("- {name: browse, steps: [{get: /}]}\n"
                "- {name: quote, steps: [{post: /q, json: {}}], sla: {p95: 2s}}")
    p = plan("load", journeys=journeys)
    samples = Samples()
    fill(samples, "steady", 100, 100)
    fill(samples, "steady", 1500, 100, journey="quote")
    results = gate.judge(samples, p, ["steady"], 90)
    reasons = [r.reason for r in results]
    assert "p95 latency is 100ms; limit 500ms" in reasons and "p95 latency of quote is 1.5s; limit 2s" in reasons
    assert all(r.status.value == "passed" for r in results)


def test_without_an_error_limit_any_error_fails_as_in_the_daily_sla() -> None:
    p = plan("load", sla="{p95: 500ms}")
    samples = Samples()
    fill(samples, "steady", 10, 1000, errors=1)
    (failed,) = [r for r in gate.judge(samples, p, ["steady"], 90) if r.status.value == "failed"]
    assert failed.reason == "error rate (1 of 1,000 requests) is 0.1%; limit 0%"


def test_min_rps_and_warning_levels() -> None:
    p = plan("load", sla="{p95: 500ms, warn_p95: 50ms, max_error_rate: 1%, min_rps: 20}")
    samples = Samples()
    fill(samples, "steady", 100, 900)
    result = verdict(p, output(samples, 100))
    assert result.status.value == "failed" and result.reason == "throughput is 10 req/s; limit 20 req/s"
    fill(samples, "steady", 100, 1100)
    result = verdict(p, output(samples, 100))
    assert result.status.value == "warning" and result.reason == "p95 latency is 100ms; warning level 50ms"


def test_the_early_abort_waits_for_enough_requests_and_needs_twice_the_limit() -> None:
    p = plan("load")
    samples = Samples()
    fill(samples, "steady", 900, 30)
    assert gate.clearly_broken(samples, p, 20) is None  # too few requests yet
    fill(samples, "steady", 900, 30)
    assert gate.clearly_broken(samples, p, 5) is None  # too early
    assert gate.clearly_broken(samples, p, 20) is None  # 900 ms is not twice 500 ms
    fill(samples, "steady", 1200, 600)
    assert gate.clearly_broken(samples, p, 20) == "p95 latency is 1.2s; limit 1s"


def test_stress_names_the_first_step_that_breaks_and_the_last_good_one() -> None:
    p = plan("stress")
    samples = Samples()
    for stage, ms in zip(p.stages, (100, 200, 800, 900), strict=True):
        fill(samples, stage.name, ms, 100)
    result = verdict(p, output(samples, 30.5, stop_reason="breaking point at step 3 (30 users): ..."))
    assert result.status.value == "failed" and result.value == 30
    assert result.reason == ("breaking point at step 3 (30 users), 10 req/s: p95 latency is 800ms; limit 500ms; "
                             "last good step: 20 users at 10 req/s")
    assert result.evidence["complete"] is True and result.evidence["capacity_rps"] == 10.0


def test_stress_that_holds_passes_and_an_unfinished_step_is_not_judged() -> None:
    p = plan("stress")
    samples = Samples()
    for stage in p.stages[:3]:
        fill(samples, stage.name, 100, 50)
    fill(samples, p.stages[3].name, 5000, 5)  # cut short: the run ended at 33 s
    result = verdict(p, output(samples, 33))
    assert result.status.value == "passed" and result.reason.startswith("the SLA held at every step up to 30 users")


def test_spike_recovery_is_judged_on_its_own() -> None:
    p = plan("spike")
    samples = Samples()
    fill(samples, "base", 50, 400)
    fill(samples, "spike", 300, 400)
    fill(samples, "recovery", 700, 100)
    result = verdict(p, output(samples, 50))
    assert result.status.value == "failed"
    assert "p95 latency after the spike is 700ms; limit 500ms" in result.reason


def test_endurance_drift_in_latency_and_errors() -> None:
    p = plan("endurance", sla="{p95: 2s, max_error_rate: 5%, max_drift: 50%}")
    samples = Samples()
    for i, stage in enumerate(p.stages[1:]):
        fill(samples, stage.name, 100 + 30 * i, 100, errors=0 if i < 9 else 4)
    result = verdict(p, output(samples, 200))
    assert result.status.value == "failed"
    assert result.reason == "p95 drift from the first to the last tenth (100ms to 370ms) is 270%; limit 50%"
    assert result.evidence["drift"] == {"first_p95_ms": 100.0, "last_p95_ms": 370.0, "p95_increase": 2.7,
                                        "first_error_rate": 0.0, "last_error_rate": 0.04}
    tenth_errors = Samples()
    for stage in p.stages[1:]:
        fill(tenth_errors, stage.name, 100, 100, errors=10 if stage.name == "tenth 10/10" else 0)
    result = verdict(p, output(tenth_errors, 200))
    assert result.status.value == "failed" and result.reason == (
        "error rate drift from the first to the last tenth (0% to 10%) is +10 points; limit +5 points")


def test_an_overloaded_load_generator_makes_the_run_invalid_not_passed() -> None:
    samples = Samples()
    fill(samples, "steady", 10, 1000)
    log = ("[2026-11-23 10:00:00,000] vm/WARNING/root: CPU usage above 90%! This may constrain your throughput "
           "and may even give inconsistent response time measurements! See https://docs.locust.io/...")
    assert cpu_lines(log + "\nsomething else\n") == [log]
    assert cpu_lines("[..] vm/WARNING/locust.runners: Worker w1 (index 0) exceeded cpu threshold (will only "
                     "log this once per worker)")
    for run in (output(samples, 100, lines=[log]), output(samples, 100, cpu=[{"node": "worker w1"}])):
        result = verdict(plan("load"), run)
        assert result.status.value == "error"
        assert result.reason.startswith("run invalid: the load generator's CPU was overloaded")


def test_nothing_measured_is_an_error() -> None:
    samples = Samples()
    assert verdict(plan("load"), output(samples, 100)).reason == "no request completed in 100 s"
    fill(samples, "steady", 1, 10, errors=10)
    assert verdict(plan("load"), output(samples, 100)).reason == (
        "every one of 10 requests failed; most often (10x) GET /: HTTPError: 500")
    answered = Samples()  # every request answered 503: the target is there and failing
    for _ in range(10):
        answered.add(("steady", "browse", "GET /"), 1.0, "LocustBadStatusCode: URL http://x/: code=503")
    result = verdict(plan("load"), output(answered, 100))
    assert result.status.value == "failed" and result.reason == "error rate (10 of 10 requests) is 100%; limit 1%"


def test_regression_compares_p95_and_throughput_with_the_previous_run() -> None:
    sla = environment("http://127.0.0.1:9", PROFILES, sla="{p95: 1s, max_regression: 10%, "
                      "warn_max_regression: 5%}").loadtests.sla
    before = PastCheck("env/2026-08/x", "2026-08-03T06:00:00Z",
                       {"evidence": {"profile": "load", "judged": {"p95_ms": 100.0, "rps": 200.0}}})
    now = {"profile": "load", "judged": {"p95_ms": 130.0, "rps": 195.0}}
    results = trend.regression(now, before, sla)
    assert [(r.status.value, r.reason) for r in results] == [
        ("failed", "p95 regression against the run of 2026-08-03 (100.0ms to 130.0ms) is 30%; limit 10%"),
        ("passed", "throughput regression against the run of 2026-08-03 (200 req/s to 195 req/s) is 2.5%; "
                   "limit 10%")]
    assert trend.regression(now, None, sla) == []
    stress = trend.regression({"profile": "stress", "capacity_rps": 90.0},
                              PastCheck("r", "2026-08-03", {"evidence": {"profile": "stress", "capacity_rps": 100.0}}),
                              sla)
    assert stress[0].status.value == "warning" and stress[0].reason.startswith("capacity regression")


def test_the_trend_chart_is_an_svg_the_report_embeds() -> None:
    svg = trend.chart([("2026-04-06", {"p95_ms": 120.0, "rps": 210.0}), ("2026-07-06", {"p95_ms": 135.0, "rps": None}),
                       ("this run", {"p95_ms": 150.0, "rps": 190.0})])
    assert svg.startswith("<svg") and svg.endswith("</svg>") and svg.count("<polyline") == 2
    assert "<script" not in svg and not re.search(r"\son\w+\s*=", svg)  # what the report refuses to embed
    assert "this run" in svg and "p95 (ms): latest 150.0, highest 150.0" in svg


def test_credentials_leave_the_url_for_a_header_and_production_is_refused() -> None:
    assert split_credentials("https://ops:s3cr%21t@staging.example.com/") == (
        "https://staging.example.com", "Basic b3BzOnMzY3IhdA==")
    assert split_credentials("http://127.0.0.1:8080") == ("http://127.0.0.1:8080", None)
    env = environment("https://ops:s3cret@staging.example.com", PROFILES, top="production: true")
    assert refusal(env) == ("refused: environment loadtest has production: true; load tests run against it only "
                            "with loadtests.allow_production: true")
    p = build(env.loadtests, env.environment, "load")
    assert "s3cret" not in p.host and "s3cret" not in repr(p)
    allowed = environment("https://staging.example.com", PROFILES, top="production: true",
                          extra="allow_production: true")
    assert refusal(allowed) is None


def test_the_fingerprint_changes_with_the_profile_not_with_the_host() -> None:
    one = build(environment("http://127.0.0.1:1", PROFILES).loadtests, "x", "load")
    other_host = build(environment("http://127.0.0.1:2", PROFILES).loadtests, "x", "load")
    other_users = build(environment("http://127.0.0.1:1", PROFILES.replace("users: 10,", "users: 11,")).loadtests,
                        "x", "load")
    assert one.fingerprint == other_host.fingerprint != other_users.fingerprint
    assert Plan.from_json(one.to_json()) == one


def test_an_unknown_profile_names_the_configured_ones() -> None:
    env = environment("http://127.0.0.1:1", "{load: {users: 1, duration: 1s}}")
    with pytest.raises(ValueError, match="profile 'spike' is not configured; configured: load"):
        build(env.loadtests, env.environment, "spike")


def test_locusts_own_rule_on_its_rounded_buckets_is_reproduced_beside_ours() -> None:
    # 98 responses of 100 ms and 2 of a true 960 ms, which Locust keeps in its 960 bucket; 1,040 ms goes to 1,000
    assert locust_percentile({100: 98, 960: 2}, 100, 0.99) == 960
    assert locust_percentile({100: 98, 1000: 2}, 100, 0.99) == 1000
    assert locust_percentile({100: 95, 200: 5}, 100, 0.95) == 200  # Locust's rank is one above the nearest rank
    assert locust_percentile({}, 0, 0.95) == 0
