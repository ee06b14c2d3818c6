"""End to end: `opsverify schedule --once` catches up a daily run missed while it was down, with real pytest."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from opsverify.schedule import jobs
from opsverify.spec import load
from tests.plugin.conftest import ROOT
from tests.schedule.helpers import UTC, write_record


@pytest.mark.parametrize("broken_demo", [[]], indirect=True, ids=["healthy-demo"])
def test_once_runs_the_missed_daily_checklist_and_archives_it(broken_demo, reports):
    schedule = load(broken_demo.env_path).schedule
    now = dt.datetime.now(UTC)
    for job in jobs.jobs(schedule):  # every cadence ran on time, except the daily run before now
        due = job.due_before(schedule.zone, now)
        if job.cadence == "daily" and not job.in_window:
            due = job.due_before(schedule.zone, due - dt.timedelta(seconds=1))
        write_record(reports, "demo", due + dt.timedelta(seconds=30), job.expression, demo=True,
                     env_file=broken_demo.env_path)
    done = subprocess.run([sys.executable, "-m", "opsverify.cli", "schedule", f"--env={broken_demo.env_path}",
                           f"--reports={reports}", "--once"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "starting daily (-m 'daily and not maintenance'), catching up the run due" in done.stdout
    records = [json.loads(p.read_text()) for p in reports.glob("demo/*/*/results.json")]
    caught_up = next(r for r in records if r["marker_expression"] == "daily and not maintenance" and r["checks"])
    assert caught_up["exit_status"] == 0 and caught_up["counts"]["passed"] > 10
    gap = next(c for c in caught_up["checks"] if c["nodeid"].endswith("test_cadence_ran_on_schedule[daily]"))
    assert gap["outcome"] == "passed", gap
    again = subprocess.run([sys.executable, "-m", "opsverify.cli", "schedule", f"--env={broken_demo.env_path}",
                            f"--reports={reports}", "--once"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert "starting daily" not in again.stdout and "nothing is due" in again.stdout
