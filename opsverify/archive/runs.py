"""Run folders: reports/<environment>/<YYYY-MM>/<UTC timestamp>-<label>/, one per run; who made a run, where."""

from __future__ import annotations

import getpass
import os
import re
import socket
from datetime import datetime, timezone
from pathlib import Path

from opsverify.archive import nofollow

MONTH = re.compile(r"\d{4}-\d{2}")
RUN = re.compile(r"\d{8}T\d{6}Z-[A-Za-z0-9_-]+")
_ENVIRONMENT = re.compile(r"[A-Za-z0-9_.-]+")
_UNSAFE = re.compile(r"[^A-Za-z0-9_]+")
_MAX_LABEL = 60


def run_label(expression: str) -> str:
    """The folder label from a marker expression: "daily and not slow" -> "daily-and-not-slow"."""
    label = _UNSAFE.sub("-", expression).strip("-")[:_MAX_LABEL].rstrip("-")
    return label or "all"


def new_run_folder(reports_dir: Path, environment: str, label: str, started: datetime) -> Path:
    """Create and return a new, empty run folder; another run in the same second gets -2, -3; Planted for a link."""
    if started.utcoffset() is None:
        raise ValueError(f"the run's start time must be timezone-aware, got {started.isoformat()}")
    if not _ENVIRONMENT.fullmatch(environment) or environment in (".", ".."):
        raise ValueError(f"environment name {environment!r} cannot be a folder name "
                         "(letters, digits, '-', '_', '.')")
    utc = started.astimezone(timezone.utc)
    month = f"{utc:%Y-%m}"
    base = f"{utc:%Y%m%dT%H%M%SZ}-{run_label(label)}"
    with nofollow.folder(reports_dir, environment, month, create=True) as fd:  # never through a planted link
        name, n = base, 1
        while True:
            try:
                os.mkdir(name, 0o755, dir_fd=fd)
                return reports_dir / environment / month / name
            except FileExistsError:
                n += 1
                name = f"{base}-{n}"


def run_folders(reports_dir: Path) -> list[str]:
    """Every run folder in the archive, as paths relative to reports_dir (posix), sorted; none if there is no archive."""
    found: list[str] = []
    if not reports_dir.is_dir():
        return found
    for environment in _subdirs(reports_dir):
        for month in _subdirs(environment):
            if MONTH.fullmatch(month.name):
                found += [run.relative_to(reports_dir).as_posix()
                          for run in _subdirs(month) if RUN.fullmatch(run.name)]
    return sorted(found)


def _subdirs(folder: Path) -> list[Path]:
    """The directories directly inside folder (symlinks not followed)."""
    return [p for p in folder.iterdir() if p.is_dir() and not p.is_symlink()]


def operator() -> str:
    """Who ran the checks (the login name)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def host() -> str:
    """The machine the checks ran from."""
    return socket.gethostname()
