"""Shared pieces of the backup benchmarks: timed child processes (wall time and peak RSS), results files."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = ROOT / ".venv" / "bin" / "python"


@dataclass(frozen=True)
class Run:
    """One child process: wall seconds, exit code and output."""

    seconds: float
    code: int
    out: str


def timed(argv: list[str], env: dict[str, str] | None = None) -> Run:
    """Run a command to its end: wall time from spawn to exit, and what it printed."""
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    return Run(time.perf_counter() - started, done.returncode, done.stdout.decode(errors="replace"))


def median(runs: list[Run]) -> float:
    """The median wall time."""
    return statistics.median(run.seconds for run in runs)


def machine() -> dict[str, object]:
    """CPU count, load, OS and Python."""
    return {"nproc": os.cpu_count(), "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
            "system": f"{platform.system()} {platform.release()}", "python": platform.python_version()}


def commit() -> str:
    """The checkout's git commit (with + when it has changes)."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
    return head.stdout.strip() + ("+" if dirty.stdout.strip() else "")


def record(name: str, entry: dict[str, object]) -> Path:
    """Append one JSON line to results/<name>.jsonl."""
    path = HERE / "results" / f"{name}.jsonl"
    path.parent.mkdir(exist_ok=True)
    entry = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "commit": commit(),
             "machine": machine(), **entry}
    with open(path, "a") as out:
        out.write(json.dumps(entry) + "\n")
    return path
