"""Run the real checklist (`pytest -m …` in a subprocess) against the real demo target."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def checklist(reports: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """The subprocess arguments of `python -m pytest --reports=REPORTS ARGS` from the project root."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OPSV_ENV", "PYTEST_"))}
    environ.update(env or {})
    return {"args": [sys.executable, "-m", "pytest", "-p", "no:randomly", f"--reports={reports}", *args],
            "cwd": ROOT, "env": environ, "text": True}


def run_checklist(reports: Path, *args: str, env: dict[str, str] | None = None, **more: Any) -> Checklist:
    """Run the checklist to its end; `more` goes to subprocess.run (e.g. preexec_fn)."""
    done = subprocess.run(**checklist(reports, *args, env=env), capture_output=True, timeout=120, **more)
    return Checklist(done.returncode, done.stdout + done.stderr, reports)


def verify_archive(reports: Path) -> subprocess.CompletedProcess[str]:
    """`opsverify archive verify --reports REPORTS`."""
    return subprocess.run([sys.executable, "-m", "opsverify.cli", "archive", "verify", "--reports", str(reports)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def started_checklist(reports: Path, *args: str) -> subprocess.Popen[str]:
    """The checklist started in the background (output in .stdout), returned once its run folder exists:
    by then the environment file is read and the archive checked, and no check has ended."""
    running = subprocess.Popen(**checklist(reports, *args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while not list(reports.glob("*/*/*")) and running.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    return running


def sqlite_environment(folder: Path, silent_port: int | None = None) -> Path:
    """An environment `shop` with a SQLite database (a check that writes no file of its own) and, with a port,
    an endpoint that never answers within its 3 s timeout, so a run lasts long enough to change things under it."""
    database = folder / "app.db"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE IF NOT EXISTS orders (id INTEGER)")
    text = f"environment: shop\ndatabases:\n  - {{name: app, url: 'sqlite:///{database}'}}\n"
    if silent_port is not None:
        text += f"endpoints:\n  - {{name: silent, url: 'http://127.0.0.1:{silent_port}/', timeout: 3s}}\n"
    path = folder / "shop.yml"
    path.write_text(text)
    return path


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
