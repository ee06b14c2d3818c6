"""A metric's change since the previous archived run: a real SQLite source, a real archive, real checklist runs."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from opsverify.checks.metrics import value
from opsverify.result import Result, Status
from opsverify.spec import loads
from tests.dbstats.helpers import archive, context
from tests.plugin.conftest import run_checklist
from tests.spec.helpers import at, one

NODEID = "verify/test_metrics.py::test_metric_within_bounds[compliance-score]"
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


class Score:
    """A SQLite database holding one number, and an environment whose metric `compliance-score` reads it."""

    def __init__(self, folder: Path, limits: str) -> None:
        self.path, self.reports = folder / "app.db", folder / "reports"
        with sqlite3.connect(self.path) as conn:
            conn.execute("CREATE TABLE score (value REAL)")
            conn.execute("INSERT INTO score VALUES (90)")
        self.env = loads(f"environment: staging\ndatabases:\n  - {{name: app, url: 'sqlite:///{self.path}'}}\n"
                         f"metrics:\n  - {{name: compliance-score, database: app, sql: 'SELECT value FROM score', "
                         f"{limits}}}\n")

    def set(self, number: float) -> None:
        """Change the number the metric reads."""
        with sqlite3.connect(self.path) as conn:
            conn.execute("UPDATE score SET value = ?", (number,))

    def check(self, days_ago: float = 0, nodeid: str = NODEID, keep: bool = True) -> Result:
        """The metric as a run `days_ago` days ago saw it, archived for later runs unless keep is False."""
        ctx = context(self.reports, nodeid, NOW - dt.timedelta(days=days_ago), self.env)
        result = value(self.env.metrics[0], context=ctx)
        if keep:
            archive(ctx, result)
        return result


def day(days_ago: float) -> str:
    """The date of a run `days_ago` days before NOW."""
    return f"{NOW - dt.timedelta(days=days_ago):%Y-%m-%d}"


def test_a_fall_past_max_decrease_since_the_previous_run_fails(tmp_path: Path) -> None:
    score = Score(tmp_path, "min: 80, max_decrease: 5, warn_max_decrease: 2")
    first = score.check(days_ago=7)
    assert first.status is Status.PASSED
    assert first.reason == "compliance-score is 90; min 80; no earlier archived run of this check to compare with " \
                           "yet (this value is kept for the next run)"
    assert first.evidence["value"] == 90
    score.set(81)
    fell = score.check(keep=False)
    assert fell.status is Status.FAILED
    assert fell.reason == f"compliance-score is 81 (was 90 on {day(7)}); fell by 9, limit 5"
    assert fell.limit == "min 80, max_decrease 5"
    assert fell.evidence["previous"] == 90 and fell.evidence["since"].startswith("staging/")
    score.set(87)
    warned = score.check(keep=False)
    assert (warned.status, warned.reason) == (Status.WARNING,
                                              f"compliance-score is 87 (was 90 on {day(7)}); fell by 3, warning level 2")
    score.set(75)
    both = score.check(keep=False)
    assert both.reason == f"compliance-score is 75 (was 90 on {day(7)}); under its minimum 80; fell by 15, limit 5"
    other = score.check(nodeid=NODEID.replace("compliance-score", "other-score"), keep=False)
    assert other.status is Status.FAILED and "(was" not in other.reason  # another item's history is not its own


def test_a_count_that_may_never_fall_fails_on_one_lost_row(tmp_path: Path) -> None:
    score = Score(tmp_path, "max_decrease: 0")
    score.set(1200)
    score.check(days_ago=1)
    score.set(1201)
    assert score.check(keep=False).status is Status.PASSED
    score.set(1199)
    lost = score.check(keep=False)
    assert (lost.status, lost.reason) == (Status.FAILED,
                                          f"compliance-score is 1199 (was 1200 on {day(1)}); fell by 1, limit 0")


def test_a_rise_is_judged_only_by_max_increase(tmp_path: Path) -> None:
    score = Score(tmp_path, "max_decrease: 5")
    score.check(days_ago=1)
    score.set(120)
    rose = score.check(keep=False)
    assert (rose.status, rose.reason) == (Status.PASSED, f"compliance-score is 120 (was 90 on {day(1)}); rose by 30")
    score.set(90)
    same = score.check(keep=False)
    assert (same.status, same.reason) == (Status.PASSED, f"compliance-score is 90 (was 90 on {day(1)}); unchanged")
    score.set(86.5)
    small = score.check(keep=False)
    assert (small.status, small.reason) == (Status.PASSED,
                                            f"compliance-score is 86.5 (was 90 on {day(1)}); fell by 3.5, limit 5")


def test_a_percentage_is_a_share_of_the_previous_value_and_each_run_compares_with_the_last(tmp_path: Path) -> None:
    score = Score(tmp_path, "max_increase: 50%, warn_max_increase: 20%")
    score.set(100)
    score.check(days_ago=2)
    score.set(130)
    warned = score.check(days_ago=1)
    assert warned.status is Status.WARNING
    assert warned.reason == f"compliance-score is 130 (was 100 on {day(2)}); rose by 30 (30%), warning level 20%"
    score.set(200)
    over = score.check(keep=False)
    assert over.status is Status.FAILED
    assert over.reason == f"compliance-score is 200 (was 130 on {day(1)}); rose by 70 (53.8%), limit 50%"


def test_a_rise_from_zero_is_past_any_percentage(tmp_path: Path) -> None:
    score = Score(tmp_path, "max_increase: 50%")
    score.set(0)
    score.check(days_ago=1)
    score.set(5)
    result = score.check(keep=False)
    assert (result.status, result.reason) == (Status.FAILED,
                                              f"compliance-score is 5 (was 0 on {day(1)}); rose by 5 from 0, limit 50%")


def test_an_unreadable_metric_records_no_value_and_the_next_run_compares_with_the_last_good_one(tmp_path) -> None:
    score = Score(tmp_path, "max_decrease: 5")
    score.check(days_ago=2)
    with sqlite3.connect(score.path) as conn:
        conn.execute("DROP TABLE score")
    broken = score.check(days_ago=1)
    assert broken.status is Status.ERROR and "value" not in broken.evidence
    with sqlite3.connect(score.path) as conn:
        conn.execute("CREATE TABLE score (value REAL)")
        conn.execute("INSERT INTO score VALUES (80)")
    assert score.check(keep=False).reason == f"compliance-score is 80 (was 90 on {day(2)}); fell by 10, limit 5"


@pytest.mark.parametrize("limit, words", [
    ("'5 points'", "'5 points' is not a change; write a number in the metric's unit (5) or a share of the previous "
                   "value (10%)"),
    ("-5", "-5 is negative; give the size of the change (max_decrease: 5 means a fall of 5)"),
])
def test_a_bad_change_limit_is_a_spec_error_at_its_line(limit: str, words: str) -> None:
    text = f"environment: x\nmetrics:\n  - name: m\n    http: 'http://api/score'\n    json_path: score\n" \
           f"    max_decrease: {limit}\n"
    at(one(text), 6, "metrics[0].max_decrease", words)


def test_two_real_runs_compare_through_the_archive(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE score (value REAL)")
        conn.execute("INSERT INTO score VALUES (90)")
    env = tmp_path / "env.yml"
    env.write_text(f"environment: trend-e2e\ndatabases:\n  - name: app\n    url: sqlite:///{db}\nmetrics:\n"
                   "  - name: compliance-score\n    database: app\n    sql: SELECT value FROM score\n"
                   "    max_decrease: 5\n    cadence: weekly\n")
    reports = tmp_path / "reports"
    args = ("-m", "weekly", "-k", "metric_within_bounds", f"--env={env}")
    first = run_checklist(reports, *args)
    assert first.code == 0, first.out
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE score SET value = 81")
    second = run_checklist(reports, *args)
    assert second.code == 1, second.out
    records = [json.loads(path.read_text()) for path in sorted(reports.glob("trend-e2e/*/*/results.json"))]
    checks = [record["checks"][0] for record in records]
    assert [c["outcome"] for c in checks] == ["passed", "failed"]
    assert checks[0]["reason"].endswith("no earlier archived run of this check to compare with yet (this value is "
                                        "kept for the next run)")
    assert checks[1]["reason"] == f"compliance-score is 81 (was 90 on {records[0]['started'][:10]}); fell by 9, limit 5"
