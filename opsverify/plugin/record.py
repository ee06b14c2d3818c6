"""The JSON results record of one run, as ENVIRONMENT.md describes it."""

from __future__ import annotations

import datetime as dt
import json
import platform
from collections import Counter, defaultdict
from typing import Any

import pytest

from opsverify import __version__
from opsverify.archive.runs import host, operator
from opsverify.plugin.session import Run, label
from opsverify.spec.secret import scrub

SCHEMA = "opsverify.results/1"
OUTCOMES = ("passed", "failed", "warning", "error", "skipped", "waived")


def check_entry(item: pytest.Item, area: str | None, checked: Any, severity: str | None) -> dict[str, Any]:
    """The record's entry for one test, before its outcome is known."""
    return {
        "nodeid": item.nodeid,
        "test": item.originalname if isinstance(item, pytest.Function) else item.name,
        "item": getattr(checked, "name", None),
        "area": area,
        "cadence": next((m.name for m in item.iter_markers() if m.name in
                         ("daily", "weekly", "monthly", "quarterly")), None),
        "severity": severity,
        "controls": list(getattr(checked, "controls", ())),
        "tags": list(getattr(checked, "tags", ())),
        "outcome": "error",
        "reason": "the test did not finish",
        "value": None, "unit": "", "limit": None, "evidence": {},
        "duration_s": 0.0,
    }


def counts(checks: list[dict[str, Any]]) -> dict[str, int]:
    """How many checks ended in each outcome."""
    found = Counter(c["outcome"] for c in checks)
    return {o: found.get(o, 0) for o in OUTCOMES}


def by_severity(checks: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Outcome counts for each severity, P1 first."""
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for c in checks:
        table[c["severity"] or "-"][c["outcome"]] += 1
    return {sev: dict(table[sev]) for sev in sorted(table)}


def build(run: Run, config: pytest.Config, exit_status: int, finished: dt.datetime,
          report_files: list[str]) -> dict[str, Any]:
    """The whole results record; `report_files` are archived beside it (report.html, junit.xml)."""
    checks = list(run.checks.values())
    return {
        "schema": SCHEMA,
        "environment": run.name,
        "description": run.environment.description,
        "production": run.environment.production,
        "demo": run.demo is not None,
        "environment_file": str(run.env_path),
        "environment_sha256": run.env_sha256,
        "marker_expression": config.option.markexpr or "",
        "keyword_expression": config.option.keyword or "",
        "label": label(config),
        "started": run.started.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "finished": finished.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "duration_s": round((finished - run.started).total_seconds(), 3),
        "suite_version": __version__,
        "operator": operator(),
        "host": host(),
        "python": platform.python_version(),
        "pytest_args": [scrub(a) for a in config.invocation_params.args],
        "exit_status": int(exit_status),
        "fail_on": run.fail_on,
        "counts": counts(checks),
        "by_severity": by_severity(checks),
        "compliance": run.compliance(),
        "waivers": run.waivers.summary({c["nodeid"]: c["outcome"] for c in checks}) if run.waivers else [],
        "notes": list(run.notes),
        "report_files": report_files,
        "checks": checks,
    }


def dumps(record: dict[str, Any]) -> bytes:
    """The record as indented JSON, scrubbed of every known secret."""
    return (scrub(json.dumps(record, indent=2, default=str)) + "\n").encode()

