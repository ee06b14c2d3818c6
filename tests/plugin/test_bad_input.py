"""A malformed environment file stops the run before any check: file, line, key; no traceback."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.plugin.conftest import ROOT, run_checklist
from tests.spec.helpers import bomb

GOOD = """environment: staging
endpoints:
  - name: api
    url: https://127.0.0.1:9/health
    expect: {max_time: 2s}
"""

BAD = [
    ("misspelt key", GOOD.replace("max_time", "max_tme"), ["line 5", "max_tme", "max_time"]),
    ("bad unit", GOOD.replace("2s", "2 parsecs"), ["line 5", "max_time", "duration"]),
    ("missing variable", GOOD.replace("/health", "/health?t=${HEALTH_TOKEN}"), ["line 4", "HEALTH_TOKEN", "url"]),
    ("duplicate name", GOOD + "  - name: api\n    url: https://127.0.0.1:9/x\n", ["line 6", "api", "line 3"]),
]


@pytest.mark.parametrize(("text", "expected"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_malformed_environment_file_stops_the_run(tmp_path, reports, text, expected):
    env = tmp_path / "staging.yml"
    env.write_text(text)
    run = run_checklist(reports, "-m", "daily", f"--env={env}")
    assert run.code == 4, run.out
    assert "Traceback" not in run.out and str(env) in run.out
    for word in expected:
        assert word in run.out, (word, run.out)
    assert "passed" not in run.out and "failed" not in run.out
    assert not reports.exists() or not any(reports.rglob("results.json"))


def test_env_written_with_a_space_outside_the_checkout_is_explained(tmp_path, reports):
    env = tmp_path / "staging.yml"
    env.write_text(GOOD)
    run = run_checklist(reports, "-m", "daily", "--env", str(env))
    assert run.code == 4 and "Traceback" not in run.out
    assert f"--env={env}" in run.out and "OPSV_ENV" in run.out


def test_reports_written_with_a_space_is_explained(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    run = run_checklist(tmp_path / "r", "-m", "daily", "--reports", str(tmp_path / "elsewhere"))
    assert run.code == 4 and "Traceback" not in run.out
    assert f"--reports={tmp_path / 'elsewhere'}" in run.out


def check_env(path: Path | str) -> subprocess.CompletedProcess[str]:
    """`opsverify check-env PATH` with 1 GiB of address space: a file that expands without bound fails fast."""
    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    return subprocess.run([sys.executable, "-m", "opsverify.cli", "check-env", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, preexec_fn=limited)


def hostile(folder: Path, kind: str) -> Path:
    """A file the review broke the loader with."""
    if kind == "device":
        return Path("/dev/zero")
    path = folder / "env.yml"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.write_text(bomb(9))
    return path


@pytest.mark.parametrize(("kind", "said"), [
    ("alias bomb", "line 6, a4[7]: aliases repeat 23,456,790,101 values in this file, more than the 100,000 allowed"),
    ("fifo", "is a named pipe (FIFO); only a regular file is read"),
    ("device", "is a character device; only a regular file is read")])
def test_a_hostile_file_is_refused_alike_by_check_env_and_pytest(tmp_path, reports, kind, said):
    """A 534-byte alias bomb (> 6 GB before), a FIFO (a hang) and /dev/zero (MemoryError): exit 4, one line."""
    path = hostile(tmp_path, kind)
    checked = check_env(path)
    assert (checked.returncode, checked.stdout) == (4, ""), checked.stderr
    assert said in checked.stderr and "Traceback" not in checked.stderr
    run = run_checklist(reports, "-m", "daily", f"--env={path}")
    assert run.code == 4 and said in run.out and "Traceback" not in run.out, run.out
    assert not reports.exists() or not any(reports.rglob("results.json"))
