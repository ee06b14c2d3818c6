"""Before any check: the archive folder can take this run (no planted link, writable, room enough), and its run folder."""

from __future__ import annotations

import errno
import os
from datetime import datetime
from pathlib import Path

from opsverify.archive import nofollow
from opsverify.archive.index import INDEX
from opsverify.archive.manifest import LOCK, MANIFEST
from opsverify.archive.runs import MONTH, RUN, new_run_folder
from opsverify.checks.uptime import FOLDER as UPTIME  # <environment>/uptime/, written by `opsverify watch`
from opsverify.spec.units import format_bytes

FLOOR = 2 * 1024 * 1024  # free bytes a run needs at least
GROWTH = 2  # ... or this many times the environment's previous run


class Unusable(Exception):
    """The archive folder cannot be used as it is (a planted link, a file, read-only): a usage error."""


class NoRoom(Exception):
    """The archive's disk has too little free space for a run."""


def prepare(reports: Path, environment: str, label: str, started: datetime) -> Path:
    """Check the archive for this run and make its run folder; Unusable or NoRoom when it cannot take the run."""
    if reports.exists() and not reports.is_dir():
        raise Unusable(f"the archive folder {reports} is a file, not a folder: name a folder with --reports=DIR")
    try:
        with nofollow.folder(reports, create=True) as root:
            for name in (MANIFEST, LOCK, INDEX):
                nofollow.refuse_link(root, name, reports / name)
            stats, known = os.statvfs(root), _exists(root, environment)
            if stats.f_flag & os.ST_RDONLY:
                raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        if known:
            with nofollow.folder(reports, environment) as env:
                if _exists(env, UPTIME):
                    with nofollow.folder(reports, environment, UPTIME):
                        pass
        _room(reports, environment if known else None, stats.f_bavail * stats.f_frsize)
        return new_run_folder(reports, environment, label, started)
    except nofollow.Planted as exc:
        raise Unusable(f"the archive is unsafe: {exc}") from None
    except OSError as exc:
        raise Unusable(f"the archive folder {reports} cannot be written: {exc.strerror or exc}") from None


def _room(reports: Path, environment: str | None, free: int) -> None:
    """NoRoom unless `free` bytes are at least FLOOR and GROWTH times the environment's last run (if any)."""
    last = _last_run(reports, environment) if environment else None
    size = _size(reports, f"{environment}/{last}") if last else 0
    needed = max(FLOOR, GROWTH * size)
    if free >= needed:
        return
    wanted = f"{format_bytes(needed)} ({GROWTH} x its last run {environment}/{last}, {format_bytes(size)})" \
        if needed > FLOOR else f"at least {format_bytes(FLOOR)}"
    raise NoRoom(f"the archive {reports} has {format_bytes(free)} free and a run needs {wanted}: nothing was "
                 "checked. Make room there, or name another folder with --reports=DIR")


def _exists(dirfd: int, name: str) -> bool:
    """Whether `name` is in the folder (a link counts)."""
    try:
        os.stat(name, dir_fd=dirfd, follow_symlinks=False)
        return True
    except FileNotFoundError:
        return False


def _last_run(reports: Path, environment: str) -> str | None:
    """The newest run folder of an environment, as `YYYY-MM/<run>`."""
    with nofollow.folder(reports, environment) as env:
        months = sorted((e.name for e in os.scandir(env) if e.is_dir(follow_symlinks=False)
                         and MONTH.fullmatch(e.name)), reverse=True)
    for month in months:
        with nofollow.folder(reports, environment, month) as fd:
            found = sorted((e.name for e in os.scandir(fd) if e.is_dir(follow_symlinks=False)
                            and RUN.fullmatch(e.name)), reverse=True)
        if found:
            return f"{month}/{found[0]}"
    return None


def _size(reports: Path, run: str) -> int:
    """The bytes of the plain files in a run folder."""
    with nofollow.folder(reports, *run.split("/")) as fd:
        return sum(os.stat(name, dir_fd=parent, follow_symlinks=False).st_size
                   for _, kind, parent, name in nofollow.tree(fd) if kind == "file")
