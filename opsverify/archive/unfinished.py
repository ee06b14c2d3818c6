"""Run folders the manifest does not vouch for: what in them is missing, empty or cut short, and marking them.

A run killed or stopped by a full disk leaves a folder without its manifest entry. `archive verify` names
what is wrong with it; `opsverify archive quarantine RUN --reason …` records the folder as it is in an
entry of its own (the reason, who marked it, what was found), so verify passes again and still shows it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from opsverify.archive import nofollow
from opsverify.spec.units import format_bytes

RECORD = "results.json"
REPORTS = ("junit.xml", "report.html")  # what a run writes beside its record unless the record says otherwise
_ENDS = {".html": b"</html>", ".xml": b">"}  # how a complete file of the kind ends
_TEMPORARY = re.compile(r"\..+\.tmp")
_TAIL = 256


def findings(reports: Path, run: str) -> list[str]:
    """What is wrong with a run folder: its files missing, empty or cut short, temporary files left behind."""
    with nofollow.folder(reports, *run.split("/")) as fd:
        sizes = {name: os.stat(base, dir_fd=parent, follow_symlinks=False).st_size
                 for name, kind, parent, base in nofollow.tree(fd) if kind == "file"}
        record, found = _record(fd, sizes.get(RECORD))
        expected = record.get("report_files", list(REPORTS)) if isinstance(record, dict) else list(REPORTS)
        for name in expected if isinstance(expected, list) else []:
            found += _report(fd, str(name), sizes.get(str(name)))
    found += [f"{name} was left behind ({format_bytes(size)}): a write did not finish"
              for name, size in sizes.items() if _TEMPORARY.fullmatch(name.rsplit("/", 1)[-1])]
    return found


def _record(fd: int, size: int | None) -> tuple[Any, list[str]]:
    """The run's results record (None when unreadable) and what is wrong with it."""
    if size is None:
        return None, [f"{RECORD} is missing"]
    if size == 0:
        return None, [f"{RECORD} is empty (0 bytes)"]
    try:
        return json.loads(nofollow.read(fd, RECORD)), []
    except (ValueError, OSError):
        return None, [f"{RECORD} is cut short or not JSON ({format_bytes(size)})"]


def _report(fd: int, name: str, size: int | None) -> list[str]:
    """What is wrong with one report file in the run folder."""
    tail = b""
    if size:
        with nofollow.opened(fd, name) as file:
            tail = os.pread(file, _TAIL, max(0, size - _TAIL))
    found = flaw(name, size, tail)
    return [found] if found else []


def report_flaw(path: Path) -> str | None:
    """What is wrong with a report pytest wrote (missing, empty, cut short by a full disk); None when whole."""
    try:
        with open(path, "rb") as file:
            size = file.seek(0, os.SEEK_END)
            file.seek(max(0, size - _TAIL))
            return flaw(path.name, size, file.read())
    except FileNotFoundError:
        return flaw(path.name, None, b"")


def flaw(name: str, size: int | None, tail: bytes) -> str | None:
    """A report file missing, empty, or not ending as its kind ends (`</html>`, `>`); None when it looks whole."""
    if size is None:
        return f"{name} is missing"
    if size == 0:
        return f"{name} is empty (0 bytes)"
    end = _ENDS.get(Path(name).suffix)
    if end is not None and not tail.rstrip().endswith(end):
        return f"{name} is cut short ({format_bytes(size)}, it does not end with {end.decode()})"
    return None


def quarantine(reports: Path, run: str, reason: str, key: bytes | None) -> dict[str, Any]:
    """Record an unfinished run folder as it is, in a manifest entry of its own; ValueError when it cannot be."""
    from opsverify.archive.manifest import append
    from opsverify.archive.runs import operator, run_folders
    from opsverify.archive.verify import recorded_runs

    if not reason.strip():
        raise ValueError("say why with --reason: an auditor reads it")
    if run not in run_folders(reports):
        raise ValueError(f"{run} is not a run folder of the archive {reports} "
                         "(write it as `archive verify` names it: <environment>/<YYYY-MM>/<run>)")
    if run in recorded_runs(reports):
        raise ValueError(f"{run} is already in the manifest: only a folder without an entry can be quarantined")
    mark = {"reason": reason.strip(), "by": operator(), "found": findings(reports, run)}
    return append(reports, reports / run, summary={"quarantined": True}, key=key, quarantine=mark)
