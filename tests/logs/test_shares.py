"""Shares over real nginx access logs: the 5xx ratio of the window's requests, and the busiest client's share."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from opsverify.checks import logs
from opsverify.checks.logs import matches, scan
from opsverify.checks.logs.shares import client_share, ratio
from opsverify.result import Status
from tests.logs.helpers import HOUR, big_access_log, log_entry, requests, write_access_log
from tests.spec.helpers import at, ok, one

FIVE_XX = r'" 5\d\d '
RATIO = {"name": "nginx-5xx", "pattern": FIVE_XX, "max": None, "max_ratio": "1%"}
SHARE = {"name": "top-clients", "pattern": "HTTP/", "window": "1h", "max": None, "max_client_share": "20%"}
OLD_ERRORS = requests(300, "198.51.100.{i}", 502, 25 * HOUR, 40 * HOUR)  # before the window: they must not count


def test_a_5xx_ratio_above_its_limit_fails_with_the_share_and_both_counts(tmp_path: Path) -> None:
    path = write_access_log(tmp_path / "access.log", requests(464, "2001:db8::{i}", 200, 60, 23 * HOUR)
                            + requests(36, "203.0.113.9", 503, 120, 20 * HOUR) + OLD_ERRORS)
    result = ratio(log_entry(path, **RATIO))
    assert result.status is Status.FAILED
    assert result.reason == (f'share of lines matching "{FIVE_XX}" among all lines in the last 24h of {path} '
                             "is 7.2% (36 of 500); limit 1%")
    assert (result.value, result.limit, result.evidence["matching"], result.evidence["among"]) == (0.072, "1%", 36, 500)


def test_a_5xx_ratio_under_its_limit_passes_and_the_warning_level_warns(tmp_path: Path) -> None:
    path = write_access_log(tmp_path / "access.log", requests(497, "2001:db8::{i}", 200, 60, 23 * HOUR)
                            + requests(3, "203.0.113.9", 500, 120, 20 * HOUR) + OLD_ERRORS)
    result = ratio(log_entry(path, **RATIO))
    assert result.status is Status.PASSED, result.reason
    assert result.reason.endswith(f"of {path} is 0.6% (3 of 500); limit 1%")
    warned = ratio(log_entry(path, **RATIO, warn_max_ratio="0.5%"))
    assert warned.status is Status.WARNING
    assert warned.reason.endswith("is 0.6% (3 of 500); warning level 0.5%")


def test_of_counts_only_its_lines_on_both_sides_of_the_ratio(tmp_path: Path) -> None:
    api = requests(180, "2001:db8::{i}", 200, 60, 20 * HOUR, "/api/orders") + requests(
        20, "203.0.113.9", 500, 90, 10 * HOUR, "/api/orders")
    static = requests(700, "2001:db8::{i}", 200, 60, 20 * HOUR, "/static/app.js") + requests(
        100, "203.0.113.9", 503, 60, 20 * HOUR, "/static/app.js")
    path = write_access_log(tmp_path / "access.log", api + static + OLD_ERRORS)
    result = ratio(log_entry(path, **{**RATIO, "max_ratio": "5%"}, of='"GET /api/'))
    assert result.status is Status.FAILED
    assert result.reason == (f'share of lines matching "{FIVE_XX}" among lines matching ""GET /api/" in the last 24h '
                             f"of {path} is 10% (20 of 200); limit 5%")
    assert matches(log_entry(path, **{**RATIO, "max": 1000})).value == 120  # the count itself ignores `of`


def test_a_window_without_lines_has_nothing_to_divide_and_passes(tmp_path: Path) -> None:
    path = write_access_log(tmp_path / "access.log", OLD_ERRORS, mtime=time.time() - 25 * HOUR)
    result = ratio(log_entry(path, **RATIO))
    assert result.status is Status.PASSED
    assert result.reason == f"no line in the last 24h of {path}: nothing to divide (limit 1%)"
    fresh = write_access_log(tmp_path / "fresh.log", requests(10, "203.0.113.9", 500, 60, HOUR, "/static/x.js"))
    only_warn = ratio(log_entry(fresh, **{**RATIO, "max_ratio": None}, warn_max_ratio="1%", of='"GET /api/'))
    assert only_warn.status is Status.PASSED
    assert only_warn.reason == (f'no line matches ""GET /api/" in the last 24h of {fresh}: nothing to divide '
                                "(warning level 1%)")


def test_the_window_edge_is_exact_in_a_large_live_file_and_in_a_rotated_archive(tmp_path: Path) -> None:
    now = time.time()
    live = write_access_log(tmp_path / "access.log", big_access_log())
    tally = scan(log_entry(live, **RATIO))
    assert (tally.matching_among, tally.among) == (300, 15_000)
    assert tally.bytes_read < live.stat().st_size  # read from the end only as far as the window
    small = write_access_log(tmp_path / "edge.log", requests(100, "2001:db8::{i}", 200, 60, 2 * HOUR))
    write_access_log(tmp_path / "edge.log.1.gz", requests(2000, "2001:db8::{i}", 200, 3 * HOUR, 20 * HOUR)
                     + requests(40, "203.0.113.9", 500, 4 * HOUR, 10 * HOUR)
                     + requests(15_000, "198.51.100.{i}", 200, 25 * HOUR, 48 * HOUR) + OLD_ERRORS,
                     compress=True, mtime=now - 3 * HOUR)
    rotated = scan(log_entry(small, **RATIO))
    assert (rotated.matching_among, rotated.among) == (40, 2140)
    assert rotated.files == [str(small), str(tmp_path / "edge.log.1.gz")]


def test_one_client_with_most_of_the_requests_fails_naming_it(tmp_path: Path) -> None:
    path = write_access_log(tmp_path / "access.log", requests(5000, "198.51.100.7", 200, 2 * HOUR, 10 * HOUR)
                            + requests(610, "203.0.113.9", 200, 60, 50 * 60)
                            + requests(390, "2001:db8::{i}", 200, 30, 55 * 60))
    result = client_share(log_entry(path, **SHARE))
    assert result.status is Status.FAILED
    assert result.reason == (f'busiest client 203.0.113.9 sent 61% of lines matching "HTTP/" in the last 1h of {path} '
                             "(610 of 1000); limit 20%")
    top = result.evidence["top_clients"]
    assert len(top) == 3 and top[0] == {"client": "203.0.113.9", "lines": 610, "share": "61%"}
    assert (top[1]["lines"], result.evidence["without_client"]) == (1, 0)


def test_traffic_spread_over_many_clients_passes(tmp_path: Path) -> None:
    spread_out = [r for n in range(18) for r in requests(40, f"198.51.100.{n}", 200, 60, 50 * 60)]
    path = write_access_log(tmp_path / "access.log", spread_out + requests(80, "203.0.113.9", 200, 90, 40 * 60))
    result = client_share(log_entry(path, **SHARE))
    assert result.status is Status.PASSED, result.reason
    assert result.reason == (f'busiest client 203.0.113.9 sent 10% of lines matching "HTTP/" in the last 1h of {path} '
                             "(80 of 800); limit 20%")
    assert client_share(log_entry(path, **SHARE, warn_max_client_share="5%")).status is Status.WARNING


def test_only_lines_matching_the_pattern_count_per_client(tmp_path: Path) -> None:
    path = write_access_log(tmp_path / "access.log", requests(3000, "2001:db8::{i}", 200, 60, 50 * 60)
                            + requests(100, "203.0.113.9", 401, 60, 30 * 60, "/login")
                            + requests(30, "2001:db8::{i}", 200, 60, 50 * 60, "/login"))
    result = client_share(log_entry(path, **{**SHARE, "pattern": '"GET /login '}))
    assert result.status is Status.FAILED
    assert result.reason.startswith('busiest client 203.0.113.9 sent 76.9% of lines matching ""GET /login " ')
    assert result.reason.endswith("(100 of 130); limit 20%")


def test_a_client_pattern_of_ones_own_counts_lines_without_a_client_apart(tmp_path: Path) -> None:
    tenants = (requests(70, "2001:db8::{i}", 200, 60, 50 * 60, "/t/acme/orders")
               + requests(30, "2001:db8::{i}", 200, 60, 50 * 60, "/t/globex/orders")
               + requests(100, "2001:db8::{i}", 200, 60, 50 * 60, "/health"))
    path = write_access_log(tmp_path / "access.log", tenants)
    result = client_share(log_entry(path, **SHARE, client=r'"GET /t/(\w+)/'))
    assert result.status is Status.FAILED
    assert result.reason.startswith("busiest client acme sent 35% of ") and result.reason.endswith("(70 of 200); "
                                                                                                   "limit 20%")
    assert result.evidence["without_client"] == 100


def test_a_client_pattern_that_finds_no_client_is_an_error(tmp_path: Path) -> None:
    path = write_access_log(tmp_path / "access.log", requests(300, "2001:db8::{i}", 200, 60, 50 * 60))
    result = client_share(log_entry(path, **SHARE, client=r"^(\d+\.\d+\.\d+\.\d+) "))
    assert result.status is Status.ERROR
    assert result.reason == (r'client pattern "^(\d+\.\d+\.\d+\.\d+) " found no client in any of the 300 lines '
                             f'matching "HTTP/" in the last 1h of {path}')


def test_no_matching_line_in_the_window_has_no_busiest_client_and_passes(tmp_path: Path) -> None:
    path = write_access_log(tmp_path / "access.log", requests(50, "203.0.113.9", 200, 2 * HOUR, 5 * HOUR))
    result = client_share(log_entry(path, **SHARE))
    assert result.status is Status.PASSED
    assert result.reason == f'no lines matching "HTTP/" in the last 1h of {path}: no busiest client (limit 20%)'


def test_checks_of_one_log_asking_at_once_share_one_scan(tmp_path: Path) -> None:
    path = write_access_log(tmp_path / "access.log", requests(60_000, "2001:db8::{i}", 200, 60, 20 * HOUR))
    entry = log_entry(path, **{**SHARE, "window": "24h"}, max_ratio="10%")
    first: list[object] = []
    worker = threading.Thread(target=lambda: first.append(scan(entry)))
    worker.start()
    while (entry.host.target, entry.item) not in logs._RUNNING and worker.is_alive():
        time.sleep(0.001)
    second = scan(entry)
    worker.join()
    assert first == [second] and first[0] is second
    assert (second.count, second.among, len(second.clients)) == (60_000, 60_000, 60_000)
    assert scan(entry) is not second  # a scan that has finished is not kept: the next check reads the log again


def test_the_new_limits_load_and_a_client_pattern_without_a_group_is_a_spec_error() -> None:
    log = ("{name: top, path: /var/log/nginx/access.log, pattern: HTTP/, window: 1h, max_ratio: 1%, "
           "of: 'GET /api/', max_client_share: 20%}")
    entry = ok(f"environment: x\nhosts: [{{name: web1, logs: [{log}]}}]\n").hosts[0].logs[0]
    assert (str(entry.max_ratio), entry.of, str(entry.max_client_share), entry.client) == ("1%", "GET /api/", "20%",
                                                                                          r"^(\S+)")
    text = ("environment: x\nhosts:\n  - name: web1\n    logs:\n      - name: top\n"
            "        path: /var/log/nginx/access.log\n        pattern: HTTP/\n        max_client_share: 20%\n"
            "        client: '^\\S+'\n")
    at(one(text), 9, "hosts[0].logs[0].client", r'"^\S+" has no group', r"exactly one group, like ^(\S+)")
    two = one(text.replace("'^\\S+'", "'^(\\S+) (\\S+)'"))
    assert "has 2 groups" in two.message


def test_of_or_client_without_their_limit_is_refused() -> None:
    base = "environment: x\nhosts: [{name: web1, logs: [{name: l, path: /x, pattern: E, max: 1, %s}]}]\n"
    assert "`of` is the denominator of max_ratio" in one(base % "of: GET").message
    assert "`client` is read only for max_client_share" in one(base % "client: '^(\\S+)'").message


def test_an_item_without_the_limit_is_skipped_by_each_share_check(tmp_path: Path) -> None:
    path = write_access_log(tmp_path / "access.log", requests(10, "203.0.113.9", 500, 60, HOUR))
    entry = log_entry(path, pattern=FIVE_XX, max=5)
    assert (ratio(entry).status, ratio(entry).reason) == (Status.SKIPPED, "no max_ratio set")
    assert (client_share(entry).status, client_share(entry).reason) == (Status.SKIPPED, "no max_client_share set")
