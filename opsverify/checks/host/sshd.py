"""The SSH server's effective settings, read from `sshd -T`, against the values the environment names."""

from __future__ import annotations

from opsverify.checks import CheckError, probe
from opsverify.checks.host import run
from opsverify.result import Result, failed, passed, skipped
from opsverify.spec.models.hosts import Host

_SEARCH = "PATH=$PATH:/usr/sbin:/sbin:/usr/local/sbin"
_SYNONYMS = {"prohibit-password": "without-password"}  # sshd -T prints the older name


@probe
def settings(host: Host) -> Result:
    """Each `sshd:` option has the expected value in `sshd -T` (run as root, or with ?sudo=true)."""
    if not host.sshd:
        return skipped("no sshd settings listed")
    config = ["-f", host.sshd_config] if host.sshd_config else []
    out = run(host, f"env {_SEARCH} sshd -T" + " %s" * len(config), *config)
    if out.rc != 0:
        said = (out.stderr or out.stdout).strip().splitlines()
        hint = " (sshd -T needs root: connect as root or add ?sudo=true to the target)" \
            if any("hostkey" in line.lower() or "permission" in line.lower() for line in said) else ""
        raise CheckError(f"`sshd -T` failed on {host.name}: {said[-1] if said else f'exit {out.rc}'}{hint}")
    effective: dict[str, list[str]] = {}
    for line in out.stdout.splitlines():
        key, _, value = line.strip().partition(" ")
        if key:
            effective.setdefault(key.lower(), []).append(value.strip())
    unknown = [key for key in host.sshd if key not in effective]
    if unknown:
        raise CheckError(f"`sshd -T` on {host.name} prints no option named {', '.join(unknown)}")
    wrong = {key: effective[key] for key, want in host.sshd.items()
             if _same(want) not in (_same(value) for value in effective[key])}
    shown = {key: " ".join(values) for key, values in effective.items() if key in host.sshd}
    evidence = {"effective": shown, "expected": dict(host.sshd)}
    if wrong:
        listed = "; ".join(f"{key} is {' '.join(values)}, expected {host.sshd[key]}" for key, values in wrong.items())
        return failed(f"sshd on {host.name}: {listed}", value=len(wrong), evidence=evidence)
    listed = ", ".join(f"{key} {value}" for key, value in host.sshd.items())
    return passed(f"sshd on {host.name} has {listed}", value=0, evidence=evidence)


def _same(value: str) -> str:
    """A value compared without case, under the name sshd -T prints."""
    text = str(value).lower()
    return _SYNONYMS.get(text, text)
