"""Benchmark: the daily run against five hostile targets at once, its wall time and peak memory.

    .venv/bin/python benchmarks/hostile_run.py              # 3 runs and one each interrupted by SIGINT, SIGTERM
    .venv/bin/python benchmarks/hostile_run.py --repeat 1 --no-record

Targets (served by this process, tests/support/hostile.py), every item `timeout: 3s`: HTTP headers,
a Redis reply and an SMTP banner sent one byte a second, a PostgreSQL that logs in and never answers
a query, an HTTP body of 1 GiB at loopback speed (with a `contains` that needs the whole body).

Goal (issue 20): the run finishes within 30 s plus its items' timeouts (45 s), peak RSS of the pytest
process under 200 MB, every check an error with its cause, the report written. SIGINT or SIGTERM two
seconds after the first probe ends the run within a few seconds, the report and record written.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from backup_bench import PYTHON, record  # noqa: E402
from tests.support import hostile_run  # noqa: E402

GOAL_SECONDS = 30 + 5 * hostile_run.TIMEOUT
GOAL_MB = 200


def main() -> int:
    """Measure, print, and append to results/hostile_run.jsonl."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    runs, stops = [], {}
    with tempfile.TemporaryDirectory(prefix="opsverify-hostile-") as folder:
        with hostile_run.environment(Path(folder)) as (env, probed):
            for index in range(args.repeat):
                run = hostile_run.run(env, probed, Path(folder) / f"run{index}", python=str(PYTHON))
                runs.append({"seconds": round(run.seconds, 2), "peak_rss_mb": run.peak_rss_mb and round(run.peak_rss_mb, 1),
                             "exit": run.code, "checks": {k: f"{o}: {r}" for k, (o, r) in run.outcomes().items()}})
                print(f"run {index + 1}: {run.seconds:.1f} s, peak RSS {run.peak_rss_mb or 0:.0f} MB, exit {run.code}")
            for stop in (signal.SIGINT, signal.SIGTERM):
                run = hostile_run.run(env, probed, Path(folder) / stop.name, python=str(PYTHON), interrupt=stop)
                stops[stop.name] = {"after_signal_s": round(run.after_signal or 0, 2), "exit": run.code,
                                    "report": run.report.exists(), "record_checks": len(run.record["checks"])}
                print(f"{stop.name} 2 s after the first probe: ended {run.after_signal:.2f} s later, exit {run.code}, "
                      f"report and record written")
    for test, outcome in runs[-1]["checks"].items():
        print(f"  {test}: {outcome}")
    seconds = statistics.median(r["seconds"] for r in runs)
    peak = max(r["peak_rss_mb"] or 0 for r in runs)
    met = seconds < GOAL_SECONDS and peak < GOAL_MB and all(s["after_signal_s"] < 5 for s in stops.values())
    print(f"median {seconds:.1f} s (goal < {GOAL_SECONDS:.0f} s), peak RSS {peak:.0f} MB (goal < {GOAL_MB} MB): "
          f"{'met' if met else 'MISSED'}")
    if not args.no_record:
        print(f"recorded in {record('hostile_run', {'runs': runs, 'stops': stops, 'median_s': seconds, 'peak_rss_mb': peak, 'goal_met': met})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
