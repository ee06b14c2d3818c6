"""Command-line and ini options, each declared once, and how they resolve."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ENV_VAR = "OPSV_ENV"
REPORTS_VAR = "OPSV_REPORTS"
SEVERITIES = ("P1", "P2", "P3", "P4")


def add(parser: pytest.Parser) -> None:
    """Declare the opsverify options."""
    group = parser.getgroup("opsverify", "operational verification")
    group.addoption("--env", dest="opsv_env", metavar="FILE",
                    help=f"environment file to verify (else ${ENV_VAR}, else ini opsv_env, else the built-in demo)")
    group.addoption("--reports", dest="opsv_reports", metavar="DIR",
                    help=f"archive folder for run reports (else ${REPORTS_VAR}, else ini opsv_reports, else ./reports)")
    group.addoption("--no-archive", dest="opsv_no_archive", action="store_true",
                    help="do not write a run folder or touch the manifest")
    group.addoption("--fail-on", dest="opsv_fail_on", metavar="SEVERITY", choices=SEVERITIES,
                    help="only failures of this severity or worse (P1 is the worst) change the exit code; "
                         "the others are still reported (else ini opsv_fail_on, else every failure counts)")
    parser.addini("opsv_env", "environment file to verify when --env and $OPSV_ENV are not given", default="")
    parser.addini("opsv_reports", "archive folder for run reports", default="reports")
    parser.addini("opsv_fail_on", "the least severe failure that changes the exit code (P1-P4)", default="")


def env_file(config: pytest.Config) -> Path | None:
    """The environment file named by --env, $OPSV_ENV or the ini, or None for the built-in demo."""
    named = config.getoption("opsv_env") or os.environ.get(ENV_VAR) or config.getini("opsv_env")
    if not named:
        return None
    path = Path(os.path.expanduser(named))
    if not path.is_absolute():
        base = config.invocation_params.dir if config.getoption("opsv_env") or os.environ.get(ENV_VAR) \
            else config.rootpath
        path = base / path
    return path


def reports_dir(config: pytest.Config) -> Path:
    """Where run folders and the manifest live."""
    if config.getoption("opsv_reports"):
        return (config.invocation_params.dir / config.getoption("opsv_reports")).resolve()
    if os.environ.get(REPORTS_VAR):
        return (config.invocation_params.dir / os.environ[REPORTS_VAR]).resolve()
    return (config.rootpath / config.getini("opsv_reports")).resolve()


def fail_on(config: pytest.Config) -> str | None:
    """The --fail-on severity (or the ini's); None: every failure changes the exit code."""
    chosen = config.getoption("opsv_fail_on") or config.getini("opsv_fail_on").strip().upper()
    if chosen and chosen not in SEVERITIES:
        raise pytest.UsageError(f"opsv_fail_on = {chosen!r} in the ini file is not one of {', '.join(SEVERITIES)}")
    return chosen or None


def below(severity: str | None, threshold: str | None) -> bool:
    """Whether a failure of `severity` is less severe than `threshold` (P3 is below P2), so it keeps exit 0."""
    if threshold is None or severity not in SEVERITIES:
        return False
    return SEVERITIES.index(severity) > SEVERITIES.index(threshold)


def checklist_run(config: pytest.Config) -> bool:
    """Whether this session runs the checklist (an environment is named or args lie under testpaths)."""
    if env_file(config) is not None:
        return True
    roots = [(config.rootpath / p).resolve() for p in config.getini("testpaths")]
    for arg in config.args:
        path = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if any(path == root or root in path.parents for root in roots):
            return True
    return False
