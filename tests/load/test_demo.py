"""The quarterly benchmarks against the built-in demo: off the daily path, and `slow` has a breaking point."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsverify import demo
from tests.plugin.conftest import run_checklist


@pytest.fixture(scope="module")
def slow_demo(tmp_path_factory: pytest.TempPathFactory):
    """The demo with `--break slow`: 1.5 s per page, at most 8 at a time."""
    with demo.start(tmp_path_factory.mktemp("slow-demo"), ["slow"]) as running:
        yield running


def test_load_profiles_are_never_on_the_daily_path(slow_demo, tmp_path: Path) -> None:
    daily = run_checklist(tmp_path, "-m", "daily", "--collect-only", "-q", f"--env={slow_demo.env_path}")
    assert daily.code == 0 and "test_endpoint_responds[home]" in daily.out, daily.out
    assert "test_load_profile" not in daily.out


def test_the_slow_demo_breaks_the_stress_profile_past_eight_users(slow_demo, reports: Path) -> None:
    run = run_checklist(reports, "-m", "quarterly", "-k", "stress", f"--env={slow_demo.env_path}")
    assert run.code == 1, run.out
    assert [c["item"] for c in run.record["checks"]] == ["stress"]  # -k stress: the one quarterly profile
    check = run.check("test_load_profile", "stress")
    assert check["outcome"] == "failed" and check["area"] == "performance" and check["cadence"] == "quarterly"
    assert check["reason"].startswith("breaking point at step 3 (12 users), "), check["reason"]
    assert "p95 latency is" in check["reason"] and "last good step: 8 users at" in check["reason"]
    assert "loadtests/stress-locust.html" in check["evidence"]["artifacts"]
    assert (run.run_dir / "loadtests" / "stress-gate.json").is_file()
