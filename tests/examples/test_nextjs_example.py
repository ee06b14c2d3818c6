"""The Next.js example's own items against real targets: a table VACUUM FULL would shrink on a real PostgreSQL,
password guessing at the marketplace's sign-in, a health-check cron that stopped, rkhunter that warned or never ran."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsverify.checks.logs import matches
from opsverify.checks.logs.shares import client_share
from opsverify.checks.metrics import value
from opsverify.result import Status
from tests.examples.helpers import example, local_log, named, on_database
from tests.logs.helpers import spread, write_log
from tests.support.databases import Db, throwaway

NEXTJS = example("nextjs-postgres-redis")
APP1 = named(NEXTJS.hosts, "app1")
HOUR = 3600.0


@pytest.fixture
def shop() -> Iterator[Db]:
    """A database `opsv_shop_<random>` with pgstattuple and an "Order" table of 100,000 rows (about 8 MB)."""
    with throwaway("postgresql", "opsv_shop_", ("CREATE EXTENSION pgstattuple",
                                                'CREATE TABLE "Order" (id int PRIMARY KEY, status text, note text)')) as db:
        db.run("""INSERT INTO "Order" SELECT i, 'DELIVERED', repeat('x', 40) FROM generate_series(1, 100000) i""")
        db.run('VACUUM ANALYZE "Order"')
        yield db


def test_a_table_that_vacuum_full_would_shrink_fails_the_bloat_limit(shop: Db) -> None:
    metric = named(NEXTJS.metrics, "table-bloat-percent")
    compact = value(metric, context=on_database("main", shop.url))
    shop.run('DELETE FROM "Order" WHERE id %% 5 <> 0')  # 80 % of the rows gone; a plain VACUUM keeps the space
    shop.run('VACUUM ANALYZE "Order"')
    bloated = value(metric, context=on_database("main", shop.url))
    shop.run('VACUUM FULL "Order"')
    shop.run('ANALYZE "Order"')
    reclaimed = value(metric, context=on_database("main", shop.url))
    assert compact.status is Status.PASSED, compact.reason
    assert bloated.status is Status.FAILED
    assert bloated.reason.startswith("table-bloat-percent is 7") or bloated.reason.startswith("table-bloat-percent is 8")
    assert bloated.reason.endswith("; over its maximum 40")
    assert reclaimed.status is Status.PASSED, reclaimed.reason


def sign_ins(path: Path, *clients: tuple[str, int, int]) -> Path:
    """An nginx access log with (client, failed, good) sign-ins spread over the last 20 h, and other traffic."""
    now = time.time()
    lines = []
    for client, failed, good in clients:
        for age, status in [(a, 401) for a, _ in spread(failed, "", 60, 20 * HOUR)] + \
                           [(a, 200) for a, _ in spread(good, "", 90, 20 * HOUR)]:
            stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now - age))
            lines.append((now - age, f'{client} - - [{stamp}] "POST /api/auth/callback/credentials HTTP/1.1" '
                                     f'{status} 120 "https://africanmarket.com/login" "Mozilla/5.0"'))
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now - 30))
    lines.append((now - 30, f'198.51.100.4 - - [{stamp}] "GET /api/vendors HTTP/1.1" 401 12 "-" "curl/8"'))
    path.write_text("".join(line + "\n" for _, line in sorted(lines)))
    return path


def test_password_guessing_at_the_marketplace_sign_in_fails(tmp_path: Path) -> None:
    usual = sign_ins(tmp_path / "usual.log", *((f"203.0.113.{n}", 2, 20) for n in range(20)))
    guessing = sign_ins(tmp_path / "guessing.log", *((f"203.0.113.{n}", 2, 20) for n in range(20)),
                        ("192.0.2.66", 400, 0))
    assert matches(local_log(APP1, "failed-sign-ins", usual)).status is Status.PASSED
    assert client_share(local_log(APP1, "failed-sign-ins", usual)).status is Status.PASSED
    count = matches(local_log(APP1, "failed-sign-ins", guessing))
    share = client_share(local_log(APP1, "failed-sign-ins", guessing))
    assert count.status is Status.FAILED
    assert count.reason == (f'count of lines matching ""POST /api/auth/callback/credentials[^"]*" 401 " in the last '
                            f"24h of {guessing} is 440; limit 300")
    assert share.status is Status.FAILED and "192.0.2.66" in share.reason


def test_a_health_check_cron_that_stopped_five_hours_ago_fails(tmp_path: Path) -> None:
    path = tmp_path / "health-check.log"
    write_log(path, spread(288, "health check ok: api 200 in 84ms", 60, 24 * HOUR - 120), "iso-utc")
    assert matches(local_log(APP1, "health-checks", path)).status is Status.PASSED
    write_log(path, spread(228, "health check ok: api 200 in 84ms", 5 * HOUR, 24 * HOUR - 120), "iso-utc")
    stopped = matches(local_log(APP1, "health-checks", path))
    assert stopped.status is Status.FAILED
    assert stopped.reason.startswith('228 lines matching "health check" in ')
    assert "at least 250 expected" in stopped.reason


def test_rkhunter_that_warned_or_never_ran_fails(tmp_path: Path) -> None:
    def syslog(path: Path, *messages: tuple[float, str]) -> Path:
        path.write_text("".join(time.strftime("%b %e %H:%M:%S", time.localtime(time.time() - age)) +
                                f" app1 rkhunter: {text}\n" for age, text in messages))
        return path

    clean = syslog(tmp_path / "clean.log", (7 * HOUR, "Rootkit hunter check started (version 1.4.6)"),
                   (7 * HOUR - 90, "Scanning took 1 minute and 29 seconds"))
    warned = syslog(tmp_path / "warned.log", (7 * HOUR, "Rootkit hunter check started (version 1.4.6)"),
                    (7 * HOUR - 90, "Please inspect this machine, because it may be infected."),
                    (7 * HOUR - 89, "Scanning took 1 minute and 30 seconds"))
    never = syslog(tmp_path / "never.log", (50 * HOUR, "Scanning took 1 minute and 31 seconds"))
    assert matches(local_log(APP1, "rkhunter-completed", clean)).status is Status.PASSED
    assert matches(local_log(APP1, "rkhunter-warnings", clean)).status is Status.PASSED
    assert matches(local_log(APP1, "rkhunter-warnings", warned)).status is Status.FAILED
    missed = matches(local_log(APP1, "rkhunter-completed", never))
    assert missed.status is Status.FAILED and "at least 1 expected" in missed.reason

