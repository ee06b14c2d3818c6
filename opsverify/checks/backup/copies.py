"""Copies kept in step with a live folder (lsyncd, rsync in a loop): nothing older than the lag is missing."""

from __future__ import annotations

import heapq
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from opsverify.checks import combine, probe, show_seconds
from opsverify.checks.backup.files import store_on
from opsverify.context import RunContext
from opsverify.result import Result, failed, passed, skipped
from opsverify.spec.models.backups import Backup, Copy

SHOWN = 3  # files named in a reason, the longest waiting first


@dataclass
class Behind:
    """Live files whose change has not reached the copy: how many, and the few changed longest ago."""

    one: str  # "file not copied"
    many: str  # "files not copied"
    count: int = 0
    worst: list[tuple[float, str]] = field(default_factory=list)  # a heap of (-mtime, path), at most SHOWN

    def add(self, path: str, mtime: float) -> None:
        """Count a file; keep it if it is among the SHOWN changed longest ago."""
        self.count += 1
        (heapq.heappush if len(self.worst) < SHOWN else heapq.heappushpop)(self.worst, (-mtime, path))

    def said(self, now: float) -> str:
        """`2 files not copied: uploads/a.jpg changed 3h ago, uploads/b.jpg changed 2h ago`."""
        listed = ", ".join(f"{path} changed {show_seconds(now + neg)} ago"
                           for neg, path in sorted(self.worst, reverse=True))
        more = f" and {self.count - SHOWN} more" if self.count > SHOWN else ""
        return f"{self.count} {self.one if self.count == 1 else self.many}: {listed}{more}"


@dataclass
class Walked:
    """What one walk of a live folder found: files settled (older than the lag), pending, and behind."""

    settled: int = 0
    pending: int = 0
    missing: Behind = field(default_factory=lambda: Behind("file not copied", "files not copied"))
    stale: Behind = field(default_factory=lambda: Behind("copy out of date", "copies out of date"))


@probe
def copy_in_step(backup: Backup, *, context: RunContext | None = None) -> Result:
    """Every file of each `copies` folder changed over `max_lag` ago is in its copy, as big and no older."""
    if not backup.copies:
        return skipped("no copies set")
    return combine([_compare(backup, copy, context) for copy in backup.copies])


def _compare(backup: Backup, copy: Copy, context: RunContext | None) -> Result:
    """One copy judged: its live folder walked once, each settled file looked up in the copy."""
    live = store_on(copy.host if copy.host is not None else backup.host, backup, context)
    kept = store_on(backup.host, backup, context)
    found = kept.lookup(copy.to)
    now = time.time()
    walked = _walk(live.walk(copy.from_), found, now - float(copy.max_lag), os.path.basename(copy.from_.rstrip("/")))
    pair = f"{copy.from_}{live.where} to {copy.to}{kept.where}"
    pair = f"copy {copy.name}: {pair}" if copy.name else pair
    evidence = {"from": copy.from_, "to": copy.to, "settled": walked.settled, "pending": walked.pending,
                "missing": walked.missing.count, "stale": walked.stale.count}
    behind = [b.said(now) for b in (walked.missing, walked.stale) if b.count]
    if behind:
        return failed(f"{'; '.join(behind)} (limit {copy.max_lag}; {pair})",
                      value=walked.missing.count + walked.stale.count, evidence=evidence)
    return passed(f"all {walked.settled} files changed over {copy.max_lag} ago are copied from {pair} "
                  f"({walked.pending} newer pending)", value=0, evidence=evidence)


def _walk(files: Iterator[tuple[str, int, float]], found: Callable[[str], tuple[int, float] | None],
          settled_before: float, prefix: str) -> Walked:
    """Each live file changed before `settled_before` must have a twin as big and no older (whole seconds)."""
    walked = Walked()
    for path, size, mtime in files:
        if mtime > settled_before:
            walked.pending += 1  # the copy job may not have reached it yet
            continue
        walked.settled += 1
        twin = found(path)
        if twin is None:
            walked.missing.add(os.path.join(prefix, path), mtime)
        elif twin[0] != size or int(twin[1]) < int(mtime):  # hosts print mtimes to the second
            walked.stale.add(os.path.join(prefix, path), mtime)
    return walked
