"""Cron jobs that must be set up on a host: each expected pattern matches a job of the user's crontab or the system's.

The jobs are read, never changed: `crontab -l -u USER`, /etc/crontab and the files of /etc/cron.d.
Only the patterns and the files they were found in are reported; a job line can hold a password.
"""

from __future__ import annotations

import posixpath
import re

from opsverify.checks import CheckError, probe
from opsverify.checks.host import run
from opsverify.result import Result, failed, passed, skipped
from opsverify.spec.models.hosts import Host

SYSTEM = "grep -H '' /etc/crontab /etc/cron.d/*"  # every line, prefixed with its file
CRON_D_NAME = re.compile(r"[A-Za-z0-9_-]+")  # run-parts names: Debian's cron skips any other file in /etc/cron.d
MISSING = "No such file or directory"  # no /etc/crontab, or an empty /etc/cron.d: nothing to read
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\s*=")  # MAILTO=..., PATH=...: settings, not jobs


@probe
def crontab(host: Host) -> Result:
    """Each pattern of `crontab.expect` matches a job line in the user's crontab, /etc/crontab or /etc/cron.d."""
    spec = host.crontab
    if spec is None:
        return skipped("no crontab entries expected")
    sources = {f"the crontab of {spec.user}": _user_jobs(host, spec.user)}
    system, ignored, unreadable = _system_jobs(host)
    sources.update(system)
    found = {pattern: next((name for name, jobs in sources.items() if any(re.search(pattern, j) for j in jobs)), None)
             for pattern in spec.expect}
    missing = [pattern for pattern, where in found.items() if where is None]
    evidence = {"found": {p: w for p, w in found.items() if w}, "missing": missing,
                "jobs": {name: len(jobs) for name, jobs in sources.items()}, "ignored": ignored,
                "unreadable": unreadable}
    if missing:
        cron_d = sum(name.startswith("/etc/cron.d/") for name in sources)
        looked = [name for name in sources if not name.startswith("/etc/cron.d/")]
        looked += [f"{cron_d} {'file' if cron_d == 1 else 'files'} in /etc/cron.d"] if cron_d else []
        note = f"; could not read {', '.join(unreadable)}" if unreadable else ""
        noun = "cron job is" if len(missing) == 1 else "cron jobs are"
        return failed(f"{len(missing)} expected {noun} missing on {host.name}: "
                      f"{', '.join(_quoted(p) for p in missing)} (looked in {', '.join(looked)}){note}",
                      value=len(missing), evidence=evidence)
    shown = ", ".join(f"{_quoted(p)} in {where}" for p, where in found.items())
    return passed(f"all {len(found)} expected cron jobs are set up on {host.name}: {shown}", value=0,
                  evidence=evidence)


def _user_jobs(host: Host, user: str) -> list[str]:
    """The job lines of a user's crontab; none when the user has no crontab."""
    out = run(host, "crontab -l -u %s", user)
    said = [line for line in (out.stderr or "").splitlines() if line.strip()]
    if out.rc == 0:
        return jobs(out.stdout)
    if said and said[-1].startswith("no crontab for"):
        return []
    if out.rc == 127:
        raise CheckError(f"crontab is not installed on {host.name}: no cron runs jobs there")
    hint = " (reading another user's crontab needs root: add ?sudo=true to the target)" \
        if said and ("privileged" in said[-1] or "not allowed" in said[-1].lower()) else ""
    raise CheckError(f"cannot read the crontab of {user} on {host.name}: "
                     f"{said[-1] if said else f'exit {out.rc}'}{hint}")


def _system_jobs(host: Host) -> tuple[dict[str, list[str]], list[str], list[str]]:
    """Job lines of /etc/crontab and each /etc/cron.d file cron reads; the files it skips; the files not readable."""
    out = run(host, SYSTEM)
    lines: dict[str, list[str]] = {}
    for line in out.stdout.splitlines():
        path, _, text = line.partition(":")
        lines.setdefault(path, []).append(text)
    unreadable = [line.split(": ")[1] for line in (out.stderr or "").splitlines()
                  if line.startswith("grep: ") and line.count(": ") >= 2 and not line.endswith(MISSING)]
    ignored = [p for p in lines if p.startswith("/etc/cron.d/") and not CRON_D_NAME.fullmatch(posixpath.basename(p))]
    return {p: jobs("\n".join(text)) for p, text in lines.items() if p not in ignored}, ignored, unreadable


def jobs(text: str) -> list[str]:
    """The job lines of a crontab: no blank lines, comments or variable settings."""
    stripped = (line.strip() for line in text.splitlines())
    return [line for line in stripped if line and not line.startswith("#") and not _VARIABLE.match(line)]


def _quoted(pattern: str) -> str:
    """A pattern as shown in a reason."""
    return f'"{pattern}"'
