"""Compliance: the access review (a SQL query of who is admin), reviewed documents, log retention."""

from __future__ import annotations

import datetime as dt
import re
import shlex
import time
from dataclasses import replace
from pathlib import Path

from opsverify.checks import CheckError, combine, probe, show_size
from opsverify.checks.configured_sql import one_statement
from opsverify.checks.database import connection
from opsverify.context import RunContext
from opsverify.result import Result, Status, failed, grade, passed, warning
from opsverify.spec.models.compliance import AccessReview, Document, LogRetention
from opsverify.spec.models.hosts import Host
from opsverify.spec.units import Duration, format_bytes

DAY = 86400.0
_REVIEWED = re.compile(r"last[ _-]?reviewed\W{0,8}(\d{4}-\d{2}-\d{2})", re.IGNORECASE)
_READ_LIMIT = 1024 * 1024


@probe
def access_review(review: AccessReview, *, context: RunContext) -> Result:
    """Everyone the query returns (its first column) must be in `approved`; anyone else is a finding."""
    db = context.named("databases", review.database)
    if db is None:
        raise CheckError(f"access review: there is no database named {review.database!r}")
    with connection(db) as conn:
        rows = one_statement(conn, review.sql)
    found = sorted({str(row[0]).strip() for row in rows if row and row[0] is not None and str(row[0]).strip()})
    approved = {a.strip().lower() for a in review.approved}
    unapproved = [who for who in found if who.lower() not in approved]
    gone = sorted(a for a in review.approved if a.strip().lower() not in {w.lower() for w in found})
    evidence = {"found": found, "approved": list(review.approved), "unapproved": unapproved,
                "approved_but_not_found": gone}
    if unapproved:
        noun = "account is" if len(unapproved) == 1 else "accounts are"
        return failed(f"{len(unapproved)} privileged {noun} not approved: {', '.join(unapproved)} "
                      f"(access review on {review.database})", value=len(unapproved), limit="0",
                      evidence=evidence)
    if not found:
        return passed(f"the access review query on {review.database} returned no one", value=0, limit="0",
                      evidence=evidence)
    return passed(f"all {len(found)} privileged accounts are approved: {', '.join(found)}", value=0,
                  limit="0", evidence=evidence)


@probe
def document_reviewed(doc: Document, *, context: RunContext | None = None) -> Result:
    """Reviewed within max_age: the newest 'Last reviewed: YYYY-MM-DD' line, else the file's modification time."""
    path = _located(Path(doc.path), context)
    if not path.is_file():
        return failed(f"document {path} does not exist", evidence={"path": str(path)})
    now = context.started if context is not None else dt.datetime.now(dt.timezone.utc)
    with path.open("rb") as f:
        text = f.read(_READ_LIMIT).decode("utf-8", errors="replace")
    stated = _review_dates(text, path)
    if stated:
        reviewed, source = max(stated), "its 'Last reviewed' line"
        if reviewed > now.date():
            return failed(f"{path.name} says it was last reviewed {reviewed}, which is in the future",
                          evidence={"path": str(path), "reviewed": str(reviewed), "source": source})
        age = (now.date() - reviewed).days * DAY
    else:
        modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
        reviewed, source = modified.date(), "the file's modification time (no 'Last reviewed: YYYY-MM-DD' line)"
        age = max(0.0, (now - modified).total_seconds())
    short = "'Last reviewed' line" if stated else "file time"
    return grade(f"{path.name} last reviewed {reviewed} ({short}); time since review",
                 age, doc.max_age, doc.warn_max_age, show=_days, unit="s",
                 evidence={"path": str(path), "reviewed": str(reviewed), "source": source,
                           "age_days": round(age / DAY, 1)})


def _located(path: Path, context: RunContext | None) -> Path:
    """A relative path is relative to the environment file's folder."""
    if path.is_absolute() or context is None or context.env_file is None:
        return path.expanduser()
    return context.env_file.parent / path


def _review_dates(text: str, path: Path) -> list[dt.date]:
    """Every 'Last reviewed: YYYY-MM-DD' date in the text; a malformed one is a CheckError."""
    dates = []
    for match in _REVIEWED.finditer(text):
        try:
            dates.append(dt.date.fromisoformat(match.group(1)))
        except ValueError:
            raise CheckError(f"{path.name}: 'Last reviewed: {match.group(1)}' is not a date") from None
    return dates


def _days(seconds: float) -> str:
    """An age in whole days (a Duration prints as the user wrote it)."""
    return str(seconds) if isinstance(seconds, Duration) else f"{seconds / DAY:.0f}d"


@probe
def log_retention(retention: LogRetention, *, context: RunContext) -> Result:
    """The oldest kept log file is at least min_days old and none is older than max_days (by modification time); no
    file is bigger than max_file_size; at most max_files are kept; the newest is at most max_newest_days old."""
    machine = _machine(retention, context)
    now, files = _kept(retention, machine)
    where = f"{retention.path} on {machine.name}"
    if not files:
        needs = (retention.min_days, retention.max_newest_days)
        verdict = failed if any(v is not None for v in needs) else passed
        return verdict(f"no log files are kept under {where}; {_window(retention)}", value=0, unit="days",
                       evidence={"path": retention.path, "files": 0})
    (oldest_at, _, oldest), (newest_at, _, newest) = files[0], files[-1]
    biggest_size, biggest = max((size, path) for _, size, path in files)
    evidence = {"path": retention.path, "host": machine.name, "files": len(files), "oldest": oldest,
                "oldest_age_days": round(max(0.0, now - oldest_at) / DAY, 1), "newest": newest,
                "newest_age_days": round(max(0.0, now - newest_at) / DAY, 1), "biggest": biggest,
                "biggest_size": format_bytes(biggest_size)}
    results = []
    if retention.min_days is not None or retention.max_days is not None:
        results.append(_span(retention, where, max(0.0, (now - oldest_at) / DAY), oldest, evidence))
    if retention.max_files is not None:
        results.append(grade("files kept", len(files), retention.max_files, evidence=evidence,
                             said=f"{len(files)} log files are kept under {where}"))
    if retention.max_file_size is not None or retention.warn_max_file_size is not None:
        results.append(grade("", biggest_size, retention.max_file_size, retention.warn_max_file_size, show=show_size,
                             unit="bytes", evidence=evidence,
                             said=f"{Path(biggest).name}, the biggest log file under {where}, is "
                                  f"{format_bytes(biggest_size)}"))
    if retention.max_newest_days is not None:
        age = max(0.0, (now - newest_at) / DAY)
        result = grade("", age, retention.max_newest_days, show=lambda d: f"{d:.0f} days", unit="days",
                       evidence=evidence, said=f"the newest log file under {where} ({Path(newest).name}) is "
                                               f"{_whole_days(age)} old")
        results.append(replace(result, reason=result.reason + "; nothing was rotated or archived since")
                       if result.status is Status.FAILED else result)
    return combine(results)


def _kept(retention: LogRetention, machine: Host) -> tuple[float, list[tuple[float, int, str]]]:
    """The host's time now and the kept files as (modification time, size, path), oldest first."""
    from opsverify.checks import host as hosts  # testinfra is imported only when logs are checked

    directory, name = _find_arguments(retention.path)
    args = [directory, "-type", "f"] + (["-maxdepth", "1", "-name", name] if name else []) + \
        ["-printf", r"%T@\t%s\t%p\n"]
    output = hosts.output(machine, "sh -c %s", "date +%s && find " + " ".join(shlex.quote(a) for a in args))
    lines = output.strip().splitlines()
    now = float(lines[0]) if lines and _number(lines[0]) else time.time()
    fields = [line.split("\t", 2) for line in lines[1:]]
    return now, sorted((float(stamp), int(size), path) for stamp, size, path in (f for f in fields if len(f) == 3)
                       if _number(stamp) and size.isdigit())


def _span(retention: LogRetention, where: str, age: float, oldest: str, evidence: dict[str, object]) -> Result:
    """How far back the kept logs go against min_days and max_days (and their warn_ twins)."""
    span = f"logs under {where} go back {_whole_days(age)} ({Path(oldest).name})"
    lacking = _first_crossed(age, (retention.min_days, retention.warn_min_days), below=True)
    excess = _first_crossed(age, (retention.max_days, retention.warn_max_days), below=False)
    kw = {"value": round(age, 1), "unit": "days", "limit": _window(retention), "evidence": evidence}
    if lacking == 0 or excess == 0:
        return failed(f"{span}; " + (f"at least {retention.min_days} days must be kept" if lacking == 0 else
                                     f"nothing older than {retention.max_days} days may be kept"), **kw)
    if lacking == 1 or excess == 1:
        return warning(f"{span}; warning level: " + (f"at least {retention.warn_min_days} days"
                                                     if lacking == 1 else f"at most {retention.warn_max_days} days"),
                       **kw)
    return passed(f"{span}; {_window(retention)}", **kw)


def _first_crossed(age: float, levels: tuple[int | None, int | None], *, below: bool) -> int | None:
    """0 when the limit is crossed, 1 when only the warning level is, else None."""
    for index, level in enumerate(levels):
        if level is not None and (age < level if below else age > level):
            return index
    return None


def _window(retention: LogRetention) -> str:
    """The kept-days limits as words."""
    parts = ([f"at least {retention.min_days} days"] if retention.min_days is not None else []) + \
        ([f"at most {retention.max_days} days"] if retention.max_days is not None else [])
    return "keep " + " and ".join(parts) if parts else "no limit"


def _machine(retention: LogRetention, context: RunContext) -> Host:
    """The host the logs are on (a name from `hosts`), or the local machine, with the item's timeout."""
    if retention.host is None:
        return Host(name="local", target="local://", timeout=retention.timeout)
    found = context.named("hosts", retention.host)
    if found is None:
        raise CheckError(f"log retention: there is no host named {retention.host!r}")
    return found.model_copy(update={"timeout": retention.timeout or found.timeout})


def _find_arguments(path: str) -> tuple[str, str | None]:
    """`find`'s starting folder and, for a glob like /var/log/app/*.log*, the name pattern."""
    folder, _, last = path.rstrip("/").rpartition("/")
    if any(c in last for c in "*?["):
        return folder or "/", last
    return path, None


def _number(text: str) -> bool:
    """Whether text is a decimal number."""
    return bool(re.fullmatch(r"\d+(\.\d+)?", text.strip()))


def _whole_days(days: float) -> str:
    """A number of days, for the log retention reasons."""
    return f"{days:.0f} days" if days >= 1 or days == 0 else f"{days * 24:.0f} hours"
