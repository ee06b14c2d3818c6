"""After the checks: the exit code under --fail-on and min_score; after archiving, the index; notifications."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from opsverify import notify
from opsverify.archive import history, index
from opsverify.plugin import options
from opsverify.plugin.session import Run


def exit_status(run: Run, status: int, failed_tests: int) -> int:
    """pytest's exit status, with failures below --fail-on forgiven and a compliance score below min_score added."""
    if status == pytest.ExitCode.TESTS_FAILED and run.exempt and failed_tests <= run.exempt:
        status = pytest.ExitCode.OK
        run.notes.append(f"exit status 0: the {_failures(run.exempt)} less severe than --fail-on {run.fail_on}")
    compliance = run.compliance()
    if compliance is None or compliance["status"] != "failed":
        return status
    if options.below(compliance["severity"], run.fail_on):
        run.notes.append(f"{compliance['reason']} (severity {compliance['severity']}, below --fail-on "
                         f"{run.fail_on}: the exit status is unchanged)")
    elif status == pytest.ExitCode.OK:
        status = pytest.ExitCode.TESTS_FAILED
        run.notes.append(f"exit status 1: {compliance['reason']}")
    return status


def _failures(n: int) -> str:
    """'failure is' or '3 failures are'."""
    return "only failure is" if n == 1 else f"{n} failures are all"


def rebuild_index(run: Run) -> None:
    """Rebuild reports/index.html; a failure must not fail the archived run, it is reported."""
    try:
        run.after.append(f"index: {index.build(run.reports)}")
    except Exception as exc:  # noqa: BLE001 - the run is archived; a broken index must not hide that
        run.after.append(f"could not rebuild the archive index: {type(exc).__name__}: {exc}")


def send_notifications(run: Run, record: dict[str, Any], report: Path | str) -> None:
    """Send what each `notify` channel wants to hear about this run, archived or not; each delivery is reported."""
    if not run.environment.notify:
        return
    if run.run_dir is None:
        run.after.append("this run is not archived (--no-archive); its notifications are sent as usual")
    previous = next((r for r in history.past_records(run.reports, run.name, before=record["started"])
                     if r.get("label") == record["label"]), None)
    for delivery in notify.send_all(run.environment, record, previous, report):
        run.after.append(delivery.line())
