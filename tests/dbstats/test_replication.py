"""Replication lag against a real streaming PostgreSQL standby and a real MariaDB replica that cannot connect."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pymysql
from psycopg import sql
import pytest

from opsverify.checks.db.replication import lag
from opsverify.result import Status
from tests.dbstats.helpers import database, pg_admin
from tests.services import POSTGRES, need
from tests.support.daemon import as_user, scratch_folder
from tests.support.fixtures import require
from tests.support.mariadb_server import MariaDbServer
from tests.support.net import LOOPBACK, free_port
from tests.support.pg_cluster import PgCluster


class Standby:
    """A hot standby of a throwaway cluster: pg_basebackup -R, then pg_ctl start on its own port."""

    def __init__(self, primary: PgCluster) -> None:
        self.primary, self.port = primary, free_port()
        self.folder = scratch_folder("postgres", "opsv-pg-standby-")

    def tool(self, name: str, *args: str) -> None:
        """Run a PostgreSQL tool as postgres."""
        folder = Path(os.path.realpath(self.primary.bin / "initdb")).parent if self.primary.bin else None
        program = str(folder / name) if folder else name  # the real bin folder: PATH may hold a few links
        subprocess.run(as_user("postgres", [program, *args]), check=True, capture_output=True, timeout=60)

    def start(self) -> Standby:
        """Copy the primary and start streaming from it (deleting the copy if that fails)."""
        try:
            self._start()
        except BaseException:
            self.destroy()
            raise
        return self

    def _start(self) -> None:
        """pg_basebackup -R into the folder, then pg_ctl start."""
        self.tool("pg_basebackup", "-h", LOOPBACK, "-p", str(self.primary.port), "-U", "postgres", "-R",
                  "-X", "stream", "-D", str(self.folder / "data"))
        options = f"-p {self.port} -k {self.folder} -c listen_addresses={LOOPBACK} -c fsync=off"
        self.tool("pg_ctl", "-w", "-t", "30", "-D", str(self.folder / "data"), "-l", str(self.folder / "log"),
                  "-o", options, "start")

    def destroy(self) -> None:
        """Stop the standby and delete it."""
        if (self.folder / "data" / "postmaster.pid").exists():
            self.tool("pg_ctl", "-w", "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def replicated() -> Iterator[tuple[PgCluster, Standby]]:
    """A primary with one streaming standby."""
    require(PgCluster.unavailable())
    with PgCluster() as primary:
        standby = Standby(primary).start()
        try:
            with pg_admin(primary.port) as admin:
                admin.execute("CREATE TABLE ticks (at timestamptz DEFAULT now())")
            yield primary, standby
        finally:
            standby.destroy()


def wait_for(condition, what: str, timeout: float = 20.0) -> None:
    """Poll until condition() is true."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def standby_item(standby: Standby, **limits: str):
    """The standby as a database item."""
    return database(f"postgresql+psycopg://postgres@{LOOPBACK}:{standby.port}/postgres", **limits)


def caught_up(standby: Standby) -> bool:
    """Whether the standby has replayed everything it received."""
    with pg_admin(standby.port) as admin:
        return admin.execute("SELECT pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()").fetchone()[0]


def test_a_caught_up_standby_and_its_primary_pass(replicated) -> None:
    primary, standby = replicated
    wait_for(lambda: caught_up(standby), "the standby to catch up")
    on_standby = lag(standby_item(standby, max_replication_lag="1s"))
    assert on_standby.status is Status.PASSED, on_standby.reason
    assert on_standby.reason == "replication lag of this replica (replayed all it received) is 0ms; limit 1s"
    on_primary = lag(database(primary.url(), max_replication_lag="1s"))
    assert on_primary.status is Status.PASSED, on_primary.reason
    assert re.fullmatch(r"replication lag of replica \w+ \(streaming\) is [\d.]+m?s; limit 1s", on_primary.reason)


def test_a_standby_whose_replay_is_paused_lags_past_its_limit(replicated) -> None:
    primary, standby = replicated
    with pg_admin(standby.port) as admin:
        admin.execute("SELECT pg_wal_replay_pause()")
        try:
            with pg_admin(primary.port) as writer:
                writer.execute("INSERT INTO ticks DEFAULT VALUES")
            wait_for(lambda: not caught_up(standby), "the standby to receive WAL it does not replay")
            time.sleep(1.1)
            result = lag(standby_item(standby, max_replication_lag="1s"))
        finally:
            admin.execute("SELECT pg_wal_replay_resume()")
    assert result.status is Status.FAILED
    assert re.fullmatch(r"replication lag of this replica \(replay paused\) is [\d.]+s; limit 1s", result.reason), \
        result.reason
    wait_for(lambda: caught_up(standby), "the standby to catch up again")
    assert lag(standby_item(standby, max_replication_lag="1s")).status is Status.PASSED


def test_a_standby_cut_off_from_its_primary_is_an_error(replicated) -> None:
    primary, standby = replicated
    with pg_admin(standby.port) as admin:
        conninfo = admin.execute("SHOW primary_conninfo").fetchone()[0]
        admin.execute(f"ALTER SYSTEM SET primary_conninfo = 'host={LOOPBACK} port={free_port()} user=postgres'")
        admin.execute("SELECT pg_reload_conf()")
        try:
            wait_for(lambda: admin.execute("SELECT count(*) FROM pg_stat_wal_receiver").fetchone()[0] == 0,
                     "the WAL receiver to stop")
            result = lag(standby_item(standby, max_replication_lag="1s"))
        finally:
            admin.execute(sql.SQL("ALTER SYSTEM SET primary_conninfo = {}").format(sql.Literal(conninfo)))
            admin.execute("SELECT pg_reload_conf()")
    assert result.status is Status.ERROR
    assert result.reason == "this replica is not streaming from a primary (no WAL receiver); its lag cannot be measured"


def test_a_server_without_replication_is_skipped_unless_its_item_expects_replication() -> None:
    need("PostgreSQL", POSTGRES)
    url = f"postgresql+psycopg://postgres@{POSTGRES[0]}:{POSTGRES[1]}/postgres"
    result = lag(database(url, max_replication_lag="30s"))
    assert result.status is Status.SKIPPED
    assert result.reason == f"{url} is not a replica and no replica is connected to it"
    expected = lag(database(url, max_replication_lag="30s", replication="replica"))
    assert expected.status is Status.FAILED
    assert expected.reason == (f"{url} is not a replica: it is not in recovery (promoted, or never set up as a "
                               "standby); replication: replica expects it to stream from its primary")


def test_a_primary_with_its_replica_passes_as_expected(replicated) -> None:
    primary, standby = replicated
    wait_for(lambda: caught_up(standby), "the standby to catch up")
    result = lag(database(primary.url(), replication="primary"))
    assert result.status is Status.PASSED, result.reason
    assert re.fullmatch(r"replication lag of replica \w+ \(streaming\) is [\d.]+m?s", result.reason), result.reason
    wrong = lag(standby_item(standby, replication="primary"))
    assert (wrong.status, wrong.reason) == (Status.FAILED, f"postgresql+psycopg://postgres@{LOOPBACK}:{standby.port}"
                                            "/postgres is a standby (in recovery), not a primary as replication: "
                                            "primary expects")


def test_a_promoted_standby_fails_where_a_replica_is_expected(replicated) -> None:
    primary, _ = replicated
    standby = Standby(primary).start()
    try:
        item = standby_item(standby, max_replication_lag="30s", replication="replica")
        wait_for(lambda: lag(item).status is Status.PASSED, "the new standby to stream")
        standby.tool("pg_ctl", "-w", "-D", str(standby.folder / "data"), "promote")
        promoted = lag(item)
        alone = lag(standby_item(standby, replication="primary"))
    finally:
        standby.destroy()
    assert promoted.status is Status.FAILED
    assert promoted.reason == (f"postgresql+psycopg://postgres@{LOOPBACK}:{standby.port}/postgres is not a replica: it "
                               "is not in recovery (promoted, or never set up as a standby); replication: replica "
                               "expects it to stream from its primary")
    assert alone.status is Status.FAILED
    assert alone.reason == (f"no replica is connected to postgresql+psycopg://postgres@{LOOPBACK}:{standby.port}/"
                            "postgres (pg_stat_replication is empty); replication: primary expects at least one")


@pytest.fixture
def mariadb() -> Iterator[MariaDbServer]:
    """A throwaway MariaDB server."""
    require(MariaDbServer.unavailable())
    with MariaDbServer() as server:
        yield server


def test_a_mariadb_replica_that_cannot_reach_its_primary_is_an_error(mariadb: MariaDbServer) -> None:
    db = database(mariadb.url(), max_replication_lag="30s")
    primary = lag(db)
    assert primary.status is Status.SKIPPED
    assert primary.reason.endswith("is not a replica; a MySQL/MariaDB primary does not know its replicas' lag: "
                                   "check each replica")
    port = free_port()
    admin = pymysql.connect(host=LOOPBACK, port=mariadb.port, user="root", autocommit=True)
    try:
        admin.cursor().execute(f"CHANGE MASTER TO MASTER_HOST='{LOOPBACK}', MASTER_PORT={port}, "
                               "MASTER_USER='repl', MASTER_CONNECT_RETRY=1")
        admin.cursor().execute("START SLAVE")
        result = lag(db)
        admin.cursor().execute("STOP SLAVE")
    finally:
        admin.close()
    assert result.status is Status.ERROR
    assert re.fullmatch(rf"the lag of the replica of {LOOPBACK}:{port} cannot be measured: Seconds_Behind_Master "
                        rf"is NULL \(IO thread (Connecting|No), SQL thread Yes; .*\)", result.reason), result.reason



def test_a_mariadb_replica_whose_replication_was_reset_fails_where_a_replica_is_expected(
        mariadb: MariaDbServer) -> None:
    admin = pymysql.connect(host=LOOPBACK, port=mariadb.port, user="root", autocommit=True)
    db = database(mariadb.url(), replication="replica")
    try:
        admin.cursor().execute(f"CHANGE MASTER TO MASTER_HOST='{LOOPBACK}', MASTER_PORT={free_port()}, "
                               "MASTER_USER='repl', MASTER_CONNECT_RETRY=1")
        configured = lag(db)
        admin.cursor().execute("RESET SLAVE ALL")
        reset = lag(db)
        no_replicas = lag(database(mariadb.url(), replication="primary"))
    finally:
        admin.close()
    assert configured.status is Status.ERROR  # set up but not replicating: its lag cannot be measured
    assert reset.status is Status.FAILED
    assert reset.reason == (f"{mariadb.url()} is not a replica: it has no replication channel (reset, or never set "
                            "up); replication: replica expects one")
    assert no_replicas.status is Status.FAILED
    assert no_replicas.reason == (f"no replica is connected to {mariadb.url()} (no Binlog Dump thread); "
                                  "replication: primary expects at least one")
