"""The `opsverify` command as a user types it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.plugin.conftest import ROOT, run_checklist

CLI = [sys.executable, "-m", "opsverify.cli"]


def opsverify(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `opsverify ARGS` from the project root."""
    return subprocess.run([*CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_check_env_accepts_the_example_and_summarises_it():
    done = opsverify("check-env", "fixtures/environments/production.yml")
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout and "endpoints" in done.stdout


def test_check_env_names_file_line_and_key_without_a_traceback(tmp_path: Path):
    bad = tmp_path / "bad.yml"
    bad.write_text("environment: x\ncaches:\n  - name: c\n    url: redis://127.0.0.1:6379/0\n    max_latncy: 5ms\n")
    done = opsverify("check-env", str(bad))
    assert done.returncode == 4 and "Traceback" not in done.stderr
    assert str(bad) in done.stderr and "line 5" in done.stderr and "did you mean 'max_latency'" in done.stderr


def test_demo_break_list_names_every_break():
    done = opsverify("demo", "--break", "list")
    assert done.returncode == 0
    for name in ("health-503", "slow", "hang", "expired-cert", "missing-table"):
        assert name in done.stdout


def test_demo_refuses_an_unknown_break():
    done = opsverify("demo", "--break", "on-fire")
    assert done.returncode == 2 and "health-503" in done.stderr


def test_demo_prints_its_urls_and_an_environment_file_that_passes(tmp_path: Path):
    demo = subprocess.Popen([*CLI, "demo", "--http-port", "0", "--https-port", "0", "--dir", str(tmp_path / "d")],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        printed, deadline = "", time.monotonic() + 20
        while "demo.yml" not in printed and time.monotonic() < deadline:
            printed += demo.stdout.readline()
        assert "https://127.0.0.1:" in printed and "demo.yml" in printed
        run = run_checklist(tmp_path / "reports", "-m", "daily", env={"OPSV_ENV": str(tmp_path / "d" / "demo.yml")})
        assert run.code == 0, run.out
        assert "environment 'demo' from" in run.out.splitlines()[0]
    finally:
        demo.terminate()
        demo.wait(timeout=10)
