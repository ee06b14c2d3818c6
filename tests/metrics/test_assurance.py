"""No false assurance in the metrics: a query or API with no value is an `error`, never zero, unless the item says
`missing: zero`."""

from __future__ import annotations

from pathlib import Path

from opsverify.result import Status
from tests.metrics.test_metrics import run, shop, sql_metrics  # noqa: F401 - a fixture
from tests.support.http_server import HttpServer, Reply


def test_no_value_from_sql_or_json_is_an_error_not_zero(shop: Path) -> None:
    with HttpServer({"/api/score": Reply(200, {"message": {}})}) as api:
        _, (null, no_row, absent) = run(sql_metrics(
            f"sqlite:///{shop}",
            "{name: refunds, database: main, sql: 'SELECT sum(id) FROM payments WHERE 0', max: 3}",
            "{name: last-refund, database: main, sql: 'SELECT id FROM payments WHERE 0', max: 3}",
            f"{{name: score, http: '{api.url('/api/score')}', json_path: message.score, max: 3}}"))
    assert [r.status for r in (null, no_row, absent)] == [Status.ERROR] * 3
    assert null.reason.endswith("set missing: zero if none means 0")
    assert no_row.reason == "the SQL of last-refund returned 0 rows; a metric needs one row with one number"
    assert absent.reason.endswith("has no message.score")
