"""The environment file is read once: deleted or edited while the run goes on, the run ends as usual and its
record and report carry the SHA-256 of the bytes it checked."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.plugin.conftest import sqlite_environment, started_checklist, verify_archive
from tests.support.net import hanging_server


@pytest.mark.parametrize("change", ["deleted", "edited"])
def test_the_run_records_the_hash_of_the_file_it_checked(tmp_path, reports, change):
    with hanging_server() as silent:
        env = sqlite_environment(tmp_path, silent)
        checked = hashlib.sha256(env.read_bytes()).hexdigest()
        running = started_checklist(reports, "-m", "daily", f"--env={env}")
        if change == "deleted":
            env.unlink()
        else:
            env.write_text(env.read_text() + "# edited while the run went on\n")
        out, _ = running.communicate(timeout=60)
    assert running.returncode == 1, out  # the silent endpoint is an error; nothing else went wrong
    assert "Traceback" not in out and "INTERNALERROR" not in out
    (record,) = reports.glob("shop/*/*/results.json")
    assert json.loads(record.read_text())["environment_sha256"] == checked
    assert checked in (record.parent / "report.html").read_text()
    assert verify_archive(reports).returncode == 0
