"""Table growth since the previous archived run: a real cluster with a real archive, and two real checklist runs."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from pathlib import Path

from opsverify.checks.db.maintenance import growth
from opsverify.result import Status
from tests.dbstats.helpers import archive, context, database, pg_admin
from tests.plugin.conftest import run_checklist
from tests.support.pg_cluster import PgCluster

NODEID = "verify/test_database.py::test_database_table_growth[main]"


def test_a_table_growing_past_its_limit_since_the_last_run_fails(pg: PgCluster, dbname: str, tmp_path: Path) -> None:
    db = database(pg.url(dbname), max_table_growth="50%", warn_max_table_growth="20%")
    with pg_admin(pg.port, dbname) as admin:
        admin.execute("CREATE TABLE orders (id int, note text); INSERT INTO orders SELECT g, 'x' FROM "
                      "generate_series(1, 100) g")
        admin.execute("CREATE TABLE users (id int); INSERT INTO users SELECT generate_series(1, 100)")
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    last_week = context(tmp_path, NODEID, now - dt.timedelta(days=7))
    first = growth(db, context=last_week)
    assert first.status is Status.WARNING
    assert first.reason == "a first reading: no earlier archived run of this check to compare 2 table sizes with; " \
                           "they are recorded for the next run"
    archive(last_week, first)
    with pg_admin(pg.port, dbname) as admin:
        admin.execute("INSERT INTO orders SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g")
    result = growth(db, context=context(tmp_path, NODEID, now))
    assert result.status is Status.FAILED
    assert re.fullmatch(rf"growth of public.orders since the run of {now - dt.timedelta(days=7):%Y-%m-%d} "
                        r"\(7.0 days ago; [\d.]+KiB -> [\d.]+MiB\), the fastest of 2 tables is [\d.]+%; limit 50%",
                        result.reason), result.reason
    assert result.evidence["since"].startswith("staging/")
    other = context(tmp_path, NODEID.replace("[main]", "[other]"), now)
    assert growth(db, context=other).status is Status.WARNING  # another item's history is not this one's


def test_no_growth_passes(pg: PgCluster, dbname: str, tmp_path: Path) -> None:
    db = database(pg.url(dbname), max_table_growth="50%")
    with pg_admin(pg.port, dbname) as admin:
        admin.execute("CREATE TABLE products (id int); INSERT INTO products SELECT generate_series(1, 10)")
    now = dt.datetime.now(dt.timezone.utc)
    earlier = context(tmp_path, NODEID, now - dt.timedelta(days=1))
    archive(earlier, growth(db, context=earlier))
    result = growth(db, context=context(tmp_path, NODEID, now))
    assert result.status is Status.PASSED
    assert result.reason.endswith("the fastest of 1 tables is 0%; limit 50%"), result.reason


def test_two_real_weekly_runs_compare_through_the_archive(tmp_path: Path) -> None:
    shop = tmp_path / "shop.db"
    with sqlite3.connect(shop) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT)")
        conn.executemany("INSERT INTO orders (note) VALUES (?)", [("x",)] * 10)
    env = tmp_path / "env.yml"
    env.write_text(f"environment: growth-e2e\ndatabases:\n  - name: shop\n    url: sqlite:///{shop}\n"
                   "    max_table_growth: 50%\n")
    reports = tmp_path / "reports"
    args = ("-m", "weekly", "-k", "table_growth", f"--env={env}")
    first = run_checklist(reports, *args)
    assert first.code == 0, first.out
    with sqlite3.connect(shop) as conn:
        conn.executemany("INSERT INTO orders (note) VALUES (?)", [("y" * 200,)] * 2000)
    second = run_checklist(reports, *args)
    assert second.code == 1, second.out
    records = sorted(reports.glob("growth-e2e/*/*/results.json"))
    checks = [json.loads(path.read_text())["checks"][0] for path in records]
    assert [c["outcome"] for c in checks] == ["warning", "failed"]
    assert re.fullmatch(r"growth of orders since the run of \d{4}-\d\d-\d\d \(0.0 days ago; 4.0KiB -> [\d.]+KiB\), "
                        r"the fastest of 1 tables is [\d.]+%; limit 50%", checks[1]["reason"]), checks[1]["reason"]
