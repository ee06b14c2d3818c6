"""The real checklist with an unreachable `mongodb:` item: each test fails as "could not check"; the run reports."""

from __future__ import annotations

from pathlib import Path

from tests.plugin.conftest import reports, run_checklist  # noqa: F401 - fixture
from tests.support.net import LOOPBACK, free_port

TESTS = ("test_mongodb_answers", "test_mongodb_connections_used", "test_mongodb_replication_lag",
         "test_mongodb_slow_operations")


def test_an_unreachable_mongodb_fails_every_check_and_the_run_still_reports(tmp_path: Path, reports: Path) -> None:
    port = free_port()
    env = tmp_path / "mongo.yml"
    env.write_text(f"""\
environment: node-shop
defaults: {{timeout: 1s}}
mongodb:
  - name: bookings
    url: mongodb://monitor:${{MONGO_PASSWORD}}@{LOOPBACK}:{port}/bookings?authSource=admin
    max_latency: 100ms
    max_connections_used: 80%
    max_replication_lag: 30s
    max_slow_ops: 0
    expect_collections: [bookings, users]
""")
    run = run_checklist(reports, "-m", "daily", f"--env={env}", env={"MONGO_PASSWORD": "m0ng0-e2e-s3cret"})
    assert run.code == 1, run.out
    cause = f"no MongoDB answered on {LOOPBACK}:{port} within 1s: connection refused"
    for test in TESTS:
        entry = run.check(test, "bookings")
        assert (entry["outcome"], entry["reason"]) == ("error", cause), entry
    assert f"could not check: {cause}" in run.out
    assert "checks: 4 error" in run.out, run.out
    assert (run.run_dir / "report.html").exists() and (run.run_dir / "results.json").exists()
    written = [p.read_text(errors="replace") for p in run.run_dir.rglob("*") if p.is_file()]
    assert all("m0ng0-e2e-s3cret" not in text for text in written) and "m0ng0-e2e-s3cret" not in run.out
