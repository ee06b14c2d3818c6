"""Feeds for Prometheus on real runs: a textfile promtool accepts, a real Pushgateway, one that fails, the alerts."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from opsverify.prometheus import Snapshot, registry
from opsverify.spec.secret import Secret
from tests.plugin.conftest import ROOT, Checklist, run_checklist
from tests.support.fixtures import require
from tests.support.http_server import HttpServer, Reply
from tests.support.net import LOOPBACK, free_port, hanging_server
from tests.support.pushgateway import Pushgateway

RULES = ROOT / "docs" / "prometheus-alerts.yml"


def _samples(text: str) -> dict[str, list]:
    """The samples of an exposition, by metric name."""
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


def _one(samples: list, **labels: str) -> float:
    """The value of the only sample with these labels."""
    (value,) = [s.value for s in samples if all(s.labels.get(k) == v for k, v in labels.items())]
    return value


def _item(nodeid: str) -> str:
    """The item part of a test id: `test_x[home]` -> home."""
    return nodeid[nodeid.index("[") + 1:-1]


def _archived(run: Checklist) -> bool:
    """The run's record is written and `opsverify archive verify` accepts the archive."""
    verify = [sys.executable, "-m", "opsverify.cli", "archive", "verify", "--reports", str(run.reports)]
    done = subprocess.run(verify, cwd=ROOT, capture_output=True, timeout=60)
    return (run.run_dir / "results.json").is_file() and done.returncode == 0


def _promtool(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """promtool with these arguments (skips, or fails in CI, where it is missing)."""
    require(None if shutil.which("promtool") else "promtool not found (apt-get install prometheus)")
    return subprocess.run(["promtool", *args], input=stdin.decode() if stdin else None, capture_output=True,
                          text=True, timeout=60)


@pytest.fixture(scope="module")
def pushgateway() -> Iterator[Pushgateway]:
    """A real Pushgateway on loopback."""
    require(Pushgateway.unavailable())
    with Pushgateway() as gateway:
        yield gateway


@pytest.mark.parametrize("broken_demo", ["health-503"], indirect=True)
def test_the_textfile_holds_every_check_and_promtool_accepts_it(broken_demo, reports, tmp_path):
    feed = tmp_path / "textfile" / "opsverify-demo-daily.prom"
    feed.parent.mkdir()
    run = run_checklist(reports, "-m", "daily", f"--env={broken_demo.env_path}", f"--prometheus-textfile={feed}")
    assert run.code == 1, run.out
    assert f"prometheus: metrics written to {feed}" in run.out
    assert [p.name for p in feed.parent.iterdir()] == [feed.name]  # written beside, renamed: no temporary file left
    lint = _promtool("check", "metrics", stdin=feed.read_bytes())
    assert (lint.returncode, lint.stdout + lint.stderr) == (0, "")
    metrics, record = _samples(feed.read_text()), run.record
    status = metrics["opsverify_check_status"]
    assert len(status) == 6 * len(record["checks"]) and {s.labels["environment"] for s in status} == {"demo"}
    for check in record["checks"]:
        mine = [s for s in status if (s.labels["check"], s.labels["item"]) == (check["test"], _item(check["nodeid"]))]
        assert {s.labels["outcome"] for s in mine if s.value == 1} == {check["outcome"]}, check["nodeid"]
        assert {(s.labels["severity"], s.labels["area"], s.labels["cadence"]) for s in mine} == {
            (check["severity"], check["area"], "daily")}
    assert _one(status, check="test_endpoint_responds", item="api-health", outcome="failed", severity="P1") == 1
    timed = [c for c in record["checks"] if c["unit"] == "s" and isinstance(c["value"], float)]
    assert timed and all(_one(metrics["opsverify_check_value_seconds"], check=c["test"], item=_item(c["nodeid"]))
                         == pytest.approx(c["value"]) for c in timed)
    started = dt.datetime.fromisoformat(record["started"].replace("Z", "+00:00")).timestamp()
    assert _one(metrics["opsverify_run_started_timestamp_seconds"]) == pytest.approx(started, abs=1)
    assert _one(metrics["opsverify_run_finished_timestamp_seconds"]) >= started
    assert _one(metrics["opsverify_run_exit_code"]) == 1
    assert _one(metrics["opsverify_run_checks"], outcome="failed") == record["counts"]["failed"] >= 1
    assert _archived(run)


def test_the_pushgateway_shows_the_runs_series_grouped_by_environment_and_cadence(pushgateway, reports):
    run = run_checklist(reports, "-m", "smoke", f"--pushgateway={pushgateway.url}")
    assert run.code == 0, run.out
    assert f"metrics pushed to {pushgateway.url} (job opsverify, environment demo, cadence smoke)" in run.out
    (group,) = [g for g in pushgateway.groups()
                if g["labels"] == {"job": "opsverify", "environment": "demo", "cadence": "smoke"}]
    assert group["last_push_successful"] is True
    passed = {(m["labels"]["check"], m["labels"]["item"]) for m in group["opsverify_check_status"]["metrics"]
              if m["labels"]["outcome"] == "passed" and m["value"] == "1"}
    assert passed == {(c["test"], _item(c["nodeid"])) for c in run.record["checks"]} and len(passed) >= 2
    (finished,) = group["opsverify_run_finished_timestamp_seconds"]["metrics"]
    assert abs(float(finished["value"]) - time.time()) < 120
    assert _archived(run)


@contextmanager
def _refusing() -> Iterator[int]:
    """A loopback port nothing listens on."""
    yield free_port()


@contextmanager
def _dribbling() -> Iterator[int]:
    """A server that reads the request, then answers one byte a second, never finishing (no read ever times out)."""
    listener = socket.create_server((LOOPBACK, 0))
    stop = threading.Event()

    def serve() -> None:
        """Dribble to one client until stopped."""
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            for byte in itertools.cycle(b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 60):
                if stop.wait(1.0):
                    return
                conn.sendall(bytes([byte]))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()


@pytest.mark.parametrize("gateway, why", [(hanging_server, "no answer within 5s"), (_dribbling, "no answer within 5s"),
                                          (_refusing, "connection refused on 127.0.0.1:{port}")],
                         ids=["silent", "dribbling", "refusing"])
def test_a_pushgateway_that_does_not_answer_costs_at_most_its_timeout(reports, gateway, why):
    """The whole push is bounded by the environment's timeout (the demo's: 5s), not each read."""
    with gateway() as port:
        started = time.monotonic()
        run = run_checklist(reports, "-m", "smoke", f"--pushgateway=http://{LOOPBACK}:{port}")
        took = time.monotonic() - started
    assert run.code == 0, run.out  # the checks passed; the feed's failure does not change that
    assert (f"opsverify: warning: the Pushgateway http://{LOOPBACK}:{port} did not take this run's metrics: "
            f"{why.format(port=port)}" in run.out), run.out
    assert took < 60, took  # generously: it never holds the run
    assert _archived(run)


def test_a_login_in_the_pushgateway_url_is_sent_as_basic_auth_and_never_printed(reports):
    with HttpServer(fallback=Reply(200)) as gateway:
        address = f"{LOOPBACK}:{gateway.port}"
        run = run_checklist(reports, "-m", "smoke", f"--pushgateway=http://pusher:s3cret-push-pw@{address}")
    assert run.code == 0, run.out
    (pushed,) = gateway.requests
    assert (pushed.method, pushed.path) == ("PUT", "/metrics/job/opsverify/cadence/smoke/environment/demo")
    assert pushed.headers["Authorization"] == "Basic " + base64.b64encode(b"pusher:s3cret-push-pw").decode()
    assert b"opsverify_check_status{" in pushed.body
    assert f"pushed to http://pusher:***@{address}" in run.out
    assert "s3cret-push-pw" not in run.out and "s3cret-push-pw" not in (run.run_dir / "results.json").read_text()


def test_the_ini_key_names_the_textfile_like_the_option(reports, tmp_path):
    feed = tmp_path / "from-ini.prom"
    run = run_checklist(reports, "-m", "smoke", "-o", f"prometheus_textfile={feed}")
    assert run.code == 0, run.out
    assert _one(_samples(feed.read_text())["opsverify_run_exit_code"], cadence="smoke") == 0


@pytest.mark.parametrize("option, words", [
    ("--prometheus-textfile={tmp}/missing/opsverify.prom", "the folder {tmp}/missing does not exist"),
    ("--prometheus-textfile={tmp}/opsverify.txt", "textfile collector reads only files ending in .prom"),
    ("--pushgateway=ftp://{host}/", "not an http:// or https:// URL with a host"),
])
def test_a_bad_feed_option_stops_the_run_before_any_check(reports, tmp_path, option, words):
    run = run_checklist(reports, "-m", "smoke", option.format(tmp=tmp_path, host=LOOPBACK))
    assert run.code == 4 and "Traceback" not in run.out
    assert words.format(tmp=tmp_path) in run.out and "passed" not in run.out
    assert not reports.exists()


def test_values_are_in_base_units_and_labels_carry_no_secret():
    Secret("hunter2-token-77")  # known to the run as a secret, as a loaded environment's would be
    checks = [_entry("test_a[x]", "passed", 1.5, "s"), _entry("test_b[x]", "failed", 49, "h"),
              _entry("test_c[x]", "passed", 2, "days"), _entry("test_d[x]", "passed", 1024, "B"),
              _entry("test_e[x]", "warning", 0.85, "ratio"), _entry("test_f[x]", "failed", 40, "lines"),
              _entry("test_g[x]", "passed", 200, ""), _entry("test_h[x]", "error", None, ""),
              _entry("test_i[x]", "passed", True, ""), _entry("test_j[hunter2-token-77]", "passed", "up", "")]
    text = generate_latest(registry(Snapshot("prod", "daily", 100.0, 160.0, 1, checks))).decode()
    metrics = _samples(text)
    assert [(s.labels["check"], s.value) for s in metrics["opsverify_check_value_seconds"]] == [
        ("test_a", 1.5), ("test_b", 49 * 3600), ("test_c", 2 * 86400)]
    assert [(s.labels["check"], s.value) for s in metrics["opsverify_check_value_bytes"]] == [("test_d", 1024)]
    assert [(s.labels["check"], s.value) for s in metrics["opsverify_check_value_ratio"]] == [("test_e", 0.85)]
    assert [(s.labels["check"], s.labels["unit"], s.value) for s in metrics["opsverify_check_value"]] == [
        ("test_f", "lines", 40), ("test_g", "", 200)]
    assert _one(metrics["opsverify_run_duration_seconds"]) == 60
    assert "hunter2-token-77" not in text
    assert _one(metrics["opsverify_check_status"], check="test_j", outcome="passed", item="***") == 1


def _entry(nodeid: str, outcome: str, value: object, unit: str) -> dict[str, object]:
    """A record entry as the plugin keeps it."""
    return {"nodeid": f"verify/test_x.py::{nodeid}", "test": nodeid.split("[")[0], "area": "health",
            "severity": "P2", "outcome": outcome, "value": value, "unit": unit}


def test_the_sample_alert_rules_are_valid_and_fire(tmp_path):
    """promtool checks the rules, then runs them on series: a failed P1 check pages, a P2 does not, a late day does."""
    checked = _promtool("check", "rules", str(RULES))
    assert checked.returncode == 0 and "SUCCESS: 3 rules found" in checked.stdout, checked.stdout + checked.stderr
    status = 'opsverify_check_status{{environment="prod",cadence="daily",check="test_backup_is_fresh",item="orders",' \
             'area="backup",severity="{severity}",outcome="failed"}}'
    cases = tmp_path / "alerts_test.yml"
    cases.write_text(f"""rule_files: ['{RULES}']
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: '{status.format(severity="P1")}'
        values: '0 0 1 1'
      - series: '{status.format(severity="P2")}'
        values: '1 1 1 1'
      - series: 'opsverify_run_finished_timestamp_seconds{{environment="prod",cadence="daily"}}'
        values: '0x1700'
    alert_rule_test:
      - eval_time: 1m
        alertname: OpsverifyP1CheckFailed
        exp_alerts: []
      - eval_time: 3m
        alertname: OpsverifyP1CheckFailed
        exp_alerts:
          - exp_labels: {{severity: critical, environment: prod, cadence: daily, check: test_backup_is_fresh,
                          item: orders}}
            exp_annotations:
              summary: "opsverify: P1 check test_backup_is_fresh[orders] failed in prod"
              description: "The last daily run of prod failed this P1 check; its report is in the opsverify archive."
      - eval_time: 25h
        alertname: OpsverifyDailyRunMissing
        exp_alerts: []
      - eval_time: 27h
        alertname: OpsverifyDailyRunMissing
        exp_alerts:
          - exp_labels: {{severity: warning, environment: prod}}
            exp_annotations:
              summary: "opsverify: no daily run of prod for 26 hours"
              description: "The last daily run of prod finished 1d 3h 0m 0s ago."
""")
    tested = _promtool("test", "rules", str(cases))
    assert tested.returncode == 0, tested.stdout + tested.stderr
