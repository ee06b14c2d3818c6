"""Package upgrades pending on a host, and those from a security source: simulated, never installed."""

from __future__ import annotations

import re

from opsverify.checks import CheckError, combine, probe
from opsverify.checks.host import output, run
from opsverify.result import Result, error, grade, skipped
from opsverify.spec.models.hosts import Host
from opsverify.spec.units import format_seconds

# No lock taken and no package cache written: apt only reads its lists and the dpkg status (APT_CONFIG honoured).
APT = "apt-get -s -o Debug::NoLocking=1 -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= dist-upgrade"
# The newest change among the lists folder and its files (apt replaces a list when it downloads a new one), then now
LISTS = 'eval "$(apt-config shell D Dir::State::lists/d)"; find "$D" -maxdepth 1 -printf "%T@\\n" | sort -n | tail -n 1; date +%s'
DNF_UPDATES = 100  # `dnf check-update` exits with this when upgrades are pending
_INST = re.compile(r"^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) ([^\[]*?)\s*\[[^\]]*\]\)", re.MULTILINE)
_SECURITY = re.compile(r"-security|Debian-Security", re.IGNORECASE)
SHOWN = 10  # package names listed in a reason


@probe
def pending(host: Host) -> Result:
    """Upgrades pending (`apt-get -s dist-upgrade` or `dnf check-update`) against max_pending/security_updates;
    apt's package lists older than package_lists_max_age cannot say what is pending (an error)."""
    if host.max_pending_updates is None and host.max_security_updates is None:
        return skipped("no max_pending_updates or max_security_updates set")
    tool = run(host, "sh -c 'command -v apt-get || command -v dnf || true'").stdout.strip()
    if tool.endswith("apt-get"):
        stale = _stale_lists(host)
        if isinstance(stale, Result):
            return stale
        upgrades, security = parse_apt(output(host, APT))
        evidence: dict[str, object] = {"tool": "apt-get", "package_lists_age": stale}
    elif tool.endswith("dnf"):
        upgrades, security, evidence = _dnf(host)
    else:
        return error(f"{host.name} has neither apt-get nor dnf: cannot say which updates are pending")
    limits = (("update", upgrades, host.max_pending_updates),
              ("security update", security, host.max_security_updates))
    results = [_judge(host, kind, names, limit) for kind, names, limit in limits if limit is not None]
    return combine(results, pending=len(upgrades), security=len(security), packages=upgrades[:50], **evidence)


def _judge(host: Host, kind: str, names: list[str], limit: int) -> Result:
    """How many `kind` are pending against the limit, the first package names in the reason."""
    listed = ", ".join(names[:SHOWN]) + (", …" if len(names) > SHOWN else "")
    counted = f"{len(names)} {kind}" + ("" if len(names) == 1 else "s")
    said = f"{counted} pending on {host.name}" + (f": {listed}" if names else "")
    return grade(f"{kind}s", len(names), limit, said=said, unit="packages")


def _stale_lists(host: Host) -> str | Result:
    """The age of apt's package lists (newest change of the lists folder), or the error when it is past the limit."""
    stamps = output(host, f"sh -c '{LISTS}'").split()
    if len(stamps) != 2:
        raise CheckError(f"cannot read the time of apt's package lists on {host.name}")
    age = max(0.0, int(stamps[1]) - float(stamps[0]))
    limit = host.package_lists_max_age
    if age > limit:
        return error(f"package lists on {host.name} are {format_seconds(age)} old; limit {limit}: cannot say what is "
                     "pending (is `apt-get update` run, e.g. by apt-daily.timer?)",
                     value=round(age), unit="s", limit=str(limit), evidence={"package_lists_age": format_seconds(age)})
    return format_seconds(age)


def parse_apt(text: str) -> tuple[list[str], list[str]]:
    """The packages of the `Inst pkg [old] (new source, source [arch])` lines, and those with a security source."""
    upgrades, security = [], []
    for name, _version, sources in _INST.findall(text):
        upgrades.append(name)
        if _SECURITY.search(sources):
            security.append(name)
    return upgrades, security


def _dnf(host: Host) -> tuple[list[str], list[str], dict[str, object]]:
    """Packages `dnf check-update` lists and those `dnf updateinfo list --security` names, from the cache only."""
    out = run(host, "dnf -q -C check-update")
    if out.rc not in (0, DNF_UPDATES):
        said = (out.stderr or out.stdout).strip().splitlines()
        raise CheckError(f"`dnf check-update` failed on {host.name} (exit {out.rc})"
                         + (f": {said[-1]}" if said else ""))
    security = parse_dnf_security(output(host, "dnf -q -C updateinfo list --security"))
    return parse_dnf(out.stdout), security, {"tool": "dnf"}


def parse_dnf(text: str) -> list[str]:
    """Package names (arch removed) of `dnf check-update`'s `name.arch version repo` lines."""
    names = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 3 and "." in fields[0] and not line.startswith(" "):
            names.append(fields[0].rsplit(".", 1)[0])
        elif line.startswith("Obsoleting"):
            break
    return list(dict.fromkeys(names))


def parse_dnf_security(text: str) -> list[str]:
    """Package names of `dnf updateinfo list --security`'s `ADVISORY severity/Sec. name-version-release.arch` lines."""
    names = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 3 and "Sec" in fields[1]:
            names.append(re.sub(r"-[^-]+-[^-]+$", "", fields[2]))
    return list(dict.fromkeys(names))
