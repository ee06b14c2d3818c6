"""`opsverify schedule --print ...`, `--run` under another process's lock, `opsverify status`."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap

import yaml

from tests.plugin.conftest import ROOT
from tests.schedule.helpers import UTC, env_file, write_record

CALENDAR = """timezone: Europe/Amsterdam
daily: "09:00"
weekly: "monday 08:00"
monthly: "first monday 07:00"
quarterly: "first monday of jan,apr,jul,oct 06:00"
maintenance_window: "sunday 02:00-04:00\""""


def opsverify(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "opsverify.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_systemd_timers_use_systemds_own_calendar_in_the_zone(tmp_path):
    out = opsverify("schedule", "--env", str(env_file(tmp_path, CALENDAR)), "--print", "systemd").stdout
    assert "OnCalendar=*-*-* 09:00:00 Europe/Amsterdam" in out
    assert "OnCalendar=Mon *-*-01..07 07:00:00 Europe/Amsterdam" in out
    assert "OnCalendar=Mon *-01,04,07,10-01..07 06:00:00 Europe/Amsterdam" in out
    assert "OnCalendar=Sun *-*-* 02:00:00 Europe/Amsterdam" in out  # the window parts
    assert "Persistent=true" in out and "--run quarterly --if-due" in out and "Restart=on-failure" in out


def test_cron_wakes_opsverify_which_keeps_the_calendar(tmp_path):
    out = opsverify("schedule", "--env", str(env_file(tmp_path, CALENDAR)), "--print", "cron").stdout
    lines = [line for line in out.splitlines() if line and not line.startswith("#")]
    assert len(lines) == 1 and lines[0].startswith("*/10 * * * * cd ") and "--once" in lines[0]


def test_github_workflow_is_valid_yaml_with_zones_and_a_keepalive_for_a_quarterly_only_calendar(tmp_path):
    path = env_file(tmp_path, 'timezone: Europe/Amsterdam\nquarterly: "first monday of jan,apr,jul,oct 06:00"')
    path.write_text(path.read_text() + "databases: [{name: db, url: 'postgresql://u:${DB_PASSWORD}@db/app'}]\n")
    out = opsverify("schedule", "--env", str(path), "--print", "github").stdout
    workflow = yaml.safe_load(out)
    schedules = workflow[True]["schedule"]  # YAML 1.1 reads the key `on` as true
    assert {"cron": "0 6 1-7 1,4,7,10 *", "timezone": "Europe/Amsterdam"} in schedules
    assert any("keepalive" in line for line in out.splitlines() if "cron" in line)
    assert "60 days" in out and "DB_PASSWORD: ${{ secrets.DB_PASSWORD }}" in out
    assert workflow["concurrency"]["cancel-in-progress"] is False
    steps = " ".join(str(s) for s in workflow["jobs"]["checklist"]["steps"])
    assert "--run \"$job\" --if-due" in steps


def test_gitlab_schedules_carry_their_time_zone(tmp_path):
    out = opsverify("schedule", "--env", str(env_file(tmp_path, CALENDAR)), "--print", "gitlab").stdout
    assert 'cron "0 9 * * *", cron_timezone "Europe/Amsterdam", variable OPSV_JOBS="daily"' in out
    job = yaml.safe_load(out)["opsverify-shop"]
    assert job["resource_group"] == "opsverify-shop" and "--if-due" in " ".join(job["script"])


def test_a_run_is_refused_while_another_process_holds_the_environment(tmp_path):
    path = env_file(tmp_path, 'timezone: UTC\ndaily: "09:00"')
    reports = tmp_path / "reports"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from opsverify.schedule.lock import RunLock
        with RunLock(Path({str(reports)!r}), "shop", "weekly"):
            print("held", flush=True)
            time.sleep(60)
        """)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        done = opsverify("schedule", "--env", str(path), "--reports", str(reports), "--run", "daily")
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 3, done
    assert f"weekly by pid {holder.pid}" in done.stderr and "never overlap" in done.stderr
    assert not list(reports.glob("shop/*/*"))  # nothing ran


def test_status_shows_last_run_next_due_and_an_overdue_cadence(tmp_path):
    path = env_file(tmp_path, 'timezone: UTC\ndaily: "00:05"\nweekly: "monday 00:05"')
    reports = tmp_path / "reports"
    now = dt.datetime.now(UTC)
    write_record(reports, "shop", now - dt.timedelta(days=30), "weekly")
    write_record(reports, "shop", now - dt.timedelta(hours=1), "daily", exit_status=1)
    done = opsverify("status", "--env", str(path), "--reports", str(reports))
    assert done.returncode == 1, done
    rows = {line.split()[0]: line for line in done.stdout.splitlines()[2:]}
    assert "failed (exit 1): 3 passed" in rows["daily"] and rows["daily"].rstrip().endswith("ok")
    assert "OVERDUE by" in rows["weekly"] and "passed: 3 passed" in rows["weekly"]
    write_record(reports, "shop", now - dt.timedelta(minutes=5), "weekly")
    assert opsverify("status", "--env", str(path), "--reports", str(reports)).returncode == 0


def test_a_run_that_checked_nothing_is_not_shown_as_the_last_run(tmp_path):
    path = env_file(tmp_path, 'timezone: UTC\ndaily: "00:05"')
    reports = tmp_path / "reports"
    now = dt.datetime.now(UTC)
    write_record(reports, "shop", now - dt.timedelta(days=3), "daily")
    write_record(reports, "shop", now - dt.timedelta(minutes=5), "daily", exit_status=5, counts={"passed": 0})
    done = opsverify("status", "--env", str(path), "--reports", str(reports))
    assert done.returncode == 1, done
    daily = done.stdout.splitlines()[2]
    assert "passed: 3 passed" in daily and "OVERDUE by" in daily


def test_a_link_planted_as_the_run_lock_is_refused(tmp_path):
    path = env_file(tmp_path, 'timezone: UTC\ndaily: "09:00"')
    reports, outside = tmp_path / "reports", tmp_path / "outside"
    reports.mkdir()
    outside.mkdir()
    (reports / ".schedule-shop.lock").symlink_to(outside / "created-by-lock")
    done = opsverify("schedule", "--env", str(path), "--reports", str(reports), "--run", "daily")
    assert done.returncode == 2, done
    assert done.stderr.strip() == (f"opsverify schedule: not starting daily: {reports / '.schedule-shop.lock'} is a "
                                   f"symlink to {outside / 'created-by-lock'}; the archive never follows a link it "
                                   "did not create: remove it")
    assert not list(outside.iterdir()) and not list(reports.glob("shop/*/*"))
