"""Real Locust runs (a few seconds each) against loopback servers with known latency, errors and capacity."""

from __future__ import annotations

import json
import threading
import time

from opsverify.load.histogram import nearest_rank
from tests.load.conftest import JOURNEYS, environment, run, slots
from tests.support.http_server import Reply, Request

LOAD = "{load: {users: 4, spawn_rate: 8, duration: 2s}}"


def test_a_healthy_target_passes_and_the_run_folder_keeps_every_file(serve, reports):
    server = serve(routes={"/quote": Reply(200, "ok", delay=0.25)})
    journeys = JOURNEYS.replace("json: {product: 1, qty: 2}}]}", "json: {product: 1, qty: 2}}], sla: {p95: 1s}}")
    env = environment(server.base_url, LOAD, sla="{p95: 200ms, max_error_rate: 1%}", journeys=journeys)
    result, ctx = run(env, "load", reports)
    assert result.status.value == "passed", result.reason  # quote's 250 ms is within its own limit of 1 s
    assert result.reason.startswith("p95 latency is") and "limit 200ms" in result.reason
    assert "p95 latency of quote is 2" in result.reason and "limit 1s" in result.reason
    names = {p.name for p in (ctx.run_dir / "loadtests").iterdir()}
    assert {"load-locust.html", "load-locust_stats.csv", "load-locust_failures.csv", "load-locust.json",
            "load-locust.log", "load-samples.json", "load-gate.json"} <= names
    summary = json.loads((ctx.run_dir / "loadtests" / "load-gate.json").read_text())
    assert summary["status"] == "passed" and summary["evidence"]["judged"]["requests"] > 20
    evidence = result.evidence
    assert [s["stage"] for s in evidence["stages"]] == ["ramp-up", "steady"]
    assert set(evidence["journeys"]) == {"browse", "quote"}
    rows = {r["name"]: r for r in evidence["requests"]}
    assert set(rows) == {"GET /", "GET /items/{id}", "POST /quote"}  # one row for every {id}
    assert rows["POST /quote"]["locust_p95_ms"] is not None  # Locust's own figure beside the exact one
    assert evidence["previous_run"] is None and "trend_svg" not in evidence
    posted = [r for r in server.requests if r.method == "POST"]
    assert posted and json.loads(posted[0].body) == {"product": 1, "qty": 2}
    assert {r.path for r in server.requests} <= {"/", "/items/1", "/items/2", "/items/3", "/quote"}


def test_added_latency_fails_p95_with_the_measured_value_and_the_limit(serve, reports):
    server = serve(Reply(200, "ok", delay=0.3))
    env = environment(server.base_url, LOAD, sla="{p95: 100ms, max_error_rate: 1%}")
    result, _ = run(env, "load", reports)
    assert result.status.value == "failed"
    assert result.reason.startswith("p95 latency is 3") and result.reason.endswith("limit 100ms"), result.reason
    assert 0.3 <= result.value < 0.45


def test_errors_fail_the_error_rate(serve, reports):
    server = serve(routes={"/quote": Reply(500, "boom")})
    result, _ = run(environment(server.base_url, LOAD), "load", reports)
    assert result.status.value == "failed"
    assert result.reason.startswith("error rate (") and result.reason.endswith("; limit 1%"), result.reason
    assert 0.05 < result.value < 0.3 and result.unit == "ratio"
    assert any("POST /quote" in kind and "500" in kind for kind in result.evidence["error_kinds"])


def test_stress_finds_the_breaking_point_at_the_first_step_above_the_known_capacity(serve, reports):
    server = serve(slots(2, 0.3))  # 2 requests at a time, 300 ms each: 4 users wait about 600 ms
    env = environment(server.base_url, "{stress: {start_users: 2, step_users: 2, step_duration: 2s, max_users: 8}}",
                      sla="{p95: 450ms, max_error_rate: 1%}", extra="think_time: 0s")
    started = time.monotonic()
    result, _ = run(env, "stress", reports)
    assert result.status.value == "failed"
    assert result.reason.startswith("breaking point at step 2 (4 users), "), result.reason
    assert "p95 latency is" in result.reason and "last good step: 2 users at" in result.reason
    assert result.value == 4 and result.unit == "users"
    assert result.evidence["breaking_point"]["users"] == 4 and result.evidence["breaking_point"]["rps"] > 5
    assert time.monotonic() - started < 12  # it stopped at the breaking point, not after all four steps


def test_endurance_catches_latency_that_drifts_upwards(serve, reports):
    born: list[float] = []

    def slower_and_slower(request: Request) -> Reply:
        """10 ms at first, 30 ms more for every second since the first request."""
        born.append(born[0] if born else time.monotonic())
        time.sleep(0.01 + 0.03 * (time.monotonic() - born[0]))
        return Reply(200, "ok")

    server = serve(slower_and_slower)
    env = environment(server.base_url, "{endurance: {users: 3, duration: 4s}}",
                      sla="{p95: 2s, max_error_rate: 1%, max_drift: 50%}")
    result, _ = run(env, "endurance", reports)
    assert result.status.value == "failed"
    assert "p95 drift from the first to the last tenth (" in result.reason and "limit 50%" in result.reason
    tenths = [s for s in result.evidence["stages"] if s["stage"].startswith("tenth")]
    assert len(tenths) == 10 and tenths[-1]["p95_ms"] > 1.5 * tenths[0]["p95_ms"]


def test_spike_breaks_the_sla_and_shows_each_stage(serve, reports):
    server = serve(slots(2, 0.1))  # one base user fits; eight spiking users queue
    env = environment(server.base_url, "{spike: {base_users: 1, spike_users: 8, spike_duration: 1s, duration: 4s}}",
                      sla="{p95: 200ms, max_error_rate: 1%}", extra="think_time: 0s")
    result, _ = run(env, "spike", reports)
    assert result.status.value == "failed"
    assert result.reason.startswith("p95 latency is") and "limit 200ms" in result.reason, result.reason
    stages = {s["stage"]: s for s in result.evidence["stages"]}
    assert list(stages) == ["base", "spike", "recovery"] and stages["spike"]["users"] == 8
    assert stages["spike"]["p95_ms"] > 2 * stages["base"]["p95_ms"]


def test_exact_percentiles_match_the_servers_own_latencies(serve, reports):
    """Within 2% end to end on a busy machine (the histogram alone is within 0.5%: test_histogram.py)."""
    applied: list[float] = []
    lock = threading.Lock()

    def sleeps(request: Request) -> Reply:
        """Sleep the milliseconds the path names, and note how long the handler really took."""
        began = time.perf_counter()
        time.sleep(int(request.path.rsplit("/", 1)[1]) / 1000)
        with lock:
            applied.append((time.perf_counter() - began) * 1000)
        return Reply(200, "ok")

    server = serve(sleeps)
    delays = ", ".join(str(ms) for ms in range(600, 1500, 37))
    journeys = f"- {{name: sleep, steps: [{{get: '/sleep/{{id}}', ids: [{delays}]}}]}}"
    env = environment(server.base_url, "{load: {users: 5, spawn_rate: 50, duration: 4s}}",
                      sla="{p95: 5s, max_error_rate: 1%}", journeys=journeys, extra="think_time: 0s")
    result, _ = run(env, "load", reports)
    assert result.status.value == "passed", result.reason
    row = result.evidence["requests"][0]
    truth = sorted(applied)
    assert row["requests"] == len(truth) > 15  # users finish their request at the end: the same requests
    for key, percent in (("p50_ms", 50), ("p95_ms", 95), ("p99_ms", 99)):
        expected = nearest_rank(truth, percent)
        assert abs(row[key] - expected) / expected < 0.02, (key, row[key], expected, row)


def test_regression_against_the_previous_archived_run_is_caught(serve, reports):
    from opsverify.plugin.outcome import as_dict
    from tests.load.conftest import NOW

    delay = {"s": 0.02}
    server = serve(lambda request: Reply(200, "ok", delay=delay["s"]))
    env = environment(server.base_url, LOAD, sla="{p95: 2s, max_error_rate: 1%, max_regression: 10%}")
    earlier = NOW.replace(year=NOW.year - 1)
    first, ctx = run(env, "load", reports, started=earlier)
    assert first.status.value == "passed" and first.evidence["previous_run"] is None
    entry = {"nodeid": ctx.nodeid, "outcome": first.status.value, **as_dict(first)}
    record = {"environment": env.environment, "started": ctx.started_iso(), "checks": [entry]}
    (ctx.run_dir / "results.json").write_text(json.dumps(record))
    delay["s"] = 0.08
    second, _ = run(env, "load", reports)
    assert second.status.value == "failed"
    assert f"p95 regression against the run of {earlier.date()} (" in second.reason, second.reason
    assert "limit 10%" in second.reason
    assert second.evidence["previous_run"] == str(ctx.run_dir.relative_to(reports).as_posix())
    assert second.evidence["trend_svg"].startswith("<svg") and "this run" in second.evidence["trend_svg"]


def test_abort_on_fail_stops_a_run_whose_limit_is_clearly_broken(serve, reports):
    server = serve(Reply(200, "ok", delay=0.5))
    env = environment(server.base_url, "{load: {users: 20, spawn_rate: 20, duration: 30s}}",
                      sla="{p95: 100ms, max_error_rate: 1%, abort_on_fail: true}", extra="think_time: 0s")
    started = time.monotonic()
    result, _ = run(env, "load", reports)
    assert result.status.value == "failed"
    assert result.reason.startswith("aborted after ") and " s of 30 s: p95 latency is" in result.reason, result.reason
    assert time.monotonic() - started < 15 and result.evidence["complete"] is False


def test_two_local_workers_merge_their_histograms(serve, reports):
    server = serve()
    env = environment(server.base_url, LOAD, extra="think_time: 20ms\n  workers: 2")
    result, _ = run(env, "load", reports)
    assert result.status.value == "passed", result.reason
    assert result.evidence["whole_run"]["requests"] == result.evidence["locust_requests"] > 50
    assert result.evidence["worker_reports"]["workers"] == 2  # both reported; the last report races the end


def test_production_is_refused_before_any_request(serve, reports):
    server = serve()
    env = environment(server.base_url, LOAD, top="production: true")
    result, ctx = run(env, "load", reports)
    assert result.status.value == "error"
    assert result.reason == ("refused: environment loadtest has production: true; load tests run against it "
                             "only with loadtests.allow_production: true")
    assert server.requests == [] and not (ctx.run_dir / "loadtests").exists()
