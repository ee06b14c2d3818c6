"""The log checks on real files: every timestamp format, the window, repeats, rotation, large logs."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from opsverify.checks.logs import matches, repeats, scan
from opsverify.result import Status
from tests.logs.helpers import FORMATS, HOUR, log_entry, spread, write_log

QUIET = spread(200, "INFO: request {i} served in 12ms", newest=60, oldest=70 * HOUR)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_each_format_counts_only_the_lines_inside_the_window(tmp_path: Path, fmt: str) -> None:
    recent = spread(7, "ERROR: payment provider timed out (order {i})", newest=120, oldest=20 * HOUR)
    old = spread(30, "ERROR: payment provider timed out (order {i})", newest=25 * HOUR, oldest=60 * HOUR)
    path = write_log(tmp_path / "app.log", QUIET + recent + old, fmt)
    result = matches(log_entry(path))
    assert result.status is Status.PASSED, result.reason
    assert result.value == 7
    assert result.reason == f'count of lines matching "ERROR|CRITICAL" in the last 24h of {path} is 7; limit 10'


def test_fifty_recent_errors_fail_with_the_count_and_the_limit(tmp_path: Path) -> None:
    path = write_log(tmp_path / "app.log", QUIET + spread(50, "ERROR: disk quota exceeded", 30, 3 * HOUR))
    result = matches(log_entry(path))
    assert result.status is Status.FAILED
    assert result.reason == f'count of lines matching "ERROR|CRITICAL" in the last 24h of {path} is 50; limit 10'
    assert result.evidence["top_messages"][0] == {"message": "production.ERROR: disk quota exceeded", "count": 50}


def test_errors_only_older_than_the_window_pass(tmp_path: Path) -> None:
    path = write_log(tmp_path / "app.log", QUIET + spread(500, "CRITICAL: out of memory", 25 * HOUR, 69 * HOUR))
    result = matches(log_entry(path))
    assert result.status is Status.PASSED, result.reason
    assert result.value == 0
    assert matches(log_entry(path, window="48h")).value == int(23 / (44 / 499)) + 1  # ages 25 h to 48 h


def test_the_warning_level_warns(tmp_path: Path) -> None:
    path = write_log(tmp_path / "app.log", QUIET + spread(6, "ERROR: slow upstream", 60, HOUR))
    result = matches(log_entry(path, max=10, warn_max=5))
    assert result.status is Status.WARNING
    assert result.reason.endswith("is 6; warning level 5")


def test_a_repeated_message_fails_with_numbers_and_ids_normalised(tmp_path: Path) -> None:
    repeated = [(60 + i * 30, f"ERROR: Unable to render proof for order {4000 + i} "
                              f"(job 3f2a9c1e-77b0-4c1e-9a8e-{i:012d}, worker 0x7f3a{i:04x}9bc2)") for i in range(8)]
    other = spread(3, "ERROR: mail transport failed", 100, 5 * HOUR)
    path = write_log(tmp_path / "app.log", QUIET + repeated + other)
    result = repeats(log_entry(path, max_repeats=5))
    assert result.status is Status.FAILED
    assert result.value == 8
    assert result.reason == (f"most repeated matching message in the last 24h of {path} is 8x; limit 5x: "
                             '"production.ERROR: Unable to render proof for order # (job <id>, worker <id>)"')
    assert repeats(log_entry(path, max_repeats=8)).status is Status.PASSED


def test_no_matching_line_passes_the_repeats_check(tmp_path: Path) -> None:
    path = write_log(tmp_path / "app.log", QUIET)
    result = repeats(log_entry(path, max_repeats=0))
    assert result.status is Status.PASSED
    assert result.reason == f'no line matches "ERROR|CRITICAL" in the last 24h of {path} (repeats limit 0)'


def test_rotated_files_inside_the_window_count_too(tmp_path: Path) -> None:
    now = time.time()
    live = write_log(tmp_path / "app.log", spread(4, "ERROR: live {i}", 60, 2 * HOUR))
    write_log(tmp_path / "app.log.1", spread(5, "ERROR: rotated {i}", 3 * HOUR, 10 * HOUR), mtime=now - 3 * HOUR)
    write_log(tmp_path / "app.log.2.gz", spread(10, "ERROR: compressed {i}", 20 * HOUR, 30 * HOUR), compress=True,
              mtime=now - 20 * HOUR)
    write_log(tmp_path / "app.log.3.gz", spread(9, "ERROR: ancient {i}", 40 * HOUR, 50 * HOUR), compress=True,
              mtime=now - 40 * HOUR)
    (tmp_path / "app.log.bak").write_text("ERROR: not a rotated file of app.log\n")
    result = matches(log_entry(live, max=100))
    assert result.status is Status.PASSED
    assert result.value == 4 + 5 + 4  # four .2.gz lines lie within 24 h; .3.gz was last written before
    assert result.evidence["files"] == [str(live), str(tmp_path / "app.log.1"), str(tmp_path / "app.log.2.gz")]
    assert result.reason.endswith(f"of {live} (and app.log.1, app.log.2.gz) is 13; limit 100")


def test_a_stack_trace_line_takes_the_time_of_its_entry(tmp_path: Path) -> None:
    now = time.time()
    old = time.strftime("[%Y-%m-%d %H:%M:%S]", time.localtime(now - 30 * HOUR))
    new = time.strftime("[%Y-%m-%d %H:%M:%S]", time.localtime(now - HOUR))
    path = tmp_path / "app.log"
    path.write_text(f"{old} production.INFO: start\n#0 CRITICAL frame in an old trace\n"
                    f"{new} production.INFO: later\n#0 CRITICAL frame in a new trace\n")
    assert matches(log_entry(path)).value == 1


def test_a_pattern_with_regex_features_matches_like_re(tmp_path: Path) -> None:
    lines = ["Failed password for root from 198.51.100.7 port 22 ssh2",
             "Failed password for invalid user admin from 198.51.100.8 port 22 ssh2",
             "Accepted publickey for deploy from 10.0.0.5 port 22 ssh2",
             "error: PAM: Authentication failure for illegal user oracle"]
    path = write_log(tmp_path / "auth.log", [(60 * (i + 1), line) for i, line in enumerate(lines)], "syslog")
    for pattern, expected in ((r"Failed password for (invalid user )?\w+", 2), (r"(?i)authentication failure", 1),
                              (r"Failed password|Authentication failure", 3), (r"port \d+ ssh2$", 3),
                              (r"Accepted\s+publickey", 1), (r"^\w{3} [ \d]\d [\d:]{8} web1 app\[\d+\]: Accepted", 1)):
        assert matches(log_entry(path, pattern=pattern, max=50)).value == expected, pattern


def test_a_large_log_is_read_from_its_end_only_as_far_as_the_window(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    filler = spread(300_000, "INFO: background job {i} done", newest=25 * HOUR, oldest=30 * 24 * HOUR)
    write_log(path, filler + spread(20, "ERROR: recent {i}", 10, HOUR))
    tally = scan(log_entry(path))
    assert tally.count == 20
    size = path.stat().st_size
    assert size > 15 * 2**20 and tally.bytes_read <= 2 * 2**20, (size, tally.bytes_read)


def test_a_missing_log_is_an_error(tmp_path: Path) -> None:
    result = matches(log_entry(tmp_path / "nope.log"))
    assert result.status is Status.ERROR
    assert result.reason == f"{tmp_path / 'nope.log'} does not exist"


def test_matching_lines_without_any_known_timestamp_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "odd.log"
    path.write_text("ERROR something\nINFO fine\n")
    result = matches(log_entry(path))
    assert result.status is Status.ERROR
    assert re.fullmatch(rf"no line of {re.escape(str(path))} read in the window has a timestamp in a known format "
                        r"\(JSON lines, syslog, nginx/Apache, ISO 8601\)", result.reason), result.reason


def test_a_log_last_written_before_the_window_is_not_read(tmp_path: Path) -> None:
    path = write_log(tmp_path / "app.log", spread(40, "ERROR: old {i}", 30 * HOUR, 40 * HOUR),
                     mtime=time.time() - 30 * HOUR)
    result = matches(log_entry(path))
    assert result.status is Status.PASSED and result.value == 0
    assert result.evidence["read"] == "0B"


def test_failed_logins_in_the_auth_log_past_their_limit_fail(tmp_path: Path) -> None:
    attempts = [(30 + i * 60, f"sshd[{900 + i}]: Failed password for invalid user admin from 198.51.100.{i % 250} "
                              f"port {40000 + i} ssh2") for i in range(60)]
    accepted = spread(20, "sshd[77]: Accepted publickey for deploy from 10.0.0.5 port 50{i} ssh2", 100, 10 * HOUR)
    path = write_log(tmp_path / "auth.log", attempts + accepted, "syslog")
    entry = log_entry(path, name="ssh-brute-force", pattern="Failed password|Invalid user", max=50, max_repeats=20)
    result = matches(entry)
    assert result.status is Status.FAILED
    assert result.reason == f'count of lines matching "Failed password|Invalid user" in the last 24h of {path} ' \
                            "is 60; limit 50"
    repeated = repeats(entry)
    assert repeated.status is Status.FAILED
    assert repeated.reason.endswith('is 60x; limit 20x: "web# app[#]: sshd[#]: Failed password for invalid user '
                                    'admin from #.#.#.# port # ssh#"'), repeated.reason
