"""The Frappe example's SQL metrics on a real MariaDB holding a site's tables: a burst of errors at 3 a.m., a cluster
of errors, a new kind of error, too few active members, an open performance alert and an alert left open fail."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest

from opsverify.checks.metrics import value
from opsverify.result import Result, Status
from tests.examples.helpers import example, named, on_database
from tests.support.databases import FRAPPE_TABLES, Db, throwaway

FRAPPE = example("frappe-mariadb")
APP_TABLES = (
    """CREATE TABLE `tabSystem Alert` (`name` varchar(140) NOT NULL PRIMARY KEY, `creation` datetime(6),
       `alert_type` varchar(140), `severity` varchar(140), `message` text, `source` varchar(140),
       `status` varchar(140) DEFAULT 'Active', `timestamp` datetime(6), `resolved_at` datetime(6))""",
    """CREATE TABLE `tabMember` (`name` varchar(140) NOT NULL PRIMARY KEY, `creation` datetime(6),
       `status` varchar(140) DEFAULT 'Pending')""",
)


@pytest.fixture
def site() -> Iterator[Db]:
    """A site database `opsv_site_<random>` with the Error Log, System Alert and Member tables."""
    with throwaway("mariadb", "opsv_site_", (*FRAPPE_TABLES, *APP_TABLES)) as db:
        yield db


def errors(db: Db, method: str, *seconds_ago: int) -> None:
    """Error Log entries titled `method`, written these many seconds before the database's now (read once)."""
    cursor = db.conn.cursor()
    cursor.execute("SELECT NOW(6)")
    now = cursor.fetchone()[0]
    for ago in seconds_ago:
        db.run("INSERT INTO `tabError Log` (name, creation, method, error) VALUES (%s, %s, %s, 'Traceback …')",
               uuid.uuid4().hex[:10], now - dt.timedelta(seconds=ago), method)


def alert(db: Db, alert_type: str, hours_ago: float, status: str = "Active", resolved_hours_ago: float | None = None):
    """A System Alert raised `hours_ago`, resolved `resolved_hours_ago` when given."""
    db.run("INSERT INTO `tabSystem Alert` (name, alert_type, severity, message, status, timestamp, resolved_at) "
           "VALUES (%s, %s, 'HIGH', 'x', %s, NOW() - INTERVAL %s MINUTE, "
           "IF(%s IS NULL, NULL, NOW() - INTERVAL %s MINUTE))", uuid.uuid4().hex[:10], alert_type, status,
           int(hours_ago * 60), resolved_hours_ago, int((resolved_hours_ago or 0) * 60))


def measure(db: Db, metric: str) -> Result:
    """The example's metric, read from this site database."""
    return value(named(FRAPPE.metrics, metric), context=on_database("site-db", db.url))


def test_a_burst_of_errors_at_3am_fails_the_busiest_hour_a_day_later(site: Db) -> None:
    hour = 3600
    errors(site, "Payment sync failed", *range(hour, 12 * hour, 2 * hour))  # 6, spread over the morning
    quiet = measure(site, "errors-busiest-hour-24h")
    errors(site, "SEPA batch timeout", *range(18 * hour, 18 * hour + 25 * 120, 120))  # 25 in 50 min, 18 h ago
    burst = measure(site, "errors-busiest-hour-24h")
    assert quiet.status is Status.PASSED, quiet.reason
    assert burst.status is Status.FAILED
    assert burst.reason == "errors-busiest-hour-24h is 25; over its maximum 20"


def test_errors_at_the_same_moment_fail_the_cluster_check(site: Db) -> None:
    errors(site, "Member import", *range(3600, 3600 + 11 * 60, 60))  # one a minute: at most 5 in any 5 minutes
    spread = measure(site, "errors-clustered-5m")
    errors(site, "Mollie webhook", *range(7200, 7200 + 12 * 10, 10))  # 12 within two minutes
    cluster = measure(site, "errors-clustered-5m")
    assert spread.status is Status.PASSED, spread.reason
    assert (cluster.status, cluster.reason) == (Status.FAILED, "errors-clustered-5m is 12; over its maximum 10")


def test_an_error_title_not_seen_in_the_month_before_is_a_new_error_type(site: Db) -> None:
    day = 86400
    errors(site, "Payment sync failed", 3 * day, 20 * day, 40 * day)
    errors(site, "SEPA batch timeout", 45 * day)  # seen, but not in the 30 days before today
    errors(site, "Payment sync failed", 3600)
    known = measure(site, "new-error-types-24h")
    errors(site, "SEPA batch timeout", 600)
    new = measure(site, "new-error-types-24h")
    assert known.status is Status.PASSED, known.reason
    assert (new.status, new.reason) == (Status.FAILED, "new-error-types-24h is 1; over its maximum 0")


def test_too_few_active_members_fail_the_floor(site: Db) -> None:
    for n in range(60):
        site.run("INSERT INTO `tabMember` (name, status) VALUES (%s, %s)", f"M-{n}", "Active" if n % 2 else "Expired")
    result = measure(site, "active-members")
    assert result.status is Status.FAILED
    assert result.reason.startswith("active-members is 30; under its minimum 100")


def test_an_open_performance_alert_fails_and_a_resolved_one_does_not(site: Db) -> None:
    alert(site, "PERFORMANCE_DEGRADATION", 30, status="Resolved", resolved_hours_ago=29)
    alert(site, "HIGH_ERROR_RATE", 2)
    resolved = measure(site, "performance-alerts-open")
    alert(site, "API_PERFORMANCE", 5)
    still_open = measure(site, "performance-alerts-open")
    assert resolved.status is Status.PASSED, resolved.reason
    assert (still_open.status, still_open.reason) == (Status.FAILED, "performance-alerts-open is 1; over its maximum 0")


def test_an_alert_left_open_for_30_hours_fails_the_resolution_time(site: Db) -> None:
    alert(site, "HIGH_ERROR_RATE", 50, status="Resolved", resolved_hours_ago=48)  # 2 h to resolve
    quick = measure(site, "alert-resolution-hours-7d")
    alert(site, "DISK_SPACE", 30)
    left_open = measure(site, "alert-resolution-hours-7d")
    assert quick.status is Status.PASSED, quick.reason
    assert (left_open.status, left_open.reason) == (Status.FAILED, "alert-resolution-hours-7d is 30; over its maximum 24")
