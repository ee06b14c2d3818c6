"""Package upgrades pending on a host, and those from a security source: simulated, never installed."""

from __future__ import annotations

import re

from opsverify.checks import CheckError, combine, probe
from opsverify.checks.host import output, run
from opsverify.result import Result, grade, skipped
from opsverify.spec.models.hosts import Host
from opsverify.spec.units import format_seconds

# No lock taken and no package cache written: apt only reads its lists and the dpkg status (APT_CONFIG honoured).
APT = "apt-get -s -o Debug::NoLocking=1 -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= dist-upgrade"
LISTS = 'eval "$(apt-config shell D Dir::State::lists/d)"; stat -c %Y "$D"; date +%s'
DNF_UPDATES = 100  # `dnf check-update` exits with this when upgrades are pending
_INST = re.compile(r"^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) ([^\[]*?)\s*\[[^\]]*\]\)", re.MULTILINE)
_SECURITY = re.compile(r"-security|Debian-Security", re.IGNORECASE)
SHOWN = 10  # package names listed in a reason


@probe
def pending(host: Host) -> Result:
    """Upgrades pending (`apt-get -s dist-upgrade` or `dnf check-update`) against max_pending/security_updates."""
    if host.max_pending_updates is None and host.max_security_updates is None:
        return skipped("no max_pending_updates or max_security_updates set")
    tool = run(host, "sh -c 'command -v apt-get || command -v dnf || true'").stdout.strip()
    if tool.endswith("apt-get"):
        upgrades, security, evidence = _apt(host)
    elif tool.endswith("dnf"):
        upgrades, security, evidence = _dnf(host)
    else:
        return skipped(f"{host.name} has neither apt-get nor dnf: pending updates not checked")
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


def _apt(host: Host) -> tuple[list[str], list[str], dict[str, object]]:
    """Packages `apt-get -s dist-upgrade` would upgrade, those from a security source, and the lists' age."""
    upgrades, security = parse_apt(output(host, APT))
    stamps = output(host, f"sh -c '{LISTS}'").split()
    evidence: dict[str, object] = {"tool": "apt-get"}
    if len(stamps) == 2:
        evidence["package_lists_age"] = format_seconds(max(0, int(stamps[1]) - int(stamps[0])))
    return upgrades, security, evidence


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
