"""Build real archives in a folder and tamper with them the way a person could."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from opsverify.archive import append, new_run_folder
from opsverify.archive.manifest import MANIFEST, entry_hash

START = datetime(2026, 11, 23, 9, 0, 0, tzinfo=timezone.utc)


def record_run(reports: Path, n: int, *, key: bytes | None = None,
               started: datetime | None = None) -> Path:
    """Write a run folder like the plugin does (report, record, JUnit, an asset) and append it."""
    run = new_run_folder(reports, "demo", "daily", started or START + timedelta(hours=n))
    (run / "report.html").write_text(f"<html><body>run {n}: 12 passed, 1 failed</body></html>")
    (run / "results.json").write_text(json.dumps({"run": n, "passed": 12, "failed": 1}))
    (run / "junit.xml").write_text('<testsuite tests="13" failures="1"/>')
    (run / "assets").mkdir()
    (run / "assets" / "locust_stats.csv").write_text("Name,p95\n/,120\n")
    append(reports, run, key=key,
           summary={"environment": "demo", "label": "daily", "passed": 12, "failed": 1})
    return run


def build(reports: Path, runs: int, *, key: bytes | None = None) -> list[Path]:
    """An archive of several recorded runs, one hour apart."""
    return [record_run(reports, n, key=key) for n in range(1, runs + 1)]


def lines(reports: Path) -> list[str]:
    """The manifest's lines, without newlines."""
    return (reports / MANIFEST).read_text().splitlines()


def write_lines(reports: Path, new: list[str]) -> None:
    """Replace the manifest with these lines."""
    (reports / MANIFEST).write_text("".join(line + "\n" for line in new))


def entries(reports: Path) -> list[dict[str, Any]]:
    """The manifest's entries, parsed."""
    return [json.loads(line) for line in lines(reports)]


def write_entries(reports: Path, new: list[dict[str, Any]]) -> None:
    """Replace the manifest with these entries."""
    write_lines(reports, [json.dumps(entry, sort_keys=True) for entry in new])


def rechain(chain: list[dict[str, Any]], start: int) -> None:
    """What an attacker without the key can do: recompute prev and hash from index start on."""
    for i in range(start, len(chain)):
        if i:
            chain[i]["prev"] = chain[i - 1]["hash"]
        chain[i]["hash"] = entry_hash(chain[i])


def append_worker(reports: str, n: int, barrier: Any) -> None:
    """One of many processes: wait for the others, then create a run folder and append it."""
    barrier.wait()
    record_run(Path(reports), n, started=START)
