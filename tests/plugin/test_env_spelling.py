"""`--env FILE` and `--reports DIR` with a space and a value outside the checkout run exactly like `--env=FILE`."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.plugin.conftest import ROOT, Checklist, run_checklist

HEALTHY = pytest.mark.parametrize("broken_demo", [[]], indirect=True, ids=["healthy"])


def _setup(out: str) -> list[str]:
    """pytest's header lines about its root folder, config file and test paths."""
    return [line for line in out.splitlines() if line.startswith(("rootdir:", "configfile:", "testpaths:"))]


CHECKOUT = [f"rootdir: {ROOT}", "configfile: pytest.ini", "testpaths: verify"]


def _verifies(run: Checklist) -> bool:
    """Whether `opsverify archive verify` accepts the run's archive."""
    verify = [sys.executable, "-m", "opsverify.cli", "archive", "verify", "--reports", str(run.reports)]
    return subprocess.run(verify, cwd=ROOT, capture_output=True, timeout=60).returncode == 0


@HEALTHY
def test_env_with_a_space_outside_the_checkout_runs_exactly_like_env_equals(broken_demo, tmp_path):
    env = broken_demo.env_path
    assert ROOT not in env.parents
    spaced = run_checklist(tmp_path / "spaced", "-m", "daily", "--env", str(env))
    joined = run_checklist(tmp_path / "joined", "-m", "daily", f"--env={env}")
    assert spaced.code == joined.code == 0, spaced.out
    assert _setup(spaced.out) == _setup(joined.out) == CHECKOUT
    outcomes = [{k: c[k] for k in ("nodeid", "outcome", "cadence", "severity")} for c in spaced.record["checks"]]
    assert outcomes == [{k: c[k] for k in ("nodeid", "outcome", "cadence", "severity")}
                        for c in joined.record["checks"]]
    assert len(outcomes) >= 6 and all(c["nodeid"].startswith("verify/") and c["cadence"] == "daily" for c in outcomes)
    for key in ("environment", "environment_file", "environment_sha256", "marker_expression", "counts"):
        assert spaced.record[key] == joined.record[key], key
    assert f"--env={env}" in spaced.record["pytest_args"]  # pytest was started again with the value joined
    assert not (env.parent / ".pytest_cache").exists()  # the checkout's addopts (-p no:cacheprovider) applied
    assert _verifies(spaced) and _verifies(joined)


def test_reports_with_a_space_outside_the_checkout_archives_there(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = run_checklist(tmp_path / "unused", "-m", "smoke", "--reports", str(elsewhere))
    assert run.code == 0, run.out
    assert _setup(run.out) == CHECKOUT
    assert len(list(elsewhere.glob("*/*/*/results.json"))) == 1 and not (tmp_path / "unused").exists()


@HEALTHY
def test_env_with_a_space_in_pytest_addopts_works_too(broken_demo, tmp_path):
    run = run_checklist(tmp_path / "reports", "-m", "smoke", env={"PYTEST_ADDOPTS": f"--env {broken_demo.env_path}"})
    assert run.code == 0, run.out
    assert _setup(run.out) == CHECKOUT
    assert run.record["environment_file"] == str(broken_demo.env_path)


@HEALTHY
def test_opsverify_run_passes_paths_outside_the_checkout(broken_demo, tmp_path):
    """`opsverify run` calls pytest.main() in its own process, which cannot be started again: it joins them itself."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run([sys.executable, "-m", "opsverify.cli", "run", "--env", str(broken_demo.env_path),
                           "-m", "smoke", "verify", "--reports", str(elsewhere)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _setup(done.stdout) == CHECKOUT[:2]  # `verify` was given, so testpaths is not shown
    assert len(list(elsewhere.glob("*/*/*/results.json"))) == 1


def test_a_second_restart_is_refused_with_the_advice_instead_of_looping(tmp_path):
    """The restarted run must never restart again: if it would, it stops with the advice (exit 4, no traceback)."""
    env = tmp_path / "staging.yml"
    env.write_text("environment: staging\n")
    run = run_checklist(tmp_path / "reports", "-m", "daily", "--env", str(env), env={"OPSV_RESTARTED": "1"})
    assert run.code == 4 and "Traceback" not in run.out
    assert f"Write --env={env} (with '=')" in run.out and "OPSV_ENV" in run.out
