"""The backup job's own log: a line matching `success_pattern`, timestamped within `log.max_age`."""

from __future__ import annotations

import datetime as dt
import re

from opsverify.checks import CheckError, probe, show_seconds
from opsverify.checks.backup.files import HostStore, store_for
from opsverify.context import RunContext
from opsverify.result import Result, error, failed, grade
from opsverify.spec.models.backups import Backup
from opsverify.spec.secret import shorten

WINDOW = 16 << 20  # the last bytes of the log that are searched
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                       "Nov", "Dec"), 1)}
_ISO = re.compile(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:[.,]\d+)?\s?(Z|[+-]\d\d:?\d\d)?")
_CLF = re.compile(r"(\d\d)/([A-Z][a-z]{2})/(\d{4}):(\d\d:\d\d:\d\d)(?: ([+-]\d{4}))?")
_SYSLOG = re.compile(r"^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d:\d\d:\d\d)")


def timestamp(line: str, zone: dt.tzinfo, now: dt.datetime) -> dt.datetime | None:
    """The time a log line was written: ISO 8601, common log format or syslog; naive ones are in `zone`."""
    if match := _ISO.search(line):
        offset = match[3]
        when = dt.datetime.fromisoformat(f"{match[1]}T{match[2]}")
        if offset:
            offset = "+00:00" if offset == "Z" else offset if ":" in offset else f"{offset[:3]}:{offset[3:]}"
            return dt.datetime.fromisoformat(f"{match[1]}T{match[2]}{offset}")
        return when.replace(tzinfo=zone)
    if (match := _CLF.search(line)) and match[2] in _MONTHS:
        when = dt.datetime.strptime(f"{match[3]}-{_MONTHS[match[2]]}-{match[1]} {match[4]}", "%Y-%m-%d %H:%M:%S")
        return when.replace(tzinfo=_offset(match[5]) if match[5] else zone)
    if (match := _SYSLOG.search(line)) and match[1] in _MONTHS:  # no year: the latest one not in the future
        local = now.astimezone(zone)
        when = dt.datetime.strptime(f"{local.year}-{_MONTHS[match[1]]}-{match[2]} {match[3]}", "%Y-%m-%d %H:%M:%S")
        when = when.replace(tzinfo=zone)
        return when.replace(year=when.year - 1) if when > now + dt.timedelta(days=1) else when
    return None


def _offset(text: str) -> dt.timezone:
    """+0200 as a timezone."""
    sign = -1 if text[0] == "-" else 1
    return dt.timezone(sign * dt.timedelta(hours=int(text[1:3]), minutes=int(text[3:5])))


@probe
def job_log(backup: Backup, *, context: RunContext | None = None) -> Result:
    """The newest line matching success_pattern is younger than log.max_age (else the set's max_age)."""
    if backup.log is None:
        return error("no log: section for this backup set")
    log, now = backup.log, dt.datetime.now(dt.timezone.utc)
    limit = log.max_age if log.max_age is not None else backup.max_age
    store, _ = store_for(backup, context)
    found = store.stat(log.path)
    if found is None:
        return failed(f"the backup log {log.path}{store.where} does not exist", value=None)
    evidence = {"log": log.path, "log_bytes": found.size, "log_written": found.modified.isoformat(timespec="seconds")}
    if log.success_pattern is None:
        return grade(f"age of the backup log {log.path}{store.where}", found.age(now), limit, log.warn_max_age,
                     show=show_seconds, unit="s", evidence=evidence)
    text = store.tail(log.path, WINDOW).decode("utf-8", "replace")
    pattern = re.compile(log.success_pattern)
    line = next((line for line in reversed(text.splitlines()) if pattern.search(line)), None)
    searched = f"{log.path}{store.where}" + (f" (its last {WINDOW >> 20} MiB)" if found.size > WINDOW else "")
    if line is None:
        return failed(f"no line matching {log.success_pattern!r} in {searched}", evidence=evidence)
    zone = store.offset() if isinstance(store, HostStore) else dt.datetime.now().astimezone().tzinfo
    when = timestamp(line, zone, now)
    evidence["line"] = shorten(line.strip(), 300)
    if when is None:
        raise CheckError(f"the last line matching {log.success_pattern!r} in {log.path} has no timestamp "
                         "opsverify can read (ISO 8601, [dd/Mon/yyyy:HH:MM:SS] or syslog)")
    evidence["logged"] = when.isoformat(timespec="seconds")
    age = max(0.0, (now - when).total_seconds())
    return grade(f"age of the last {log.success_pattern!r} line in {log.path}{store.where}", age, limit,
                 log.warn_max_age, show=show_seconds, unit="s", evidence=evidence)
