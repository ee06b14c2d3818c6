"""Metrics from SQL on real databases and from PromQL on a real Prometheus, bounded by min/max and warn_ twins."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

import pytest

from opsverify.checks.metrics import value
from opsverify.context import RunContext
from opsverify.result import Status
from opsverify.spec import loads
from tests.metrics.prometheus import PrometheusServer
from tests.services import MARIADB, POSTGRES, need
from tests.support.net import free_port

PAYMENTS = [("paid",)] * 45 + [("failed",)] * 5


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A SQLite database with 50 payments, 90% of them paid."""
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE payments (id INTEGER PRIMARY KEY, status TEXT)")
        conn.executemany("INSERT INTO payments (status) VALUES (?)", PAYMENTS)
    return path


def run(text: str) -> tuple[RunContext, list]:
    """An environment from YAML, its metrics' results in order."""
    env = loads(text)
    context = RunContext(env, Path("/nonexistent"), None, dt.datetime.now(dt.timezone.utc))
    return context, [value(metric, context=context) for metric in env.metrics]


def sql_metrics(url: str, *metrics: str) -> str:
    """An environment with one database `main` and these metric entries (YAML flow mappings)."""
    return f"environment: t\ndatabases:\n  - {{name: main, url: '{url}', timeout: 5s}}\nmetrics:\n" + \
        "".join(f"  - {m}\n" for m in metrics)


RATE = "\"SELECT 100.0 * avg(CASE WHEN status = 'paid' THEN 1 ELSE 0 END) FROM payments\""


def test_a_sql_metric_under_its_minimum_fails_over_its_warning_level_warns(shop: Path) -> None:
    _, (low, warned, fine, high) = run(sql_metrics(
        f"sqlite:///{shop}",
        f"{{name: payment-success-rate, database: main, sql: {RATE}, min: 98}}",
        f"{{name: payment-success-rate-soft, database: main, sql: {RATE}, min: 80, warn_min: 95}}",
        f"{{name: payment-success-rate-ok, database: main, sql: {RATE}, min: 80, max: 100}}",
        "{name: failed-payments, database: main, sql: \"SELECT count(*) FROM payments WHERE status = 'failed'\", "
        "max: 3, warn_max: 1}"))
    assert low.status is Status.FAILED
    assert low.reason == "payment-success-rate is 90; under its minimum 98"
    assert low.value == 90.0 and low.limit == "min 98"
    assert warned.status is Status.WARNING
    assert warned.reason == "payment-success-rate-soft is 90; under its warning minimum 95"
    assert fine.status is Status.PASSED
    assert fine.reason == "payment-success-rate-ok is 90; min 80, max 100"
    assert high.status is Status.FAILED
    assert high.reason == "failed-payments is 5; over its maximum 3"


def test_a_query_that_is_not_one_number_is_an_error(shop: Path) -> None:
    _, results = run(sql_metrics(
        f"sqlite:///{shop}",
        "{name: null-rate, database: main, sql: 'SELECT avg(id) FROM payments WHERE 0', min: 1}",
        "{name: many-rows, database: main, sql: 'SELECT id FROM payments', min: 1}",
        "{name: two-columns, database: main, sql: 'SELECT 1, 2', min: 1}",
        "{name: text, database: main, sql: \"SELECT 'n/a'\", min: 1}",
        "{name: bad-sql, database: main, sql: 'SELECT FROM nowhere', min: 1}"))
    assert [r.status for r in results] == [Status.ERROR] * 5
    assert [r.reason for r in results[:4]] == [
        "the query of null-rate returned NULL (no rows to compute it from?); set missing: zero if none means 0",
        "the SQL of many-rows returned 2+ rows; a metric needs one row with one number",
        "the SQL of two-columns returned 2 columns; a metric needs one row with one number",
        "the query of text returned 'n/a', not a number"]
    assert "syntax error" in results[4].reason


def test_no_value_is_zero_only_where_the_item_says_missing_zero(shop: Path) -> None:
    _, (null, no_row) = run(sql_metrics(
        f"sqlite:///{shop}",
        "{name: refunds, database: main, sql: 'SELECT sum(id) FROM payments WHERE 0', max: 3, missing: zero}",
        "{name: last-refund, database: main, sql: 'SELECT id FROM payments WHERE 0', max: 3, missing: zero}"))
    assert (null.status, null.reason, null.value) == (Status.PASSED, "refunds is 0; max 3", 0)
    assert (no_row.status, no_row.reason) == (Status.PASSED, "last-refund is 0; max 3")
    assert no_row.evidence["source"] == "SQL on main (no row, counted as 0: missing: zero)"


def test_the_sql_runs_read_only_on_postgres() -> None:
    need("PostgreSQL", POSTGRES)
    url = f"postgresql+psycopg://postgres@{POSTGRES[0]}:{POSTGRES[1]}/postgres"
    _, (count, write) = run(sql_metrics(
        url, "{name: sessions, database: main, sql: 'SELECT count(*) FROM pg_stat_activity', min: 1}",
        "{name: sneaky, database: main, sql: 'CREATE TABLE opsv_metric_write (id int)', min: 0}"))
    assert count.status is Status.PASSED, count.reason
    assert write.status is Status.ERROR
    assert "read-only transaction" in write.reason


def test_a_percent_sign_in_the_sql_is_sql_not_a_placeholder(shop: Path) -> None:
    need("PostgreSQL", POSTGRES)
    need("MariaDB", MARIADB)
    like = "{name: failures, database: main, sql: \"SELECT count(*) FROM payments WHERE status LIKE '%ail%'\", max: 9}"
    pg = run(sql_metrics(f"postgresql+psycopg://postgres@{POSTGRES[0]}:{POSTGRES[1]}/postgres",
                         "{name: roles, database: main, sql: \"SELECT count(*) FROM pg_roles WHERE rolname LIKE 'pg%'\", "
                         "min: 1}"))[1][0]
    maria = run(sql_metrics(f"mysql+pymysql://root@{MARIADB[0]}:{MARIADB[1]}/mysql",
                            "{name: users, database: main, sql: \"SELECT count(*) FROM mysql.user WHERE user LIKE 'r%'\", "
                            "min: 1}"))[1][0]
    sqlite = run(sql_metrics(f"sqlite:///{shop}", like))[1][0]
    assert (pg.status, maria.status) == (Status.PASSED, Status.PASSED), (pg.reason, maria.reason)
    assert (sqlite.status, sqlite.reason) == (Status.PASSED, "failures is 5; max 9")


def promql(url: str, *metrics: str) -> str:
    """An environment with these PromQL metrics against url."""
    return "environment: t\nmetrics:\n" + "".join(
        f"  - {{prometheus: '{url}', timeout: 5s, {m}}}\n" for m in metrics)


def test_promql_against_a_real_prometheus(prometheus: PrometheusServer) -> None:
    _, (up, under, series, absent, bad) = run(promql(
        prometheus.url,
        "name: self-up, query: 'up{job=\"prometheus\"}', min: 1",
        "name: targets, query: 'sum(up)', min: 2",
        "name: gc-pauses, query: 'go_gc_duration_seconds', max: 1000000",
        "name: five-hundreds, query: 'sum(rate(nginx_http_requests_total{status=~\"5..\"}[5m]))', max: 1",
        "name: broken, query: 'sum(up{', max: 1"))
    assert up.status is Status.PASSED and up.reason == "self-up is 1; min 1"
    assert up.evidence == {"source": "PromQL", "value": 1}
    assert under.status is Status.FAILED and under.reason == "targets is 1; under its minimum 2"
    assert series.status is Status.ERROR
    assert re.fullmatch(r"the query of gc-pauses returned \d+ series \(aggregate them, e.g. with sum\(\) or max\(\)\)",
                        series.reason), series.reason
    assert absent.status is Status.ERROR
    assert absent.reason == "the query of five-hundreds returned 0 series (no data; set missing: zero if none " \
                            "means 0)"
    assert bad.status is Status.ERROR
    assert bad.reason.startswith("Prometheus rejected the query (bad_data): invalid parameter \"query\": "), bad.reason


def test_promql_scalars_and_or_vector_zero(prometheus: PrometheusServer) -> None:
    _, (scalar, zero, said) = run(promql(
        prometheus.url, "name: answer, query: 'scalar(vector(42))', min: 40, max: 50",
        "name: none-means-zero, query: 'sum(rate(nginx_http_requests_total[5m])) or vector(0)', max: 0",
        "name: said-zero, query: 'sum(rate(nginx_http_requests_total[5m]))', max: 0, missing: zero"))
    assert scalar.reason == "answer is 42; min 40, max 50"
    assert zero.status is Status.PASSED and zero.value == 0
    assert (said.status, said.value) == (Status.PASSED, 0)
    assert said.evidence["source"] == "PromQL (no series, counted as 0: missing: zero)"


def test_prometheus_down_is_an_error_and_credentials_stay_hidden() -> None:
    port = free_port()
    _, (result,) = run(promql(f"http://metrics:pr0m-s3cret@127.0.0.1:{port}", "name: up, query: up, min: 1"))
    assert result.status is Status.ERROR
    assert result.reason == f"connection refused on 127.0.0.1:{port}"
    assert "pr0m-s3cret" not in repr(result)
