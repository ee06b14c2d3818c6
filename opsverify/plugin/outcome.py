"""From a check's Result to a pytest outcome, and from a pytest report to the record's outcome."""

from __future__ import annotations

from typing import Any

import pytest

from opsverify.result import Result, Status
from opsverify.spec.secret import scrub

FAILING = ("failed", "error")


def expect(result: Result) -> None:
    """Fail the test on `failed`/`error`, skip it on `skipped`; `warning` passes and is shown as such."""
    __tracebackhide__ = True
    if result.status in (Status.FAILED, Status.ERROR):
        prefix = "could not check: " if result.status is Status.ERROR else ""
        pytest.fail(scrub(prefix + result.reason), pytrace=False)
    if result.status is Status.SKIPPED:
        pytest.skip(scrub(result.reason))


def as_dict(result: Result) -> dict[str, Any]:
    """A Result as plain JSON-ready data, secrets scrubbed."""
    return {
        "status": result.status.value,
        "reason": scrub(result.reason),
        "value": _plain(result.value),
        "unit": result.unit,
        "limit": None if result.limit is None else scrub(str(result.limit)),
        "evidence": _plain(result.evidence),
    }


def _plain(value: Any) -> Any:
    """Numbers stay numbers; containers recurse; everything else becomes scrubbed text."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value) if isinstance(value, float) else int(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return scrub(str(value))


def record_outcome(report: pytest.TestReport, check: dict[str, Any] | None) -> str:
    """The results record's outcome: passed, failed, warning, error or skipped."""
    if report.when != "call":
        return "skipped" if report.skipped else "error"
    if check and check["status"] == "warning" and report.passed:
        return "warning"
    if check and check["status"] == "error" and report.failed:
        return "error"
    return report.outcome


def teststatus(report: pytest.TestReport) -> tuple[str, str, tuple[str, dict[str, bool]]] | None:
    """Terminal category for checks that warned, were waived or could not be made; None leaves pytest's own."""
    check = getattr(report, "opsverify", None)
    if report.when != "call" or not check:
        return None
    if check.get("outcome") == "waived":
        return "waived", "w", ("WAIVED", {"yellow": True})
    outcome = record_outcome(report, check)
    if outcome == "warning":
        return "warned", "W", ("WARNED", {"yellow": True})
    if outcome == "error":
        return "error", "E", ("ERROR", {"red": True})
    return None
