"""A daily run against five hostile targets ends within its timeouts, in bounded memory, and ends at once on a signal."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from tests.support import hostile_run

BOUND = 30 + 5 * hostile_run.TIMEOUT  # the issue's bound: 30 s plus the items' timeouts
MEMORY_MB = 200


def test_five_hostile_targets_are_errors_with_their_causes_within_the_bound(tmp_path: Path) -> None:
    with hostile_run.environment(tmp_path) as (env, probed):
        run = hostile_run.run(env, probed, tmp_path / "reports")
    assert run.seconds < BOUND, run.out[-3000:]
    assert run.code == 1, run.out[-3000:]
    outcomes = run.outcomes()
    assert set(outcomes) == set(hostile_run.CAUSES)
    for test, pattern in hostile_run.CAUSES.items():
        outcome, reason = outcomes[test]
        assert outcome == "error" and re.fullmatch(pattern, reason), (test, outcome, reason)
    assert run.report.stat().st_size > 0
    durations = {c["nodeid"].rpartition("::")[2]: c["duration_s"] for c in run.record["checks"]}
    assert hostile_run.TIMEOUT - 0.5 < durations["test_cache_answers[dribbling-redis]"] < hostile_run.TIMEOUT + 2
    if run.peak_rss_mb is None:
        pytest.skip("GNU time (/usr/bin/time) is not installed: peak memory not measured")
    assert run.peak_rss_mb < MEMORY_MB


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_mid_run_ends_it_at_once_with_the_report_and_the_record(tmp_path: Path,
                                                                          stop: signal.Signals) -> None:
    with hostile_run.environment(tmp_path) as (env, probed):
        run = hostile_run.run(env, probed, tmp_path / "reports", interrupt=stop, at=1.0)
    assert run.after_signal is not None and run.after_signal < 10, f"{run.after_signal:.1f}s: {run.out[-3000:]}"
    assert run.code == 2, run.out[-3000:]  # pytest's "interrupted"
    assert run.report.stat().st_size > 0
    outcomes = run.outcomes()
    assert set(outcomes) == set(hostile_run.CAUSES)
    assert {outcome for outcome, _ in outcomes.values()} == {"error"}
