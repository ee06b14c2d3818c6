"""Benchmark: what reading a SQL dump as its client will (pgscript, mysqlscript) costs a restore drill.

    .venv/bin/python benchmarks/dump_reading.py                  # 300k rows, 3 repetitions, appends to results/
    .venv/bin/python benchmarks/dump_reading.py --rows 50000 --repeat 1 --no-record   # a quick look

Needs the machine's PostgreSQL (127.0.0.1:5432, postgres, trust) and MariaDB (127.0.0.1:3306, root). A table
of `--rows` rows whose text is full of backslashes and quotes is dumped three ways: pg_dump (COPY data),
pg_dump --inserts of its first tenth (all SQL; psql commits each INSERT, so the server sets the pace) and
mariadb-dump. For each dump, as child processes (median wall time):

  reader   the reader alone over the file in 1 MiB pieces: MB/s of wall and of CPU time, and peak RSS
  bare     the client alone loading the file into an empty database (psql -f / mariadb <), as the superuser
  drill    the drill's restore step (reader, restricted psql or fenced mariadb, throwaway role), from its evidence

Goals: the reader reads faster (per CPU second) than the client loads, so with a core of its own it is
never the bottleneck of the pipe; its peak memory stays under 100 MB whatever the dump's size; and the
drill's restore step is within 1.25 x bare (on a busy machine the reader's CPU competes with the client's).
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
MARIA = ["-h", "127.0.0.1", "-u", "root"]
READER = """
import json, resource, sys, time
from opsverify.checks.backup.mysqlscript import Mariadb
from opsverify.checks.backup.pgscript import Psql
reader = Psql("dump", strict=False) if sys.argv[2] == "pg" else Mariadb("dump")
def chunks():
    with open(sys.argv[1], "rb") as stream:
        while chunk := stream.read(1 << 20):
            yield chunk
started, cpu, size = time.perf_counter(), time.process_time(), 0
for piece in reader(chunks()):
    size += len(piece)
print(json.dumps({"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu, "bytes": size,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
DRILL = """
import json, sys
from opsverify.checks.backup.restore import restore_drill
from opsverify.spec.models.backups import Backup
item = Backup.model_validate({"name": "bench", "path": sys.argv[1], "max_age": "1d", "format": sys.argv[2],
                              "restore": {"into": sys.argv[3], "max_duration": "30m",
                                          "expect_min_rows": {sys.argv[4]: int(sys.argv[5])}}})
result = restore_drill(item)
steps = {step["step"]: step["seconds"] for step in result.evidence.get("steps", [])}
print(json.dumps({"status": result.status.value, "reason": result.reason, "restore_s": steps.get("restore")}))
"""


def sql(tool: str, statement: str, database: str = "") -> None:
    """One statement through psql or mariadb, as the superuser."""
    argv = ["psql", *PG, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database or "postgres", "-c", statement] \
        if tool == "pg" else ["mariadb", *MARIA, *([database] if database else []), "-e", statement]
    subprocess.run(argv, check=True)


def sources(rows: int, folder: Path) -> tuple[str, dict[str, Path]]:
    """The source databases and their three dumps."""
    name = f"opsv_bench_dump_{secrets.token_hex(3)}"
    fill = (f"INSERT INTO notes SELECT g, 'note ' || g || E' with a \\\\ backslash, \\\\N, a '' quote and \\\\! "
            f"no command', md5(g::text) FROM generate_series(1, {rows}) g")
    sql("pg", f'CREATE DATABASE "{name}"')
    sql("pg", "CREATE TABLE notes (id int PRIMARY KEY, body text, digest text)", name)
    sql("pg", fill, name)
    sql("maria", f"CREATE DATABASE `{name}`")
    sql("maria", "CREATE TABLE notes (id int PRIMARY KEY, body text, digest text)", name)
    sql("maria", f"INSERT INTO notes SELECT seq, concat('note ', seq, ' with a \\\\\\\\ backslash, \\\\\\\\N, a '' "
                 f"quote and \\\\\\\\! no command'), md5(seq) FROM seq_1_to_{rows}", name)
    dumps = {"pg_copy": folder / "pg_copy" / "db-1.sql", "pg_inserts": folder / "pg_inserts" / "db-1.sql",
             "mariadb": folder / "mariadb" / "db-1.sql"}
    for path in dumps.values():
        path.parent.mkdir()
    sql("pg", f"CREATE TABLE tenth AS SELECT * FROM notes WHERE id <= {max(1, rows // 10)}", name)
    for label, argv in (("pg_copy", ["pg_dump", *PG, "-T", "tenth", name]),
                        ("pg_inserts", ["pg_dump", *PG, "--inserts", "-t", "tenth", name]),
                        ("mariadb", ["mariadb-dump", *MARIA, "--single-transaction", name])):
        with open(dumps[label], "wb") as out:
            subprocess.run(argv, stdout=out, check=True)
    return name, dumps


def bare(label: str, dump: Path) -> Run:
    """The client alone, into an empty database made (and dropped) untimed."""
    tool = "maria" if label == "mariadb" else "pg"
    target = f"opsv_bench_bare_{secrets.token_hex(3)}"
    sql(tool, f'CREATE DATABASE "{target}"' if tool == "pg" else f"CREATE DATABASE `{target}`")
    try:
        client = f"psql {' '.join(PG)} -X -q -v ON_ERROR_STOP=1 -d {target} -f {dump} >/dev/null" if tool == "pg" \
            else f"mariadb {' '.join(MARIA)} {target} < {dump}"
        return timed(["sh", "-c", client])
    finally:
        sql(tool, f'DROP DATABASE "{target}" WITH (FORCE)' if tool == "pg" else f"DROP DATABASE `{target}`")


def main() -> int:
    """Build the sources, measure, print, record, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="opsverify-bench-", dir="/tmp"))
    name, report = "", {"rows": args.rows, "repeat": args.repeat, "dumps": {}}
    try:
        name, dumps = sources(args.rows, folder)
        for label, dump in dumps.items():
            kind, into = ("mysqldump", "mysql+pymysql://root@127.0.0.1:3306") if label == "mariadb" else \
                ("pg_dump", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
            table, rows = ("tenth", max(1, args.rows // 10)) if label == "pg_inserts" else ("notes", args.rows)
            readers, bares, drills = [], [], []
            for _ in range(args.repeat):
                run = timed([str(PYTHON), "-c", READER, str(dump), "maria" if label == "mariadb" else "pg"])
                readers.append(json.loads(run.out.strip().splitlines()[-1]))
                bares.append(bare(label, dump))
                run = timed([str(PYTHON), "-c", DRILL, str(dump.parent / "db-*"), kind, into, table, str(rows)])
                drills.append(json.loads(run.out.strip().splitlines()[-1]))
            if any(d["status"] != "passed" for d in drills):
                raise SystemExit(f"the {label} drill did not pass: {drills[0]['reason']}")
            size = dump.stat().st_size
            reader_s = statistics.median(r["seconds"] for r in readers)
            reader_cpu = statistics.median(r["cpu_seconds"] for r in readers)
            entry = {"dump_bytes": size, "reader_s": round(reader_s, 3),
                     "reader_mb_s": round(size / 2**20 / reader_s, 1),
                     "reader_cpu_mb_s": round(size / 2**20 / reader_cpu, 1),
                     "reader_peak_rss_mb": round(max(r["peak_rss_mb"] for r in readers), 1),
                     "bare_s": round(median(bares), 3), "bare_mb_s": round(size / 2**20 / median(bares), 1),
                     "drill_restore_s": round(statistics.median(d["restore_s"] for d in drills), 3)}
            entry["drill_to_bare"] = round(entry["drill_restore_s"] / entry["bare_s"], 3)
            entry["samples_s"] = {"bare": [round(run.seconds, 3) for run in bares],
                                  "drill_restore": [d["restore_s"] for d in drills]}
            report["dumps"][label] = entry
            print(f"{label}: {size / 2**20:.1f} MiB; reader {entry['reader_mb_s']} MB/s, "
                  f"{entry['reader_cpu_mb_s']} MB/s of CPU (peak "
                  f"{entry['reader_peak_rss_mb']} MB), client alone {entry['bare_mb_s']} MB/s; drill restore "
                  f"{entry['drill_restore_s']}s vs client alone {entry['bare_s']}s = {entry['drill_to_bare']}x")
    finally:
        if name:
            sql("pg", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            sql("maria", f"DROP DATABASE IF EXISTS `{name}`")
        shutil.rmtree(folder, ignore_errors=True)
    dumps = report["dumps"]
    report["goals"] = {
        "reader faster than the client": all(d["reader_cpu_mb_s"] > d["bare_mb_s"] for d in dumps.values()),
        "reader peak RSS < 100 MB": all(d["reader_peak_rss_mb"] < 100 for d in dumps.values()),
        "drill restore <= 1.25 x client alone": all(d["drill_to_bare"] <= 1.25 for d in dumps.values())}
    print("goals:", ", ".join(f"{k}: {'met' if v else 'MISSED'}" for k, v in report["goals"].items()))
    if not args.no_record:
        print("recorded in", record("dump_reading", report))
    return 0 if all(report["goals"].values()) else 1


if __name__ == "__main__":
    os.environ.pop("PGPASSWORD", None)
    sys.exit(main())
