"""Dependency audit: a lockfile's packages against OSV advisories; a package not checked is never a pass.

pip-audit prints "No known vulnerabilities found" while skipping every package when its database is
unreachable. Here every package is either matched against advisories or counted as not checked,
and any package not checked makes the result `error` (unless a vulnerability above the limit
already fails it).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from opsverify.checks import CheckError, probe, timeout_of
from opsverify.checks.security import Audit
from opsverify.checks.security.advisories import Lookup, lookup
from opsverify.checks.security.lockfiles import Package, parse
from opsverify.checks.security.osv import SEVERITIES, Advisory
from opsverify.context import RunContext
from opsverify.result import Result, error, failed, passed, skipped, warning

MAX_MIRROR_AGE = dt.timedelta(days=30)  # an offline mirror older than this gives a warning, not a clean pass
SHOWN = 5


@probe
def dependencies(item: Audit, *, context: RunContext | None = None) -> Result:
    """Parse the lockfile (local or on a `hosts` machine), look its packages up, grade against max_severity."""
    audit = item.audit
    packages, unchecked = locked(item, context)
    if not packages:
        return skipped(f"{audit.lockfile} lists no packages")
    found = lookup(audit.advisories, [p for p in packages if not p.problem], float(timeout_of(item)))
    unchecked.update(found.unchecked)
    findings = [(p, a) for p, advisories in found.found.items() for a in advisories]
    limit = SEVERITIES.index(audit.max_severity)
    over = [(p, a) for p, a in findings if a.severity is None or SEVERITIES.index(a.severity) > limit]
    under = [f for f in findings if f not in over]
    evidence = {"lockfile": audit.lockfile, "packages": len(packages), "checked": len(found.found),
                "unchecked": len(unchecked), "source": found.label, "findings": [_finding(p, a) for p, a in findings],
                "newest_advisory": found.newest.isoformat() if found.newest else None}
    not_checked = unchecked_summary(unchecked, len(packages)) if unchecked else ""
    if over:
        return failed(f"{_count(over)} above {audit.max_severity} in {audit.lockfile}: {_list(over)}"
                      f"{'; ' + not_checked if not_checked else ''}",
                      value=len(over), unit="vulnerabilities", limit=audit.max_severity, evidence=evidence)
    if unchecked:
        return error(not_checked + (f"; {_count(under)} at or below {audit.max_severity} among the rest"
                                    if under else ""), evidence=evidence)
    if under:
        return warning(f"{_count(under)} at or below {audit.max_severity}: {_list(under)}", value=len(under),
                       unit="vulnerabilities", limit=audit.max_severity, evidence=evidence)
    stale = _stale(found)
    if stale:
        return warning(f"no known vulnerabilities in {len(packages)} packages, but {stale}", value=0,
                       unit="vulnerabilities", evidence=evidence)
    return passed(f"no known vulnerabilities in {len(packages)} packages ({found.label})", value=0,
                  unit="vulnerabilities", limit=audit.max_severity, evidence=evidence)


def locked(item: Audit, context: RunContext | None) -> tuple[list[Package], dict[Package, str]]:
    """The lockfile's packages, and those that cannot be looked up (no pinned version, ...) with the reason."""
    packages = parse(item.audit.lockfile, read_lockfile(item, context))
    return packages, {p: p.problem for p in packages if p.problem}


def read_lockfile(item: Audit, context: RunContext | None) -> bytes:
    """The lockfile's bytes, from this machine or through testinfra from the host named in `host`."""
    audit = item.audit
    if audit.host is None:
        try:
            return Path(audit.lockfile).read_bytes()
        except OSError as exc:
            raise CheckError(f"cannot read {audit.lockfile}: {exc.strerror}") from exc
    hosts = {h.name: h for h in context.environment.hosts} if context else {}
    if audit.host not in hosts:
        raise CheckError(f"host {audit.host} is not among the environment's hosts")
    from opsverify.checks.host import machine  # testinfra: only audits on hosts need it

    remote = machine(hosts[audit.host]).file(audit.lockfile)
    if not remote.exists:
        raise CheckError(f"{audit.lockfile} does not exist on {audit.host}")
    return remote.content


def _finding(package: Package, advisory: Advisory) -> str:
    """`lodash 4.17.20: GHSA-35jh-r3h4-6jhm (high, fixed in 4.17.21)`."""
    fixed = advisory.fixed_in(package)
    return (f"{package}: {advisory.id} ({advisory.severity or 'severity not given'}"
            f"{f', fixed in {fixed}' if fixed else ', no fix yet'})")


def _list(findings: list[tuple[Package, Advisory]]) -> str:
    """The first findings in words, and how many more."""
    shown = "; ".join(_finding(p, a) for p, a in findings[:SHOWN])
    return shown + (f"; and {len(findings) - SHOWN} more" if len(findings) > SHOWN else "")


def _count(findings: list[tuple[Package, Advisory]]) -> str:
    """`1 known vulnerability`, `3 known vulnerabilities`."""
    return f"{len(findings)} known vulnerabilit{'y' if len(findings) == 1 else 'ies'}"


def unchecked_summary(unchecked: dict[Package, str], total: int) -> str:
    """`3 of 40 packages not checked: 2 not pinned to one version (Django>=4, ...), 1 ...`."""
    groups = Counter(reason.split(" (")[0] for reason in unchecked.values())
    names = ", ".join(p.name for p in list(unchecked)[:3]) + (", …" if len(unchecked) > 3 else "")
    why = "; ".join(f"{reason} ({count})" if count > 1 else reason for reason, count in groups.most_common(3))
    return f"{len(unchecked)} of {total} packages not checked ({names}): {why}"


def _stale(found: Lookup) -> str | None:
    """How old an offline mirror is, when older than MAX_MIRROR_AGE."""
    if found.newest is None:  # the OSV API is current by definition
        return None
    age = dt.datetime.now(dt.timezone.utc) - found.newest
    if age <= MAX_MIRROR_AGE:
        return None
    return f"the advisory mirror is {age.days} days old (newest record {found.newest:%Y-%m-%d}); refresh it"
