"""Run the real checklist (`pytest -m …` in a subprocess) against the real demo target."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from opsverify import demo

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Checklist:
    """One finished checklist run: exit code, terminal output, and the run folder it archived."""

    code: int
    out: str
    reports: Path

    @property
    def run_dir(self) -> Path:
        """The single run folder this run wrote."""
        (folder,) = {p.parent for p in self.reports.glob("*/*/*/results.json")}
        return folder

    @property
    def record(self) -> dict:
        """The run's results.json."""
        return json.loads((self.run_dir / "results.json").read_text())

    def check(self, test: str, item: str) -> dict:
        """The record's entry for `test[item]`."""
        return next(c for c in self.record["checks"] if c["nodeid"].endswith(f"::{test}[{item}]"))


def run_checklist(reports: Path, *args: str, env: dict[str, str] | None = None) -> Checklist:
    """`python -m pytest --reports=REPORTS ARGS` from the project root."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OPSV_ENV", "PYTEST_"))}
    environ.update(env or {})
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:randomly", f"--reports={reports}", *args],
                          cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120)
    return Checklist(done.returncode, done.stdout + done.stderr, reports)


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    """A fresh archive folder."""
    return tmp_path / "reports"


@pytest.fixture
def broken_demo(tmp_path: Path, request: pytest.FixtureRequest):
    """The demo started with the breaks named by `@pytest.mark.parametrize('broken_demo', [...], indirect=True)`."""
    breaks = request.param if isinstance(request.param, (list, tuple)) else [request.param]
    with demo.start(tmp_path / "demo", breaks) as running:
        yield running
