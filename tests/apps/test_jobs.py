"""Failed jobs, Frappe's Error Log and scheduler in real MariaDB and PostgreSQL databases shaped like the apps'."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

from opsverify.checks.apps.jobs import error_log, failed_jobs, scheduler
from opsverify.result import Status
from tests.support.databases import Db
from tests.apps.helpers import check_app
from tests.support.net import free_port

ZONE = "Asia/Kolkata"  # the site's time zone: Frappe writes `creation` in it, 5h30 ahead of UTC


def site_time(**ago: float) -> dt.datetime:
    """A naive timestamp in the site's time zone, this long ago."""
    return dt.datetime.now(ZoneInfo(ZONE)).replace(tzinfo=None) - dt.timedelta(**ago)


def site(db: Db, *, scheduler_on: str | None = "1") -> Db:
    """System Settings of a Frappe site: its time zone and enable_scheduler."""
    db.run("INSERT INTO tabSingles (doctype, field, value) VALUES ('System Settings', 'time_zone', %s)", ZONE)
    if scheduler_on is not None:
        db.run("INSERT INTO tabSingles (doctype, field, value) VALUES ('System Settings', 'enable_scheduler', %s)",
               scheduler_on)
    return db


def errors(db: Db, title: str, count: int, **ago: float) -> None:
    """`count` Error Log entries titled `title`, created this long ago."""
    for _ in range(count):
        db.run("INSERT INTO `tabError Log` (name, creation, modified, owner, method, error) "
               "VALUES (%s, %s, %s, 'Administrator', %s, 'Traceback (most recent call last): ...')",
               uuid.uuid4().hex[:10], site_time(**ago), site_time(**ago), title)


def job_log(db: Db, status: str, job: str = "email_queue.flush", **ago: float) -> None:
    """One Scheduled Job Log entry of this status, created this long ago."""
    db.run("INSERT INTO `tabScheduled Job Log` (name, creation, modified, status, scheduled_job_type) "
           "VALUES (%s, %s, %s, %s, %s)", uuid.uuid4().hex[:10], site_time(**ago), site_time(**ago), status, job)


def frappe_app(db: Db, keys: str, extra: str = "") -> str:
    """An environment with the Frappe site's database and one app using it."""
    return (f"databases: [{{name: erp-db, url: '{db.url}', timeout: 5s}}]\n{extra}"
            f"apps: [{{name: erp, framework: frappe, database: erp-db, {keys}}}]")


def test_an_error_log_over_its_limit_fails_with_the_top_titles(frappe_db: Db) -> None:
    site(frappe_db)
    errors(frappe_db, "Payment gateway timed out", 6, hours=1)
    errors(frappe_db, "Email Account: authentication failed", 5, hours=5)
    errors(frappe_db, "Stock ledger: negative stock", 2, hours=23)
    errors(frappe_db, "Print format failed", 1, minutes=2)
    errors(frappe_db, "Old error", 9, hours=25)  # outside the window in the site's time, inside it in UTC
    result = check_app(error_log, frappe_app(frappe_db, "max_errors: 10, warn_max_errors: 5"))
    assert result.status is Status.FAILED
    assert result.reason == "14 errors in Frappe's Error Log in the last 24h; limit 10"
    assert result.evidence["top errors"] == {"Payment gateway timed out": 6, "Email Account: authentication failed": 5,
                                             "Stock ledger: negative stock": 2}


def test_a_quiet_error_log_passes_and_a_busy_one_warns(frappe_db: Db) -> None:
    site(frappe_db)
    errors(frappe_db, "Print format failed", 2, hours=3)
    quiet = check_app(error_log, frappe_app(frappe_db, "max_errors: 10, warn_max_errors: 5"))
    assert (quiet.status, quiet.reason) == (Status.PASSED, "2 errors in Frappe's Error Log in the last 24h; limit 10")
    errors(frappe_db, "Print format failed", 5, hours=3)
    busy = check_app(error_log, frappe_app(frappe_db, "max_errors: 10, warn_max_errors: 5"))
    assert (busy.status, busy.reason) == (Status.WARNING, "7 errors in Frappe's Error Log in the last 24h; "
                                                          "warning level 5")


def test_an_unreachable_database_is_an_error() -> None:
    port = free_port()
    text = (f"databases: [{{name: erp-db, url: 'mysql://root@127.0.0.1:{port}/erp', timeout: 2s}}]\n"
            "apps: [{name: erp, framework: frappe, database: erp-db, max_errors: 10}]")
    result = check_app(error_log, text)
    assert (result.status, result.reason) == (Status.ERROR, f"connection refused on 127.0.0.1:{port}")


def test_a_database_without_the_error_log_is_an_error_naming_the_table(frappe_db: Db) -> None:
    site(frappe_db)
    frappe_db.run("DROP TABLE `tabError Log`")
    result = check_app(error_log, frappe_app(frappe_db, "max_errors: 10"))
    assert result.status is Status.ERROR
    assert re.fullmatch(r"Table 'opsv_frappe_\w+\.tabError Log' doesn't exist \(MySQL 1146\)", result.reason)


def test_failed_scheduled_jobs_in_the_window_are_counted(frappe_db: Db) -> None:
    site(frappe_db)
    for _ in range(3):
        job_log(frappe_db, "Failed", "backup.take_backups_daily", hours=2)
    job_log(frappe_db, "Failed", "email_queue.flush", hours=30)
    job_log(frappe_db, "Complete", hours=1)
    result = check_app(failed_jobs, frappe_app(frappe_db, "max_failed_jobs: 2"))
    assert result.status is Status.FAILED
    assert result.reason == "3 failed jobs in Frappe's Scheduled Job Log in the last 24h; limit 2"
    assert result.evidence["top job types"] == {"backup.take_backups_daily": 3}
    assert check_app(failed_jobs, frappe_app(frappe_db, "max_failed_jobs: 5")).status is Status.PASSED


def test_a_scheduler_that_ran_recently_passes(frappe_db: Db) -> None:
    site(frappe_db)
    job_log(frappe_db, "Complete", minutes=10)
    job_log(frappe_db, "Complete", hours=5)
    result = check_app(scheduler, frappe_app(frappe_db, "scheduler_max_idle: 1h"))
    assert (result.status, result.reason) == (Status.PASSED, "the scheduler last ran 10m ago; limit 1h")


def test_an_idle_scheduler_fails_with_how_long(frappe_db: Db) -> None:
    site(frappe_db)
    job_log(frappe_db, "Complete", hours=3, minutes=2)
    result = check_app(scheduler, frappe_app(frappe_db, "scheduler_max_idle: 1h"))
    assert (result.status, result.reason) == (Status.FAILED, "the scheduler last ran 3h ago; limit 1h")


def test_a_disabled_scheduler_fails(frappe_db: Db) -> None:
    site(frappe_db, scheduler_on="0")
    job_log(frappe_db, "Complete", minutes=1)
    result = check_app(scheduler, frappe_app(frappe_db, "scheduler_max_idle: 1h"))
    assert (result.status, result.reason) == (Status.FAILED, "the scheduler is disabled (System Settings)")
    frappe_db.run("DELETE FROM tabSingles WHERE field = 'enable_scheduler'")
    frappe_db.run("DELETE FROM `tabScheduled Job Log`")
    missing = check_app(scheduler, frappe_app(frappe_db, "scheduler_max_idle: 1h"))
    assert missing.reason == ("the scheduler is disabled (System Settings) | the scheduler has never run: "
                              "Scheduled Job Log is empty")


def test_a_scheduler_paused_in_the_site_config_fails(frappe_db: Db, tmp_path: Path) -> None:
    site(frappe_db)
    job_log(frappe_db, "Complete", minutes=5)
    config = tmp_path / "sites" / "erp.example.org" / "site_config.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"db_name": "erp", "db_password": "hunter2", "pause_scheduler": 1}))
    result = check_app(scheduler, frappe_app(frappe_db, f"scheduler_max_idle: 1h, root: '{tmp_path}', "
                                                        "site: erp.example.org"))
    assert (result.status, result.reason) == (Status.FAILED, f"the scheduler is stopped by pause_scheduler: 1 in "
                                                             f"{config}")
    assert "hunter2" not in str(result)


def laravel_app(db: Db, keys: str) -> str:
    """An environment with a Laravel app's database and the app."""
    return (f"databases: [{{name: shop-db, url: '{db.url}', timeout: 5s}}]\n"
            f"apps: [{{name: shop, framework: laravel, database: shop-db, {keys}}}]")


def failed(db: Db, queue: str, count: int, **ago: float) -> None:
    """`count` failed_jobs rows on `queue`, failed this long ago (UTC, Laravel's default timezone)."""
    stamp = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0) - dt.timedelta(**ago)
    for _ in range(count):
        db.run("INSERT INTO failed_jobs (uuid, connection, queue, payload, exception, failed_at) "
               "VALUES (%s, 'redis', %s, '{\"displayName\":\"App\\\\Jobs\\\\SendInvoice\"}', 'Exception: ...', %s)",
               str(uuid.uuid4()), queue, stamp)


def test_laravel_failed_jobs_over_the_limit_fail(laravel_db: Db) -> None:
    failed(laravel_db, "emails", 8, hours=2)
    failed(laravel_db, "default", 4, minutes=5)
    failed(laravel_db, "default", 30, hours=26)
    result = check_app(failed_jobs, laravel_app(laravel_db, "max_failed_jobs: 10"))
    assert result.status is Status.FAILED
    assert result.reason == "12 failed jobs in failed_jobs in the last 24h; limit 10"
    assert result.evidence["top queues"] == {"emails": 8, "default": 4}


def test_laravel_few_failed_jobs_pass(laravel_db: Db) -> None:
    failed(laravel_db, "emails", 1, hours=2)
    failed(laravel_db, "emails", 50, days=3)
    result = check_app(failed_jobs, laravel_app(laravel_db, "max_failed_jobs: 10, warn_max_failed_jobs: 5"))
    assert (result.status, result.reason) == (Status.PASSED, "1 failed job in failed_jobs in the last 24h; limit 10")
