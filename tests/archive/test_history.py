"""Reading earlier runs back from the archive."""

from __future__ import annotations

import json
from pathlib import Path

from opsverify.archive.history import past_checks, past_records


def _run(reports: Path, env: str, stamp: str, value: float, month: str = "2026-11") -> None:
    folder = reports / env / month / f"{stamp}-daily"
    folder.mkdir(parents=True)
    started = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]}Z"
    checks = [{"nodeid": "verify/t.py::test_x[a]", "outcome": "passed", "value": value}]
    (folder / "results.json").write_text(json.dumps({"started": started, "checks": checks}))


def test_past_checks_are_newest_first_and_per_environment(tmp_path: Path):
    _run(tmp_path, "prod", "20261120T090000Z", 1.0)
    _run(tmp_path, "prod", "20261122T090000Z", 3.0)
    _run(tmp_path, "prod", "20261031T090000Z", 0.5, month="2026-10")
    _run(tmp_path, "staging", "20261123T090000Z", 99.0)
    found = past_checks(tmp_path, "prod", "verify/t.py::test_x[a]")
    assert [p.entry["value"] for p in found] == [3.0, 1.0, 0.5]
    assert found[0].run == "prod/2026-11/20261122T090000Z-daily"


def test_before_skips_the_current_and_later_runs_and_damaged_records_are_passed_over(tmp_path: Path):
    _run(tmp_path, "prod", "20261120T090000Z", 1.0)
    _run(tmp_path, "prod", "20261122T090000Z", 3.0)
    (tmp_path / "prod" / "2026-11" / "20261121T090000Z-daily").mkdir()
    records = list(past_records(tmp_path, "prod", before="2026-11-22T09:00:00Z"))
    assert [r["started"] for r in records] == ["2026-11-20T09:00:00Z"]
    assert list(past_records(tmp_path / "missing", "prod")) == []
