"""Benchmark: loading the shipped environment examples, and a 534-byte YAML alias bomb.

    .venv/bin/python benchmarks/check_env.py                 # measure, print, append to results/check_env.jsonl
    .venv/bin/python benchmarks/check_env.py --compare main  # the same for REV, alternating, under the same load
    .venv/bin/python benchmarks/check_env.py --repeat 3 --no-record

For each example under fixtures/environments (production.yml and examples/*.yml):

  load      `opsverify.spec.load(FILE)` in a fresh process, after one warm-up: median of REPEAT rounds of 20 loads.
  check-env `python -m opsverify.cli check-env FILE` as a user runs it (imports included): median of REPEAT.

With --compare REV, a `git archive` of REV is measured too (first on PYTHONPATH), one example after the other
in turn with the working tree, so that other work on the machine weighs on both alike.

Then the "billion laughs" file of the reliability review (9 levels of ten aliases): `check-env` on it with the
working tree, under a 60 s timeout and a 2 GiB address-space limit, with its exit code and its last line.

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
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "check_env.jsonl"
sys.path.insert(0, str(ROOT))

from tests.spec.helpers import bomb  # noqa: E402

EXAMPLES = [ROOT / "fixtures/environments/production.yml",
            *sorted((ROOT / "fixtures/environments/examples").glob("*.yml"))]
LOADS = 20
BOMB_LIMIT = 2 << 30  # bytes of address space for the bomb's process
_TIMED = """import json, statistics, sys, time
from opsverify.spec import load
path, repeat, loads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
load(path, environ={})
rounds = []
for _ in range(repeat):
    start = time.perf_counter()
    for _ in range(loads):
        load(path, environ={})
    rounds.append((time.perf_counter() - start) / loads * 1000)
print(json.dumps(statistics.median(rounds)))
"""


def _environ(code: Path) -> dict[str, str]:
    """The process environment that makes `code` the opsverify imported."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(code), os.environ.get("PYTHONPATH", "")])}


def load_ms(code: Path, path: Path, repeat: int) -> float:
    """Median milliseconds of one load() of `path` with the opsverify in `code`."""
    done = subprocess.run([sys.executable, "-c", _TIMED, str(path), str(repeat), str(LOADS)], cwd=code,
                          env=_environ(code), capture_output=True, text=True, check=True)
    return round(json.loads(done.stdout), 2)


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (BOMB_LIMIT, BOMB_LIMIT))


def check_env(code: Path, path: Path, bounded: bool = False) -> tuple[float, int, str]:
    """Wall seconds, exit code and last output line of `opsverify check-env FILE` with the opsverify in `code`."""
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "opsverify.cli", "check-env", str(path)], cwd=code,
                              env=_environ(code), capture_output=True, text=True, timeout=60,
                              preexec_fn=_limited if bounded else None)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, -1, "timed out after 60 s"
    said = (done.stdout + done.stderr).strip().splitlines()
    return time.perf_counter() - start, done.returncode, (said[-1] if said else "")[:160]


def measure(repeat: int, trees: dict[str, Path]) -> dict[str, dict[str, object]]:
    """Every example with every tree in turn, then the bomb with the working tree."""
    found: dict[str, dict[str, object]] = {}
    for path in EXAMPLES:
        numbers: dict[str, object] = {"bytes": path.stat().st_size}
        for name, code in trees.items():
            numbers[f"{name}_load_ms"] = load_ms(code, path, repeat)
            numbers[f"{name}_check_env_s"] = round(statistics.median(
                check_env(code, path)[0] for _ in range(repeat)), 3)
        found[path.name] = numbers
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bomb.yml"
        path.write_text(bomb(9))
        wall, code, said = check_env(ROOT, path, bounded=True)
        found["bomb.yml"] = {"bytes": path.stat().st_size, "check_env_s": round(wall, 3), "exit": code,
                             "said": said}
    return found


def extracted(rev: str, folder: Path) -> Path:
    """A `git archive` of REV unpacked into folder."""
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
    tar = folder / "tree.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as unpacked:
        unpacked.extractall(folder / "tree", filter="data")
    return folder / "tree"


def main() -> None:
    """Measure, print, and append to results/check_env.jsonl."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--compare", metavar="REV", help="also measure this revision, in turn with the tree")
    parser.add_argument("--no-record", action="store_true")
    options = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        trees = {"tree": ROOT, **({options.compare: extracted(options.compare, Path(folder))}
                                  if options.compare else {})}
        found = measure(options.repeat, trees)
    for name, numbers in found.items():
        shown = ", ".join(f"{tree}: load {numbers[f'{tree}_load_ms']:.1f} ms, check-env "
                          f"{numbers[f'{tree}_check_env_s']:.2f} s" for tree in trees if f"{tree}_load_ms" in numbers)
        print(f"{name:28} {numbers['bytes']:>6} B: " + (shown or f"check-env {numbers['check_env_s']:.2f} s, "
                                                        f"exit {numbers['exit']}: {numbers['said']}"))
    if options.no_record:
        return
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    changed = subprocess.run(["git", "status", "--porcelain", "--", "opsverify"], cwd=ROOT, capture_output=True,
                             text=True)
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                          "platform": platform.platform(), "load": load_before,
                                          "load_end": os.getloadavg()},
                              "commit": commit.stdout.strip(), "uncommitted": bool(changed.stdout.strip()),
                              "compare": options.compare, "repeat": options.repeat, "examples": found}) + "\n")
    print(f"appended to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
