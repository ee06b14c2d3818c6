"""Benchmark: the log check on a 1 GiB log with a 24 h window at its end, against tail -c | grep -c.

    .venv/bin/python benchmarks/log_scan.py               # 1 GiB, 5 repetitions, appends to results/log_scan.jsonl
    .venv/bin/python benchmarks/log_scan.py --size 256MiB --repeat 3 --no-record   # a quick look

The log is a Laravel-style app.log written into a temp folder: SPAN_DAYS days of lines ending now,
about one line in a thousand an ERROR. Measured, interleaved after one warm-up of each (so both
read from the page cache):

  check     opsverify.checks.logs.matches on a local:// host item (pattern ERROR|CRITICAL, window 24h,
            max 10**9), in this process: the backwards scan, timestamps, counting
  baseline  sh -c 'tail -c BYTES FILE | grep -c -E "ERROR|CRITICAL"' where BYTES is the size of the
            window's part of the file (known from writing it): reading the same bytes and counting

Goal (from the issue): check < 2 x baseline. Both must count the same lines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from opsverify.checks.host import OnHost  # noqa: E402 - after the path is set
from opsverify.checks.logs import matches  # noqa: E402
from opsverify.spec.models.hosts import Host  # noqa: E402
from opsverify.spec.units import parse_size  # noqa: E402

RESULTS = HERE / "results" / "log_scan.jsonl"
GOAL = 2.0
SPAN_DAYS = 30
WINDOW_S = 86400
PATTERN = "ERROR|CRITICAL"
MESSAGES = (
    'production.INFO: Order placed {{"order_id":{a},"user_id":{b}}}',
    'production.INFO: User signed in {{"user_id":{b},"ip":"203.0.113.{c}"}}',
    'production.INFO: Quote requested {{"product_id":{c},"qty":{b}}}',
    'production.DEBUG: Cache hit {{"key":"products:{a}"}}',
    'production.WARNING: Slow query {{"ms":{a},"sql":"select * from `orders` where `user_id` = ?"}}',
)
ERROR = "production.ERROR: cURL error 28: Operation timed out after {a} milliseconds (payment provider)"


def write_log(path: Path, size: int, now: float) -> tuple[int, int]:
    """Write about `size` bytes of log ending at `now`; return (bytes in the window, ERROR lines in it)."""
    rng = random.Random(5)
    pool = [(ERROR if i % 1000 == 0 else MESSAGES[i % len(MESSAGES)]).format(
        a=rng.randrange(99991), b=rng.randrange(500), c=rng.randrange(251)) + "\n" for i in range(4000)]
    average = len("[2026-11-22 09:00:01] ") + sum(len(text) for text in pool) / len(pool)
    lines_total = int(size / average)
    step = SPAN_DAYS * 86400 / lines_total
    at, since = now - SPAN_DAYS * 86400, now - WINDOW_S
    window_offset, errors, written, batch = None, 0, 0, []
    stamp_second, stamp = -1, ""
    with path.open("wb") as out:
        for _ in range(lines_total):
            second = int(at)
            if second != stamp_second:
                stamp_second, stamp = second, time.strftime("[%Y-%m-%d %H:%M:%S] ", time.localtime(second))
            text = pool[int(rng.random() * 4000)]
            if window_offset is None and at >= since:
                data = "".join(batch).encode()
                out.write(data)
                written, batch, window_offset = written + len(data), [], written + len(data)
            if window_offset is not None and text.startswith("production.ERROR"):
                errors += 1
            batch.append(stamp + text)
            if len(batch) >= 100000:
                data = "".join(batch).encode()
                out.write(data)
                written, batch = written + len(data), []
            at += step
        data = "".join(batch).encode()
        out.write(data)
        written += len(data)
    return written - (window_offset or 0), errors


def run_check(path: Path) -> tuple[float, int]:
    """Wall seconds of the log check and the count it reported."""
    host = Host.model_validate({"name": "bench", "target": "local://", "logs": [
        {"name": "app-errors", "path": str(path), "pattern": PATTERN, "window": "24h", "max": 10 ** 9}]})
    begin = time.perf_counter()
    result = matches(OnHost(host, host.logs[0]))
    elapsed = time.perf_counter() - begin
    if result.status.value != "passed":
        raise RuntimeError(f"the check did not pass: {result.reason}")
    return elapsed, int(result.value)


def run_baseline(path: Path, window_bytes: int) -> tuple[float, int]:
    """Wall seconds of tail -c | grep -c over the window's bytes, and grep's count."""
    command = f"tail -c {window_bytes} {path} | grep -c -E '{PATTERN}'"
    begin = time.perf_counter()
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - begin
    return elapsed, int(done.stdout.strip() or 0)


def git_commit() -> str:
    """The checkout's commit, or 'unknown'."""
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def main() -> int:
    """Write the log, measure both commands interleaved, print and record the medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1GiB", help="log size (default 1GiB)")
    parser.add_argument("--repeat", type=int, default=5, help="measured runs of each (default 5)")
    parser.add_argument("--no-record", action="store_true", help=f"do not append to {RESULTS.name}")
    args = parser.parse_args()
    size = parse_size(args.size)
    folder = Path(tempfile.mkdtemp(prefix="opsv-logbench-"))
    try:
        path = folder / "app.log"
        begin = time.perf_counter()
        window_bytes, expected = write_log(path, size, time.time())
        print(f"wrote {path.stat().st_size / 2**20:.0f} MiB in {time.perf_counter() - begin:.1f}s; "
              f"the 24h window is the last {window_bytes / 2**20:.1f} MiB with {expected} ERROR lines")
        run_check(path), run_baseline(path, window_bytes)  # warm-up: page cache, imports
        checks, baselines = [], []
        for _ in range(args.repeat):
            seconds, counted = run_check(path)
            checks.append(seconds)
            base, grepped = run_baseline(path, window_bytes)
            baselines.append(base)
            if not counted == grepped == expected:
                raise RuntimeError(f"counts differ: check {counted}, grep {grepped}, written {expected}")
        check, baseline = statistics.median(checks), statistics.median(baselines)
        ratio = check / baseline
        verdict = "PASS" if ratio < GOAL else "MISS"
        print(f"check     median {check * 1000:7.1f} ms  (min {min(checks) * 1000:.1f}, max {max(checks) * 1000:.1f})")
        print(f"baseline  median {baseline * 1000:7.1f} ms  (min {min(baselines) * 1000:.1f}, "
              f"max {max(baselines) * 1000:.1f})  tail -c {window_bytes} | grep -c")
        print(f"ratio check/baseline {ratio:.2f} (goal < {GOAL}): {verdict}")
        if not args.no_record:
            RESULTS.parent.mkdir(exist_ok=True)
            record = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                      "commit": git_commit(), "machine": platform.node(), "cpus": os.cpu_count(),
                      "load_1m": os.getloadavg()[0], "python": platform.python_version(),
                      "log_bytes": path.stat().st_size, "window_bytes": window_bytes, "errors": expected,
                      "repeat": args.repeat, "check_s": checks, "baseline_s": baselines,
                      "check_median_s": check, "baseline_median_s": baseline, "ratio": round(ratio, 3),
                      "goal": GOAL, "verdict": verdict}
            with RESULTS.open("a", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")
        return 0 if ratio < GOAL else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
