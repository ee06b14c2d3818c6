"""The lines opsverify adds to the terminal: which environment, where the report is, what failed."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsverify.plugin.record import by_severity, counts
from opsverify.plugin.session import Run


def banner(run: Run) -> str:
    """First and last line: which environment this run checked; loud when it was the demo."""
    if run.demo:
        return ("opsverify: NO ENVIRONMENT FILE GIVEN - this run checks the BUILT-IN DEMO target, "
                "not your systems (name one with --env=FILE or OPSV_ENV)")
    kind = "PRODUCTION environment" if run.environment.production else "environment"
    return f"opsverify: {kind} '{run.name}' from {run.env_path}"


def summary(run: Run, reporter: pytest.TerminalReporter) -> None:
    """Counts by outcome and severity, then the report path."""
    checks = list(run.checks.values())
    reporter.write_sep("-", "opsverify summary")
    tally = ", ".join(f"{n} {o}" for o, n in counts(checks).items() if n) or "no checks ran"
    reporter.write_line(f"checks: {tally}")
    for severity, outcomes in by_severity(checks).items():
        reporter.write_line(f"  {severity}: " + ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())))
    for check in checks:
        if check["outcome"] == "waived":
            w = check["waiver"]
            reporter.write_line(f"waived: {check['nodeid']}: {w['reason']} (approved by {w['approved_by']}, "
                                f"expires {w['expires']})", yellow=True)
    compliance = run.compliance()
    if compliance is not None:
        reporter.write_line(f"compliance: {compliance['reason']}", red=compliance["status"] == "failed")
    for note in run.notes:
        reporter.write_line(f"note: {note}", yellow=True)
    if run.run_dir is not None:
        for what, name in (("report", "report.html"), ("record", "results.json")):
            if (run.run_dir / name).is_file():
                reporter.write_line(f"{what}: {_shown(run.run_dir / name)}")
    for line in run.after:
        reporter.write_line(line)
    if run.archive_error:
        reporter.write_line(f"opsverify: {run.archive_error} (exit status 6)", red=True, bold=True)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
