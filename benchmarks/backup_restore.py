"""Benchmark: the restore drill of a pg_dump custom archive against a bare `pg_restore` of the same archive.

    .venv/bin/python benchmarks/backup_restore.py               # 5M rows, 3 repetitions, appends to results/
    .venv/bin/python benchmarks/backup_restore.py --rows 300000 --repeat 1 --no-record   # a quick look

Needs the machine's PostgreSQL on 127.0.0.1:5432 (user postgres, trust). A source database with one
table of `--rows` rows (and its primary key) is created, dumped once with `pg_dump -Fc` into /tmp, and
dropped at the end with the archive. Measured as child processes, each going first in turn, each after an
untimed CHECKPOINT (median wall time):

  pg_restore   the bare restore: `pg_restore --no-owner --no-privileges --exit-on-error -d DB ARCHIVE` into an
               empty database made just before (createdb and dropdb are not timed)
  manual       what a person's drill costs: createdb + the same pg_restore + dropdb, timed together
  drill        restore_drill(item) as the suite calls it: the watchdog, CREATE DATABASE, the same pg_restore,
               count(*) of every table checked against expect_min_rows, DROP DATABASE (timed inside a
               child process, so interpreter start and imports, paid once per pytest run, are left out;
               the child's whole wall time is reported too, as drill_process)

Goal (issue 3): drill <= 1.1 x pg_restore.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from backup_bench import PYTHON, Run, median, record, timed  # noqa: E402

PG = ["-h", "127.0.0.1", "-U", "postgres"]
RESTORE = ["--no-owner", "--no-privileges", "--exit-on-error"]
DRILL = """
import json, sys, time
from opsverify.checks.backup.restore import restore_drill
from opsverify.spec.models.backups import Backup
item = Backup.model_validate({"name": "bench", "path": sys.argv[1], "max_age": "1d", "format": "pg_custom",
                              "restore": {"into": "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                                          "max_duration": "30m", "expect_min_rows": {"ledger": int(sys.argv[2])}}})
started = time.perf_counter()
result = restore_drill(item)
print(json.dumps({"status": result.status.value, "reason": result.reason, "steps": result.evidence.get("steps"),
                  "call_s": time.perf_counter() - started}))
"""


def psql(sql: str, database: str = "postgres") -> None:
    """Run SQL on the machine's PostgreSQL."""
    subprocess.run(["psql", *PG, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql], check=True)


def source(name: str, rows: int, archive: Path) -> None:
    """A database with one table of `rows` rows, dumped with pg_dump -Fc."""
    psql(f'CREATE DATABASE "{name}"')
    psql("CREATE TABLE ledger (id bigint PRIMARY KEY, account text NOT NULL, amount numeric(12,2) NOT NULL, "
         "booked_at timestamptz NOT NULL, memo text);"
         f"INSERT INTO ledger SELECT g, 'acct-' || (g % 5000), (g % 100000) / 100.0, "
         f"now() - g * interval '1 second', md5(g::text) FROM generate_series(1, {rows}) g", name)
    subprocess.run(["pg_dump", *PG, "-Fc", "-f", str(archive), name], check=True)


def pg_restore(archive: Path) -> Run:
    """pg_restore alone, into an empty database created (and dropped) untimed."""
    name = f"opsv_bench_bare_{secrets.token_hex(3)}"
    psql(f'CREATE DATABASE "{name}"')
    try:
        return timed(["pg_restore", *PG, *RESTORE, "-d", name, str(archive)])
    finally:
        psql(f'DROP DATABASE "{name}" WITH (FORCE)')


def manual(archive: Path) -> Run:
    """createdb + pg_restore + dropdb, timed together."""
    name = f"opsv_bench_manual_{secrets.token_hex(3)}"
    return timed(["sh", "-c", f"createdb {' '.join(PG)} {name} && pg_restore {' '.join(PG + RESTORE)} -d {name} "
                              f"{archive} && dropdb {' '.join(PG)} {name}"])


def main() -> int:
    """Build the source, measure, print, record, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="opsverify-bench-", dir="/tmp"))
    name = f"opsv_bench_src_{secrets.token_hex(3)}"
    archive = folder / "db-1.dump"
    runs: dict[str, list[Run]] = {"pg_restore": [], "manual": [], "drill_process": []}
    try:
        source(name, args.rows, archive)
        psql("CHECKPOINT")
        commands = {"pg_restore": lambda: pg_restore(archive), "manual": lambda: manual(archive),
                    "drill_process": lambda: timed([str(PYTHON), "-c", DRILL, str(folder / "db-*"), str(args.rows)])}
        order = list(commands)
        for round_ in range(args.repeat):  # each command goes first in turn: none always meets a cold cache
            for label in order[round_ % 3:] + order[:round_ % 3]:
                psql("CHECKPOINT")  # untimed: no command pays for the WAL the one before it wrote
                runs[label].append(commands[label]())
    finally:
        psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        size = archive.stat().st_size if archive.exists() else 0
        shutil.rmtree(folder, ignore_errors=True)
    for label, done in runs.items():
        if any(run.code != 0 for run in done):
            raise SystemExit(f"{label} failed: {next(r.out for r in done if r.code != 0)}")
    outcomes = [json.loads(run.out.strip().splitlines()[-1]) for run in runs["drill_process"]]
    failed = [o for o in outcomes if o["status"] != "passed"]
    if failed:
        raise SystemExit(f"the drill did not pass: {failed[0]['reason']}")
    outcome = outcomes[-1]
    report = {"rows": args.rows, "archive_bytes": size, "repeat": args.repeat,
              **{f"{label}_s": round(median(done), 3) for label, done in runs.items()},
              "drill_s": round(statistics.median(o["call_s"] for o in outcomes), 3), "drill_steps": outcome["steps"],
              "samples_s": {label: [round(run.seconds, 3) for run in done] for label, done in runs.items()}
              | {"drill": [round(o["call_s"], 3) for o in outcomes]}}
    report["ratio_to_pg_restore"] = round(report["drill_s"] / report["pg_restore_s"], 3)
    report["ratio_to_manual"] = round(report["drill_s"] / report["manual_s"], 3)
    report["goals"] = {"drill <= 1.1 x pg_restore": report["ratio_to_pg_restore"] <= 1.1}
    print(f"{args.rows} rows, archive {size / 2**20:.1f} MiB: pg_restore {report['pg_restore_s']:.2f}s, "
          f"createdb+pg_restore+dropdb {report['manual_s']:.2f}s, drill {report['drill_s']:.2f}s "
          f"(its process {report['drill_process_s']:.2f}s)")
    print("drill steps:", ", ".join(f"{s['step'].split(' opsv_')[0]} {s['seconds']}s" for s in outcome["steps"]))
    print(f"drill / pg_restore = {report['ratio_to_pg_restore']}   drill / manual = {report['ratio_to_manual']}")
    print("goals:", ", ".join(f"{k}: {'met' if v else 'MISSED'}" for k, v in report["goals"].items()))
    if not args.no_record:
        print("recorded in", record("backup_restore", report))
    return 0 if all(report["goals"].values()) else 1


if __name__ == "__main__":
    os.environ.pop("PGPASSWORD", None)
    sys.exit(main())
