"""Log retention: the oldest kept log is at least min_days old and none is older than max_days."""

from __future__ import annotations

import os
import time

from opsverify.checks.compliance import log_retention
from opsverify.result import Status
from tests.compliance.helpers import context, environment

DAY = 86400


def _logs(folder, *ages_days):
    folder.mkdir(parents=True, exist_ok=True)
    for n, age in enumerate(ages_days):
        path = folder / f"app-{n}.log"
        path.write_text("x\n")
        stamp = time.time() - age * DAY
        os.utime(path, (stamp, stamp))


def _check(tmp_path, path, limits="min_days: 90, max_days: 400", host="web"):
    env = environment(f"""environment: t
hosts: [{{name: web, target: 'local://'}}]
compliance:
  log_retention:
    - {{path: '{path}', {f"host: {host}, " if host else ""}{limits}}}
""")
    return log_retention(env.compliance.log_retention[0], context=context(env, tmp_path))


def test_logs_within_the_window_pass(tmp_path):
    _logs(tmp_path / "logs", 0, 30, 200, 365)
    result = _check(tmp_path, tmp_path / "logs")
    assert result.status is Status.PASSED, result
    assert result.reason == (f"logs under {tmp_path / 'logs'} on web go back 365 days (app-3.log); "
                             "keep at least 90 days and at most 400 days")
    assert result.evidence["files"] == 4 and result.value == 365


def test_too_short_a_history_fails(tmp_path):
    _logs(tmp_path / "logs", 0, 10, 30)
    result = _check(tmp_path, tmp_path / "logs", host=None)
    assert result.status is Status.FAILED
    assert result.reason == (f"logs under {tmp_path / 'logs'} on local go back 30 days (app-2.log); "
                             "at least 90 days must be kept")


def test_logs_kept_too_long_fail(tmp_path):
    _logs(tmp_path / "logs" / "old", 0, 512)
    result = _check(tmp_path, tmp_path / "logs")
    assert result.status is Status.FAILED and "go back 512 days" in result.reason
    assert "nothing older than 400 days may be kept" in result.reason


def test_a_glob_selects_files_in_one_folder_and_warn_levels_apply(tmp_path):
    _logs(tmp_path / "logs", 0, 100)
    (tmp_path / "logs" / "ancient.txt").write_text("not a log\n")
    os.utime(tmp_path / "logs" / "ancient.txt", (0, 0))
    result = _check(tmp_path, f"{tmp_path / 'logs'}/*.log", limits="min_days: 30, warn_min_days: 180")
    assert result.status is Status.WARNING and "warning level: at least 180 days" in result.reason, result


def test_no_logs_at_all_fail_when_a_minimum_is_set(tmp_path):
    (tmp_path / "empty").mkdir()
    result = _check(tmp_path, tmp_path / "empty")
    assert result.status is Status.FAILED and result.reason.startswith("no log files are kept under")


def test_a_missing_folder_is_an_error_naming_it(tmp_path):
    result = _check(tmp_path, tmp_path / "nowhere")
    assert result.status is Status.ERROR and "nowhere" in result.reason and "No such file" in result.reason


def test_the_demo_break_purges_old_logs(tmp_path):
    from opsverify import demo
    from opsverify.spec import load

    with demo.start(tmp_path / "demo", ["logs-purged"]) as running:
        env = load(running.env_path)
        result = log_retention(env.compliance.log_retention[0], context=context(env, tmp_path))
    assert result.status is Status.FAILED and "go back 30 days" in result.reason, result


def test_a_log_that_rotation_no_longer_cuts_fails_on_its_size_and_too_many_kept_files_fail(tmp_path):
    folder = tmp_path / "pm2-logs"
    _logs(folder, 0, 1, 2, 3)
    (folder / "app-0.log").write_text("live\n")  # the live log, just rotated
    limits = "max_days: 8, max_file_size: 12MB, max_files: 4"
    rotated = _check(tmp_path, folder, limits)
    assert rotated.status is Status.PASSED, rotated.reason
    assert rotated.reason == (f"logs under {folder} on web go back 3 days (app-3.log); keep at most 8 days | "
                              f"4 log files are kept under {folder} on web; limit 4 | app-0.log, the biggest log "
                              f"file under {folder} on web, is 5B; limit 12MB")
    with open(folder / "app-0.log", "wb") as out:  # pm2-logrotate stopped: the live log grows past max_size
        out.truncate(40 * 2**20)
    _logs(folder / "..", 0)  # and one more file beside them is not deleted (retain not applied)
    (tmp_path / "app-0.log").rename(folder / "app-9.log")
    result = _check(tmp_path, folder, limits)
    assert result.status is Status.FAILED
    assert result.reason == (f"5 log files are kept under {folder} on web; limit 4 | app-0.log, the biggest log "
                             f"file under {folder} on web, is 40.0MiB; limit 12MB")


def test_a_live_log_that_rotation_stopped_keeping_small_fails_max_file_size(tmp_path):
    _logs(tmp_path / "logs", 1, 2, 3)
    (tmp_path / "logs" / "laravel.log").write_bytes(b"production.ERROR: x\n" * 150_000)  # 3MB, still growing
    result = _check(tmp_path, tmp_path / "logs", limits="min_days: 2, max_days: 15, max_file_size: 1MB")
    assert result.status is Status.FAILED
    assert result.reason == f"laravel.log, the biggest log file under {tmp_path / 'logs'} on web, is 2.9MiB; limit 1MB"
    assert result.evidence["biggest_size"] == "2.9MiB"
    (tmp_path / "logs" / "laravel.log").write_bytes(b"production.ERROR: x\n" * 1000)  # rotated
    assert _check(tmp_path, tmp_path / "logs", limits="max_file_size: 1MB").status is Status.PASSED


def test_an_archive_nothing_reached_lately_fails_max_newest_days(tmp_path):
    _logs(tmp_path / "archive", 12, 40, 100)
    result = _check(tmp_path, tmp_path / "archive", limits="min_days: 90, max_days: 400, max_newest_days: 8")
    assert result.status is Status.FAILED
    assert result.reason == (f"the newest log file under {tmp_path / 'archive'} on web (app-0.log) is 12 days old; "
                             "limit 8 days; nothing was rotated or archived since")
    _logs(tmp_path / "archive", 1)
    assert _check(tmp_path, tmp_path / "archive", limits="max_newest_days: 8").status is Status.PASSED
    (tmp_path / "empty").mkdir()
    assert _check(tmp_path, tmp_path / "empty", limits="max_newest_days: 8").status is Status.FAILED
