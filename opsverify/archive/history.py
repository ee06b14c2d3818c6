"""Earlier runs of an environment, read from the archive's results records (newest first)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from opsverify.archive import nofollow
from opsverify.archive.runs import run_folders


@dataclass(frozen=True)
class PastCheck:
    """One check as an earlier run recorded it."""

    run: str  # the run folder, relative to the archive
    started: str  # UTC ISO 8601
    entry: dict[str, Any]  # the record's entry: outcome, value, unit, evidence…


def past_records(reports_dir: Path, environment: str, *, before: str | None = None) -> Iterator[dict[str, Any]]:
    """Results records of `environment`, newest first; `before` (ISO start time) skips later runs."""
    folders = [f for f in run_folders(reports_dir) if f.split("/", 1)[0] == environment] \
        if reports_dir.is_dir() else []
    for folder in sorted(folders, key=lambda f: f.rsplit("/", 1)[-1], reverse=True):
        record = read_record(reports_dir, folder)
        if record is not None and (before is None or record.get("started", "") < before):
            yield record


def read_record(reports_dir: Path, folder: str) -> dict[str, Any] | None:
    """A run folder's results record with the folder as `run`; None while it is written, or damaged (verify says)."""
    try:
        with nofollow.folder(reports_dir, *folder.split("/")) as fd:
            record = json.loads(nofollow.read(fd, "results.json"))
    except (OSError, ValueError, nofollow.Planted):
        return None
    return {**record, "run": folder} if isinstance(record, dict) else None


def empty(record: dict[str, Any]) -> bool:
    """Whether the run checked nothing (a -k matching no test): it is archived, but is no cadence's run."""
    counts = record.get("counts")
    return isinstance(counts, dict) and not any(counts.values())


def past_checks(reports_dir: Path, environment: str, nodeid: str, *, before: str | None = None,
                limit: int = 50) -> list[PastCheck]:
    """How `nodeid` ended in earlier runs of `environment`, newest first (at most `limit`)."""
    found: list[PastCheck] = []
    for record in past_records(reports_dir, environment, before=before):
        entry = next((c for c in record.get("checks", []) if c.get("nodeid") == nodeid), None)
        if entry is not None:
            found.append(PastCheck(record["run"], record.get("started", ""), entry))
            if len(found) >= limit:
                break
    return found
