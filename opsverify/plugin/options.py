"""Command-line and ini options, each declared once, and how they resolve."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from opsverify.spec.secret import SecretUrl

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
    group.addoption("--prometheus-textfile", dest="opsv_prometheus_textfile", metavar="PATH",
                    help="write every check's outcome and measured value and the run's time in Prometheus' text "
                         "format to PATH, a .prom file for node_exporter's textfile collector (else ini "
                         "prometheus_textfile)")
    group.addoption("--pushgateway", dest="opsv_pushgateway", metavar="URL", type=SecretUrl,
                    help="push the same metrics to this Prometheus Pushgateway, grouped by environment and cadence "
                         "(else ini pushgateway)")
    parser.addini("opsv_env", "environment file to verify when --env and $OPSV_ENV are not given", default="")
    parser.addini("opsv_reports", "archive folder for run reports", default="reports")
    parser.addini("opsv_fail_on", "the least severe failure that changes the exit code (P1-P4)", default="")
    parser.addini("prometheus_textfile", "a .prom file for node_exporter's textfile collector", default="")
    parser.addini("pushgateway", "a Prometheus Pushgateway to push the run's metrics to", default="")


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


def prometheus_textfile(config: pytest.Config) -> Path | None:
    """The .prom file --prometheus-textfile (or the ini) names, in a folder that exists; None: no textfile."""
    given = config.getoption("opsv_prometheus_textfile")
    named = given or config.getini("prometheus_textfile")
    if not named:
        return None
    path = ((config.invocation_params.dir if given else config.rootpath) / os.path.expanduser(named)).resolve()
    said = f"--prometheus-textfile={given}" if given else f"prometheus_textfile = {named} in the ini file"
    if path.suffix != ".prom":
        raise pytest.UsageError(f"{said}: node_exporter's textfile collector reads only files ending in .prom")
    if not path.parent.is_dir():
        raise pytest.UsageError(f"{said}: the folder {path.parent} does not exist")
    return path


def pushgateway(config: pytest.Config) -> SecretUrl | None:
    """The Pushgateway --pushgateway (or the ini) names, an http(s) URL; None: no push."""
    given = config.getoption("opsv_pushgateway")
    url = given or (SecretUrl(config.getini("pushgateway")) if config.getini("pushgateway") else None)
    if url is None:
        return None
    parts = urlsplit(url.reveal())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        said = f"--pushgateway={url}" if given else f"pushgateway = {url} in the ini file"
        raise pytest.UsageError(f"{said}: not an http:// or https:// URL with a host")
    return url


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
