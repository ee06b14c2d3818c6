"""Command-line and ini options, each declared once, and how they resolve."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ENV_VAR = "OPSV_ENV"
REPORTS_VAR = "OPSV_REPORTS"


def add(parser: pytest.Parser) -> None:
    """Declare the opsverify options."""
    group = parser.getgroup("opsverify", "operational verification")
    group.addoption("--env", dest="opsv_env", metavar="FILE",
                    help=f"environment file to verify (else ${ENV_VAR}, else ini opsv_env, else the built-in demo)")
    group.addoption("--reports", dest="opsv_reports", metavar="DIR",
                    help=f"archive folder for run reports (else ${REPORTS_VAR}, else ini opsv_reports, else ./reports)")
    group.addoption("--no-archive", dest="opsv_no_archive", action="store_true",
                    help="do not write a run folder or touch the manifest")
    parser.addini("opsv_env", "environment file to verify when --env and $OPSV_ENV are not given", default="")
    parser.addini("opsv_reports", "archive folder for run reports", default="reports")


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


def refuse_stray_rootdir(config: pytest.Config) -> None:
    """Stop when `--env FILE` (with a space) hid the checklist's pytest.ini from pytest.

    pytest reads option values it does not know yet as paths when it looks for its root folder,
    before any plugin is loaded, so FILE's folder pulls the root away from the checkout;
    `--env=FILE` or OPSV_ENV avoid that.
    """
    named = config.getoption("opsv_env")
    if not named or config.inipath is not None or "--env" not in config.invocation_params.args:
        return
    missed = _pytest_config_above(config.invocation_params.dir)
    if missed is not None:
        raise pytest.UsageError(
            f"pytest did not read {missed} because `--env {named}` was written with a space, and took "
            f"{config.rootpath} as its root instead. Write --env={named} (with '='), or set OPSV_ENV={named}.")


def _pytest_config_above(folder: Path) -> Path | None:
    """The pytest configuration file pytest would find from `folder` upwards, if any."""
    for candidate in (folder, *folder.parents):
        if (candidate / "pytest.ini").is_file():
            return candidate / "pytest.ini"
        for name, marker in (("pyproject.toml", "[tool.pytest"), ("tox.ini", "[pytest]"), ("setup.cfg", "[tool:pytest]")):
            path = candidate / name
            if path.is_file() and marker in path.read_text(errors="replace"):
                return path
    return None
