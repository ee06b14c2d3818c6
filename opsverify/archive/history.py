"""Earlier runs of an environment, read from the archive's results records (newest first)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

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
        try:
            record = json.loads((reports_dir / folder / "results.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a run still writing, or damaged: `opsverify archive verify` reports those
        if before is None or record.get("started", "") < before:
            yield {**record, "run": folder}


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
