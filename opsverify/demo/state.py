"""The demo's state folder, rebuilt around now on every start: database, backups, logs and TLS."""

from __future__ import annotations

import datetime as dt
import ssl
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from opsverify.demo import backups, database, dependencies, logs, records, settings, tls


@dataclass(frozen=True)
class State:
    """What a start prepared: where the files are and the TLS context to serve with."""

    folder: Path
    db: Path
    ca_file: Path
    context: ssl.SSLContext
    backups: tuple[backups.Backup, ...]


def prepare(folder: Path, breaks: frozenset[str], now: dt.datetime | None = None) -> State:
    """Rebuild the state folder for these breaks (a clean one without them); keep the cached CA."""
    folder = folder.expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    now = now or dt.datetime.now().astimezone()
    db = folder / "app.db"
    with closing(database.build(now)) as connection:
        dump = database.dump(connection)  # the backups hold the healthy database, whatever app.db lacks
        if "missing-table" in breaks:
            database.drop_table(connection, "orders")
        records.prepare(folder, connection, now, breaks)  # documents, rotated logs, admin roles
        database.save(connection, db)
    history = backups.write(folder / "backups", dump, now, breaks)
    logs.write_backup_log(folder / "logs" / "backup.log", history)
    logs.write_app_log(folder / "logs" / "app.log", now, spike="error-spike" in breaks)
    (folder / "scratch").mkdir(exist_ok=True)
    dependencies.write(folder, now, breaks)
    settings.write(folder, breaks)
    context, ca_file = tls.server_context(folder / "tls", breaks)
    return State(folder, db, ca_file, context, tuple(history))
