"""Dependency freshness: how many of a lockfile's packages are behind their registry's latest release.

As in the audit, a package that was not checked is never a pass: any package the lockfile does
not pin to a registry version, or its registry did not answer for, makes the result `error`
(unless a limit is already exceeded).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from opsverify.checks import probe, timeout_of
from opsverify.checks.security import Audit
from opsverify.checks.security.audit import SHOWN, locked, unchecked_summary
from opsverify.checks.security.lockfiles import Package
from opsverify.checks.security.osv import version_key
from opsverify.checks.security.registries import latest
from opsverify.context import RunContext
from opsverify.result import Result, error, failed, passed, skipped, warning
from opsverify.spec.models.security import DependencyAudit
from opsverify.spec.secret import reveal


@dataclass(frozen=True)
class Behind:
    """A package whose locked version is below its registry's latest release."""

    package: Package
    latest: str

    @property
    def majors(self) -> int:
        """How many major versions behind (0: the same major)."""
        ecosystem = self.package.ecosystem
        return max(_major(ecosystem, self.latest) - _major(ecosystem, self.package.version or ""), 0)

    def __str__(self) -> str:
        """`express 4.18.2 -> 5.1.0 (major)`, `lodash 4.17.20 -> 4.17.21`."""
        jump = "" if not self.majors else " (major)" if self.majors == 1 else f" ({self.majors} majors)"
        return f"{self.package} -> {self.latest}{jump}"


@probe
def freshness(item: Audit, *, context: RunContext | None = None) -> Result:
    """Parse the lockfile, ask the registries for each package's latest release, grade how many are behind."""
    audit = item.audit
    packages, unchecked = locked(item, context)
    if not packages:
        return skipped(f"{audit.lockfile} lists no packages")
    found = latest([p for p in packages if not p.problem], {e: reveal(u) for e, u in audit.registries.items()},
                   float(timeout_of(item)), item.ca_file)
    unchecked.update(found.unchecked)
    behind = sorted((Behind(p, v) for p, v in found.found.items()
                     if version_key(p.ecosystem, p.version or "") < version_key(p.ecosystem, v)),
                    key=lambda b: -b.majors)  # the biggest jumps first, else in lockfile order
    majors = [b for b in behind if b.majors]
    evidence = {"lockfile": audit.lockfile, "packages": len(packages), "checked": len(found.found),
                "unchecked": len(unchecked), "registries": found.sources, "behind": [str(b) for b in behind],
                "major_behind": len(majors)}
    kw = dict(value=len(behind), unit="packages behind", evidence=evidence,
              limit=str(audit.max_outdated) if audit.max_outdated is not None else None)
    over = _over(audit, behind, majors)
    not_checked = unchecked_summary(unchecked, len(packages)) if unchecked else ""
    if over:
        return failed("; ".join(over + ([not_checked] if not_checked else [])), **kw)
    if unchecked:
        rest = f"; {_packages(len(behind))} behind the registry among the rest" if behind else ""
        return error(not_checked + rest, evidence=evidence)
    if audit.warn_max_outdated is not None and len(behind) > audit.warn_max_outdated:
        return warning(f"{_packages(len(behind))} behind the registry in {audit.lockfile} (warning level "
                       f"{audit.warn_max_outdated}): {_list(behind)}", **kw)
    if not behind:
        return passed(f"all {len(packages)} packages of {audit.lockfile} at the registry's latest", **kw)
    return passed(f"{_packages(len(behind))} behind the registry in {audit.lockfile} ({_limits(audit, majors)}): "
                  f"{_list(behind)}", **kw)


def _over(audit: DependencyAudit, behind: list[Behind], majors: list[Behind]) -> list[str]:
    """The sentences of the limits exceeded: packages behind, then packages a major version or more behind."""
    over = []
    if audit.max_outdated is not None and len(behind) > audit.max_outdated:
        over.append(f"{_packages(len(behind))} behind the registry in {audit.lockfile} "
                    f"(limit {audit.max_outdated}): {_list(behind)}")
    if audit.max_major_behind is not None and len(majors) > audit.max_major_behind:
        over.append(f"{len(majors)} of them a major version or more behind (limit {audit.max_major_behind})" if over
                    else f"{_packages(len(majors))} a major version or more behind the registry in {audit.lockfile} "
                         f"(limit {audit.max_major_behind}): {_list(majors)}")
    return over


def _limits(audit: DependencyAudit, majors: list[Behind]) -> str:
    """The limits a passing count is within: `limit 5, warning level 3; 1 a major version or more behind, limit 2`."""
    counts = [f"{word} {n}" for word, n in (("limit", audit.max_outdated), ("warning level", audit.warn_max_outdated))
              if n is not None]
    major = ([f"{len(majors)} a major version or more behind, limit {audit.max_major_behind}"]
             if audit.max_major_behind is not None else [])
    return "; ".join(filter(None, [", ".join(counts)] + major))


def _list(behind: list[Behind]) -> str:
    """The first packages behind in words, and how many more."""
    shown = ", ".join(str(b) for b in behind[:SHOWN])
    return shown + (f", and {len(behind) - SHOWN} more" if len(behind) > SHOWN else "")


def _packages(count: int) -> str:
    """`1 package`, `12 packages`."""
    return f"{count} package{'' if count == 1 else 's'}"


def _major(ecosystem: str, version: str) -> int:
    """A version's major number: PEP 440's for PyPI, else its first number (a leading `v` ignored)."""
    if ecosystem == "PyPI":
        try:
            return Version(version).major
        except InvalidVersion:
            pass
    number = re.match(r"\D*(\d+)", version)
    return int(number[1]) if number else 0
