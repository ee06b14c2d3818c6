"""Admin connections to throwaway servers, items, and run contexts with a real archive of earlier runs."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from opsverify.archive import new_run_folder
from opsverify.context import RunContext
from opsverify.plugin.outcome import as_dict
from opsverify.result import Result
from opsverify.spec import Environment, loads
from opsverify.spec.models.health import Database
from tests.support.items import item
from tests.support.net import LOOPBACK


def database(url: str, **fields: Any) -> Database:
    """A Database item for url (timeout 2s)."""
    return item(Database, url=url, **fields)


def pg_admin(port: int, dbname: str = "postgres") -> psycopg.Connection:
    """An autocommit superuser connection to a throwaway cluster."""
    return psycopg.connect(host=LOOPBACK, port=port, user="postgres", dbname=dbname, autocommit=True)


def in_background(work: Callable[[], object]) -> threading.Thread:
    """Run work (a statement that blocks or sleeps) on a daemon thread; errors are ignored."""
    def run() -> None:
        """The work, whose cancellation error is expected."""
        try:
            work()
        except Exception:  # noqa: BLE001 - cancelled or killed by the test on purpose
            pass
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def context(reports: Path, nodeid: str, started: dt.datetime, environment: Environment | None = None) -> RunContext:
    """The context a run started at `started` gives the check of test `nodeid`."""
    env = environment or loads("environment: staging\n")
    return RunContext(env, reports, None, started, nodeid)


def archive(ctx: RunContext, result: Result) -> Path:
    """Record a result as the plugin's results record of the run `ctx` describes."""
    folder = new_run_folder(ctx.reports, ctx.environment.environment, "weekly", ctx.started)
    entry = {"nodeid": ctx.nodeid, "outcome": result.status.value, **as_dict(result)}
    record = {"environment": ctx.environment.environment, "started": ctx.started_iso(), "checks": [entry]}
    (folder / "results.json").write_text(json.dumps(record))
    return folder
