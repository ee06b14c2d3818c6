"""Leftovers of drills killed together with their watchdog (power loss, an OOM or cgroup kill): found and removed.

Every drill marks what it makes with its owner: this machine (host name, boot, process namespace), the
process ids of the drill and its watchdog with their start times, and the time by which the drill is over
(its time limit plus the watchdog's retries). The marker is the throwaway database's comment and a file in
the drill's private folder. The next drill on the same server removes a leftover when its owner processes
are gone (on this machine), or when its time is over (on another machine); a drill that is still running
is never touched. A leftover without a marker is removed a day after the time in its name.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from opsverify.checks.backup.reaper import RETRY_FOR
from opsverify.checks.backup.scratch import Scratch, created_at

FOLDER_PREFIX = "opsverify-drill-"
OWNER_FILE = "owner.json"
UNMARKED_AFTER = 86400.0  # seconds after which a leftover without a marker is stale
GRACE = 60.0  # seconds past a drill's own end before another machine's leftover counts as stale


def _machine() -> dict[str, str]:
    """This machine as a marker names it: host name, boot id, process namespace."""
    def read(path: str, link: bool = False) -> str:
        try:
            return os.readlink(path) if link else Path(path).read_text().strip()
        except OSError:
            return ""
    return {"host": socket.gethostname(), "boot": read("/proc/sys/kernel/random/boot_id"),
            "ns": read("/proc/self/ns/pid", link=True)}


def _started(pid: int) -> str:
    """When a process started (clock ticks since boot), to tell it from a later one with the same id; "" if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]


def _alive(pid: int, started: str) -> bool:
    """Whether the process that had this id and start time runs still (without /proc: whether the id is in use)."""
    if started:
        return _started(pid) == started
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner(pids: list[int], seconds: float) -> str:
    """The marker of a drill run by these processes that is over within `seconds` (JSON, no quotes to escape)."""
    record = {**_machine(), "pids": [[pid, _started(pid)] for pid in pids],
              "until": round(time.time() + seconds + RETRY_FOR + GRACE)}
    return json.dumps(record, separators=(",", ":"))


def gone(marker: str | None, made: float | None, now: float | None = None) -> str | None:
    """Why a leftover with this marker (made at `made`) is stale, or None while its drill may still run."""
    now = time.time() if now is None else now
    try:
        record: Any = json.loads(marker) if marker else None
    except ValueError:
        record = None
    if not isinstance(record, dict):
        if made is not None and now - made > UNMARKED_AFTER:
            return f"unmarked, made {(now - made) / 3600:.0f}h ago"
        return None
    here = _machine()
    if all(record.get(key) == value for key, value in here.items()):
        pids = record.get("pids") or []
        if any(_alive(int(pid), str(started)) for pid, started in pids):
            return None  # its drill (or its watchdog) is running now
        return f"its drill, process {pids[0][0] if pids else '?'} on this machine, is gone"
    if now > float(record.get("until", 0)):
        return f"its drill on {record.get('host', '?')} should have ended by {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(float(record.get('until', 0))))}"
    return None


def sweep(scratch: Scratch) -> list[str]:
    """Remove the stale leftovers on the scratch server and in this machine's temp folder; what was removed, and why."""
    reaped = _folders()
    if scratch.dialect == "sqlite":
        return reaped
    try:
        databases, roles = scratch.throwaways()
    except Exception as exc:  # noqa: BLE001 - a user that may not list them: the drill goes on
        return reaped + [f"could not look for leftovers on {scratch.server}: {str(exc).splitlines()[0][:200]}"]
    for name, marker in sorted(databases.items()):
        reason = gone(marker, created_at(name))
        if reason is not None:
            reaped.append(_drop(scratch, name, f"database {name} and its role ({reason})"))
    for name in roles:  # a role whose database is gone: its drill died between dropping the two
        if (made := created_at(name)) is not None and time.time() - made > GRACE:
            reaped.append(_drop(scratch, name, f"role {name} (its database is gone)"))
    return reaped


def _drop(scratch: Scratch, name: str, what: str) -> str:
    """Drop one leftover database and role; what was done, for the evidence."""
    try:
        Scratch(scratch.url, name, scratch.timeout).drop()
    except Exception as exc:  # noqa: BLE001 - reported; the next drill tries again
        return f"could not drop {what}: {str(exc).splitlines()[0][:200]}"
    return f"dropped {what}"


def _folders() -> list[str]:
    """Remove the private folders (/tmp/opsverify-drill-*) of drills that are over."""
    reaped = []
    for folder in Path(tempfile.gettempdir()).glob(FOLDER_PREFIX + "*"):
        try:
            marker = (folder / OWNER_FILE).read_text()
        except OSError:
            marker = None
        try:
            made = folder.stat().st_mtime
        except OSError:
            continue
        reason = gone(marker, made)
        if reason is not None:
            shutil.rmtree(folder, ignore_errors=True)
            reaped.append(f"removed {folder} ({reason})")
    return reaped
