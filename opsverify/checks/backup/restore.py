"""The restore drill: the newest backup restored into a throwaway database on `restore.into`, then checked.

Checked: `expect_min_rows`, row counts against the `source` database within `max_row_drift`, the newest
`freshness_column` value within `max_age` of the backup time, and the whole drill against `max_duration`
(the RTO). The backup is loaded, and the result read, as a throwaway role that owns only the throwaway
database; a dump holding client commands is refused (`loader`). The throwaway database and role are
dropped in every case: after a failure, at the time limit, on Ctrl-C (in `finally`), by a watchdog process
if the process running the drill is killed, and by the next drill if both were killed (`stale`). The
source is only read, through a read-only connection. A production environment's database server is no
scratch server unless `restore.allow_production` says so.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import make_url
from sqlalchemy.engine import URL

from opsverify.checks import CheckError, cause, show_seconds, timeout_of
from opsverify.checks.backup import formats, loader, stale, tally
from opsverify.checks.backup.files import BackupFile, LocalStore, Store, backup_check, listing
from opsverify.checks.backup.reaper import Watchdog
from opsverify.checks.backup.scratch import Scratch
from opsverify.checks.backup.streams import Corrupt, Peek, content, encryption
from opsverify.checks.backup.vetting import Refused
from opsverify.checks.database import connection
from opsverify.context import RunContext
from opsverify.result import Result, error, failed, grade, passed, skipped, worst
from opsverify.spec.models.backups import Backup, Restore
from opsverify.spec.units import Duration, Ratio

DEFAULT_LIMIT = Duration(3600, "1h")  # a drill without max_duration is stopped after this long


class Drill:
    """One drill: its steps with their timings, and what it measured."""

    def __init__(self, backup: Backup, store: Store, file: BackupFile, context: RunContext | None) -> None:
        """A drill of `file`, the newest backup of the set."""
        self.backup, self.store, self.file, self.context = backup, store, file, context
        self.plan = backup.restore
        self.steps: list[dict[str, Any]] = []
        self.results: list[Result] = []
        self.evidence: dict[str, Any] = {"file": file.path}
        self.tool = ""
        self.created = False

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time one step into the evidence (also when it fails)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.steps.append({"step": name, "seconds": round(time.perf_counter() - started, 3)})

    def restore(self, scratch: Scratch, clock: loader.Clock, watchdog: Watchdog, folder: str, owner: str) -> None:
        """Create the throwaway database (marked with its `owner`) and its role, and load the backup into it."""
        with self.step(f"create {scratch.dialect} database {scratch.name}"):
            scratch.create(owner)
        self.created = True
        with self.step("restore"):
            layers: list[str] = []
            try:
                data = formats.unwrap(Peek(self.store.chunks(self.file)), layers)
            except ValueError as exc:
                raise CheckError(f"cannot restore {self.file.name}: {exc}") from None
            head = data.head()
            if (locked := encryption(head)) is not None:
                raise CheckError(f"{self.file.name} is {locked}-encrypted: a drill cannot restore it without the key")
            kind = content(head)
            path = self.file.path if isinstance(self.store, LocalStore) and not layers else None
            self.tool, safeguards = loader.load(scratch, kind, data, path, clock, watchdog, folder, self.file.name)
            self.evidence.update(content="+".join(layers + [kind]), tool=self.tool, safeguards=safeguards)

    def verify(self, scratch: Scratch, clock: loader.Clock) -> None:
        """Row counts, the source comparison and the freshness column, in the restored database."""
        engine = scratch.engine(scratch.role_url(), read_timeout=clock.left() + 1)
        try:
            with engine.connect() as conn:
                with self.step("count rows"):
                    keys = tally.table_keys(conn)
                    rows = {key: tally.count(conn, *where) for key, where in keys.items()}
                    self.evidence["restored_rows"] = rows
                    self._expected_rows(rows)
                if self.plan.source is not None:
                    with self.step(f"count rows in source {self.plan.source}"):
                        self._against_source(rows)
                if self.plan.freshness_column is not None:
                    with self.step(f"newest {self.plan.freshness_column}"):
                        self._freshness(conn, keys)
        finally:
            engine.dispose()

    def _expected_rows(self, rows: dict[str, int]) -> None:
        """expect_min_rows: each table there, with at least that many rows."""
        lowered = {key.lower(): (key, n) for key, n in rows.items()}
        for table, minimum in self.plan.expect_min_rows.items():
            key, found = lowered.get(table.lower(), (table, None))
            if found is None:
                self.results.append(failed(f"table {table} is missing from the restored database"))
            elif found < minimum:
                self.results.append(failed(f"{key} has {found} rows after the restore; expected at least {minimum}"))
            else:
                self.results.append(passed(f"{key} has {found} rows (at least {minimum})"))

    def _against_source(self, rows: dict[str, int]) -> None:
        """Every table of the source is restored, and row counts drift at most max_row_drift."""
        source = self.context.named("databases", self.plan.source)
        with connection(source) as conn:
            keys = tally.table_keys(conn)
            lowered = {key.lower(): key for key in rows}
            counted = {key: (tally.count(conn, *where), rows[lowered[key.lower()]])
                       for key, where in keys.items() if key.lower() in lowered}
        missing = sorted(key for key in keys if key.lower() not in lowered)
        self.evidence["source_rows"] = {key: pair[0] for key, pair in counted.items()}
        if missing:
            self.results.append(failed(f"the restore lacks {len(missing)} table(s) that {source.name} has: "
                                       f"{', '.join(missing[:5])}"))
        if not counted:
            return
        drifts = {key: abs(restored - live) / max(live, 1) for key, (live, restored) in counted.items()}
        table = max(drifts, key=drifts.get)
        live, restored = counted[table]
        self.evidence["worst_drift"] = {"table": table, "drift": round(drifts[table], 4)}
        self.results.append(grade(f"row drift against {source.name} (largest: {table}, {restored} restored, "
                                  f"{live} in {source.name})", Ratio(drifts[table]), self.plan.max_row_drift,
                                  self.plan.warn_max_row_drift, show=str, unit="ratio"))

    def _freshness(self, conn: Any, keys: dict[str, tuple[str | None, str]]) -> None:
        """The newest value of freshness_column is within max_age of the backup's time."""
        column = self.plan.freshness_column
        try:
            when = tally.as_time(tally.newest(conn, column, keys))
        except KeyError as exc:
            self.results.append(failed(f"freshness_column {column}: table {exc.args[0]} is missing from the "
                                       "restored database"))
            return
        if when is None:
            self.results.append(failed(f"{column} has no value in the restored database (empty table?)"))
            return
        self.evidence["newest_value"] = when.isoformat(timespec="seconds")
        lag = max(0.0, (self.file.modified - when).total_seconds())
        self.results.append(grade(f"lag of the newest {column} behind the backup", lag, self.backup.max_age,
                                  self.backup.warn_max_age, show=show_seconds, unit="s"))


@backup_check
def restore_drill(backup: Backup, *, context: RunContext | None = None) -> Result:
    """Restore the newest backup into a throwaway database, check it, time it, and always drop it."""
    plan = backup.restore
    if plan is None:
        return skipped("no restore: section for this backup set")
    if plan.source is not None and context is None:
        raise CheckError("comparing with restore.source needs the environment")
    if (refusal := production_server(plan, context)) is not None:
        return error(refusal)
    store, files = listing(backup, context)
    drill = Drill(backup, store, files[0], context)
    limit = plan.max_duration if plan.max_duration is not None else DEFAULT_LIMIT
    timeout = float(timeout_of(backup))
    scratch = Scratch.new(plan.into.reveal(), backup.name, timeout)
    loader.stop_on_exit()
    clock = loader.Clock(time.monotonic(), float(limit))
    reaped = stale.sweep(scratch)
    if reaped:
        drill.evidence["reaped"] = reaped
    folder = tempfile.mkdtemp(prefix=stale.FOLDER_PREFIX)
    watchdog = Watchdog({"url": scratch.url.render_as_string(hide_password=False), "name": scratch.name,
                         "timeout": timeout, "folder": folder})
    owner = stale.owner([os.getpid(), watchdog.process.pid], float(limit))
    (Path(folder) / stale.OWNER_FILE).write_text(owner)
    problem: Result | None = None
    try:
        drill.restore(scratch, clock, watchdog, folder, owner)
        clock.check("checking the restored database")
        drill.verify(scratch, clock)
    except loader.Stop as exc:
        problem = (error if exc.interrupted else failed)(f"{exc}; limit {limit}")
    except Refused as exc:
        problem = failed(str(exc))
    except (Corrupt, loader.Failed) as exc:
        problem = failed(f"the restore failed: {exc}")
    except CheckError as exc:
        problem = error(str(exc))
    except Exception as exc:  # noqa: BLE001 - the scratch server refused, timed out...: keep the steps
        problem = error(cause(exc, scratch.server, timeout))
    finally:
        seconds = time.monotonic() - clock.started
        dropped = _drop(drill, scratch)
        shutil.rmtree(folder, ignore_errors=True)
        watchdog.release(dropped is None or not drill.created)  # never created: nothing for it to retry
    return _outcome(drill, scratch, problem, seconds, limit, dropped)


def production_server(plan: Restore, context: RunContext | None) -> str | None:
    """Why a drill must not create databases on `restore.into`: a production environment's database server."""
    environment = context.environment if context is not None else None
    if environment is None or not environment.production or plan.allow_production:
        return None
    where = _address(make_url(plan.into.reveal()))
    for database in environment.databases:
        try:
            theirs = _address(make_url(database.url.reveal()))
        except Exception:  # noqa: BLE001 - a URL the databases check itself reports
            continue
        if where is not None and theirs == where:
            return (f"refused: environment {environment.environment} has production: true, and restore.into is "
                    f"{where[0]}:{where[1]}, the server of databases item {database.name}; a drill creates and "
                    "loads databases there only with restore.allow_production: true")
    return None


def _address(url: URL) -> tuple[str, int] | None:
    """(host, port) of a database server, loopback names made one; None for SQLite."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return None
    host = (url.host or str(url.query.get("host") or "") or "localhost").lower()
    if host in ("localhost", "::1", "[::1]") or host.startswith("127."):
        host = "localhost"
    return host, url.port or (5432 if backend.startswith("postgres") else 3306)


def _drop(drill: Drill, scratch: Scratch) -> str | None:
    """Drop the throwaway database; the reason when that failed (the watchdog then keeps trying)."""
    try:
        with drill.step(f"drop {scratch.name}"):
            scratch.drop()
    except Exception as exc:  # noqa: BLE001 - reported, and left to the watchdog
        return cause(exc, scratch.server)
    return None


def _outcome(drill: Drill, scratch: Scratch, problem: Result | None, seconds: float, limit: Duration,
             dropped: str | None) -> Result:
    """One result from the drill's parts, with its steps as evidence."""
    plan, name = drill.plan, drill.file.name
    if problem is None:
        drill.results.insert(0, grade("drill time", seconds, plan.max_duration,
                                      plan.warn_max_duration, show=show_seconds, unit="s"))
    else:
        drill.results.insert(0, problem)
    if dropped is not None and drill.created:
        drill.results.append(error(f"the throwaway database {scratch.shown} could not be dropped ({dropped}); "
                                   "a watchdog keeps trying for 10 minutes"))
    top = worst(drill.results)
    reasons = f"restore drill of {name}: " + "; ".join(r.reason for r in drill.results if r.status is top.status)
    if top.status.value == "passed":
        reasons = (f"{name} restored into a throwaway {scratch.dialect} database with {drill.tool} in "
                   f"{show_seconds(seconds)} (limit {limit}): "
                   + "; ".join(r.reason for r in drill.results[1:])).rstrip(": ")
    evidence = {**drill.evidence, "database": scratch.name, "steps": drill.steps, "seconds": round(seconds, 3)}
    return Result(top.status, reasons, round(seconds, 3), "s", str(limit), evidence)
