"""Leftovers of a drill killed together with its watchdog and client are removed by the next drill, and only they."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import psycopg

from opsverify.checks.backup import stale
from opsverify.checks.backup.restore import restore_drill
from opsverify.checks.backup.scratch import throwaway_name
from opsverify.result import Status
from tests.backups.conftest import MARIA_URL, PG_URL, Shelf, Source, backup, context, roles, throwaways
from tests.backups.test_restore_pg import sleepy
from tests.backups.test_restore_hostile_mysql import execute

INTO = f"{PG_URL}/postgres"
RUNNER = textwrap.dedent("""
    import sys
    from opsverify.checks.backup.restore import restore_drill
    from tests.backups.conftest import backup, context
    item = backup(sys.argv[1], name=sys.argv[2], restore={"into": sys.argv[3], "max_duration": "5m",
                                                          "expect_min_rows": {"orders": 500}})
    result = restore_drill(item, context=context())
    print(result.status.value, result.reason, flush=True)
""")


def drill_in(folder: Path, source: Source, seconds: int, item: str) -> subprocess.Popen[bytes]:
    """In a process of its own, the drill of a dump of `source` that sleeps `seconds` in its restore."""
    folder.mkdir()
    (folder / "db-1.sql").write_bytes(sleepy(source, seconds))
    return subprocess.Popen([sys.executable, "-c", RUNNER, str(folder / "db-*"), item, INTO],
                            cwd=Path(__file__).parents[2], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def database_of(pid: int, item: str) -> str:
    """The throwaway database the drill in process `pid` made (waits for it)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if found := [name for name in throwaways("pg", pid) if f"_{item.replace('-', '_')}_" in name]:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no database from the drill in process {pid}")


def marker_of(database: str) -> dict:
    """The owner marker on a throwaway database."""
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres") as conn:
        return json.loads(conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                                       "WHERE datname = %s", (database,)).fetchone()[0])


def folder_of(pid: int) -> Path:
    """The private folder of the drill in process `pid`."""
    for folder in Path(tempfile.gettempdir()).glob(stale.FOLDER_PREFIX + "*"):
        owner = folder / stale.OWNER_FILE
        if owner.exists() and json.loads(owner.read_text())["pids"][0][0] == pid:
            return folder
    raise AssertionError(f"no private folder of process {pid}")


def test_a_drill_killed_with_its_watchdog_and_client_is_cleaned_up_by_the_next(tmp_path: Path, shelf: Shelf,
                                                                                pg_source: Source) -> None:
    process = drill_in(tmp_path / "killed", pg_source, 120, "pg-power-loss")
    try:
        name = database_of(process.pid, "pg-power-loss")
        time.sleep(1.0)  # psql is in the restore now
        drill_pid, watchdog_pid = (pid for pid, _ in marker_of(name)["pids"])
        children = Path(f"/proc/{drill_pid}/task/{drill_pid}/children").read_text().split()
        folder = folder_of(drill_pid)
        for pid in [drill_pid, watchdog_pid, *map(int, children)]:  # power loss: everything at once
            os.kill(pid, signal.SIGKILL)
        process.wait(timeout=10)
        time.sleep(2.0)
        assert throwaways("pg", drill_pid) == [name] and roles("pg", [name]) == [name] and folder.exists()
    finally:
        if process.poll() is None:
            process.kill()
    shelf.put("db-1.sql", pg_source.dump().read_bytes())
    result = restore_drill(backup(shelf.glob(), name="pg-next", restore={"into": INTO}), context=context())
    assert result.status is Status.PASSED, result.reason
    why = f"its drill, process {drill_pid} on this machine, is gone"
    assert f"dropped database {name} and its role ({why})" in result.evidence["reaped"]
    assert f"removed {folder} ({why})" in result.evidence["reaped"]
    assert throwaways("pg", drill_pid) == [] and roles("pg", [name]) == [] and not folder.exists()


def test_two_drills_at_once_both_pass(tmp_path: Path, shelf: Shelf, pg_source: Source) -> None:
    process = drill_in(tmp_path / "slow", pg_source, 5, "pg-first")
    try:
        theirs = database_of(process.pid, "pg-first")
        shelf.put("db-1.sql", pg_source.dump().read_bytes())
        result = restore_drill(backup(shelf.glob(), name="pg-second", restore={"into": INTO,
                                                                              "expect_min_rows": {"orders": 500}}),
                               context=context())
        assert result.status is Status.PASSED, result.reason
        assert not any(theirs in line for line in result.evidence.get("reaped", []))
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert out.decode().startswith("passed "), err.decode()[-2000:]


def test_an_unmarked_leftover_is_dropped_a_day_after_its_time(shelf: Shelf, pg_source: Source) -> None:
    old, young = throwaway_name("old", time.time() - 3 * 86400), throwaway_name("young", time.time() - 3600)
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
        for name in (old, young):
            conn.execute(f'CREATE DATABASE "{name}"')
            conn.execute(f'CREATE ROLE "{name}"')
    try:
        shelf.put("db-1.sql", pg_source.dump().read_bytes())
        result = restore_drill(backup(shelf.glob(), name="pg-after", restore={"into": INTO}), context=context())
        assert result.status is Status.PASSED, result.reason
        assert f"dropped database {old} and its role (unmarked, made 72h ago)" in result.evidence["reaped"]
        assert roles("pg", [old, young]) == [young]
    finally:
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
            for name in (old, young):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                conn.execute(f'DROP ROLE IF EXISTS "{name}"')


def test_another_machines_leftover_goes_when_its_time_is_over(shelf: Shelf, maria_source: Source) -> None:
    over, running, ended = throwaway_name("over"), throwaway_name("running"), time.time() - 60
    marker = {"host": "elsewhere", "boot": "", "ns": "", "pids": [[1, "1"]]}
    for name, until in ((over, ended), (running, time.time() + 3600)):
        comment = json.dumps({**marker, "until": until})
        execute(f"CREATE DATABASE `{name}` COMMENT '{comment}'", f"CREATE USER '{name}'@'127.0.0.1'")
    try:
        shelf.put("db-1.sql", maria_source.dump().read_bytes())
        result = restore_drill(backup(shelf.glob(), name="maria-after", restore={"into": f"{MARIA_URL}/mysql"}),
                               context=context())
        assert result.status is Status.PASSED, result.reason
        assert [line for line in result.evidence["reaped"] if over in line] == [
            f"dropped database {over} and its role (its drill on elsewhere should have ended by "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(ended))})"]
        assert roles("maria", [over, running]) == [running]
    finally:
        for name in (over, running):
            execute(f"DROP USER IF EXISTS '{name}'@'127.0.0.1'", f"DROP DATABASE IF EXISTS `{name}`")


def test_a_marker_of_a_running_drill_here_is_never_stale() -> None:
    here = json.loads(stale.owner([os.getpid()], 0))
    assert stale.gone(json.dumps({**here, "until": 0}), made=0.0) is None  # past its time, but running
    gone = {**here, "pids": [[here["pids"][0][0], "0"]]}  # the same id, another start time: a new process
    assert stale.gone(json.dumps(gone), made=None) == (f"its drill, process {os.getpid()} on this machine, is gone")
