"""`opsverify schedule` stops a run still going after schedule.run_limit, so its lock is never held for ever."""

from __future__ import annotations

import json
import time
from pathlib import Path

from opsverify.schedule import jobs
from opsverify.schedule.daemon import PytestRunner
from opsverify.spec import load
from tests.schedule.helpers import env_file

HANGING = '''import time
import pytest


@pytest.mark.daily
def test_never_ends():
    time.sleep(600)
'''


def test_a_run_past_its_limit_is_stopped_and_still_writes_its_record(tmp_path: Path) -> None:
    project = tmp_path / "checkout"  # a checklist whose one test never ends
    project.mkdir()
    (project / "test_hang.py").write_text(HANGING)
    env = env_file(tmp_path, 'daily: "09:00"\nrun_limit: 5s')
    schedule = load(env).schedule
    lines: list[str] = []
    runner = PytestRunner(env, tmp_path / "reports", project, limit=schedule.run_limit, log=lines.append)
    start = time.monotonic()
    code = runner(jobs.jobs(schedule)[0])
    assert time.monotonic() - start < 5 + 10
    assert code == 2  # pytest's "interrupted"
    assert lines == ["daily: still running after 5s (schedule.run_limit); stopping it"]
    (record,) = (tmp_path / "reports").glob("shop/*/*/results.json")
    assert json.loads(record.read_text())["exit_status"] == 2
