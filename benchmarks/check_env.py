"""Benchmark: loading the shipped environment examples, and a 534-byte YAML alias bomb.

    .venv/bin/python benchmarks/check_env.py            # measure, print, append to results/check_env.jsonl
    .venv/bin/python benchmarks/check_env.py --repeat 3 --no-record

For each example under fixtures/environments (production.yml and examples/*.yml):

  load      `opsverify.spec.load(FILE)` in this process, after one warm-up: median and best of REPEAT x 20 loads.
  check-env `python -m opsverify.cli check-env FILE` as a user runs it (imports included): median of REPEAT.

Then the "billion laughs" file of the reliability review (9 levels of ten aliases, 534 bytes): `check-env`
on it, under a 60 s timeout and a 2 GiB address-space limit, with its exit code and its first line.

Goal (issue 20): the bomb is refused in milliseconds, and the examples load no slower than before the bounds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "check_env.jsonl"
sys.path.insert(0, str(ROOT))

from opsverify.spec import load  # noqa: E402
from tests.spec.helpers import bomb  # noqa: E402

EXAMPLES = [ROOT / "fixtures/environments/production.yml",
            *sorted((ROOT / "fixtures/environments/examples").glob("*.yml"))]
LOADS = 20
BOMB_LIMIT = 2 << 30  # bytes of address space for the bomb's process


def in_process(path: Path, repeat: int) -> dict[str, float]:
    """Median and best milliseconds of one load(), over repeat rounds of LOADS loads."""
    load(path, environ={})
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(LOADS):
            load(path, environ={})
        rounds.append((time.perf_counter() - start) / LOADS * 1000)
    return {"load_median_ms": round(statistics.median(rounds), 2), "load_min_ms": round(min(rounds), 2)}


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (BOMB_LIMIT, BOMB_LIMIT))


def check_env(path: Path, bounded: bool = False) -> tuple[float, int, str]:
    """Wall seconds, exit code and first output line of `opsverify check-env FILE`."""
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "opsverify.cli", "check-env", str(path)], cwd=ROOT,
                              capture_output=True, text=True, timeout=60, preexec_fn=_limited if bounded else None)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, -1, "timed out after 60 s"
    said = (done.stdout + done.stderr).strip().splitlines()
    return time.perf_counter() - start, done.returncode, (said[-1] if said else "")[:160]


def measure(repeat: int) -> dict[str, dict[str, object]]:
    """Every example, then the bomb."""
    found: dict[str, dict[str, object]] = {}
    for path in EXAMPLES:
        numbers: dict[str, object] = {"bytes": path.stat().st_size, **in_process(path, repeat)}
        walls = [check_env(path)[0] for _ in range(repeat)]
        numbers["check_env_median_s"] = round(statistics.median(walls), 3)
        found[path.name] = numbers
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bomb.yml"
        path.write_text(bomb(9))
        wall, code, said = check_env(path, bounded=True)
        found["bomb.yml"] = {"bytes": path.stat().st_size, "check_env_s": round(wall, 3), "exit": code,
                             "said": said}
    return found


def main() -> None:
    """Measure, print, and append to results/check_env.jsonl."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-record", action="store_true")
    options = parser.parse_args()
    found = measure(options.repeat)
    for name, numbers in found.items():
        if "load_median_ms" in numbers:
            print(f"{name:28} {numbers['bytes']:>6} B: load {numbers['load_median_ms']:.1f} ms "
                  f"(best {numbers['load_min_ms']:.1f}); check-env {numbers['check_env_median_s']:.2f} s")
        else:
            print(f"{name:28} {numbers['bytes']:>6} B: check-env {numbers['check_env_s']:.2f} s, "
                  f"exit {numbers['exit']}: {numbers['said']}")
    if options.no_record:
        return
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True)
    changed = subprocess.run(["git", "status", "--porcelain", "--", "opsverify"], cwd=HERE, capture_output=True,
                             text=True)
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                          "platform": platform.platform(), "load": os.getloadavg()},
                              "commit": commit.stdout.strip(), "uncommitted": bool(changed.stdout.strip()),
                              "repeat": options.repeat, "examples": found}) + "\n")
    print(f"appended to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
