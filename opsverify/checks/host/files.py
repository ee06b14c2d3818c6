"""Files on a host: modes at most as open as configured, owners and groups, nothing world-writable."""

from __future__ import annotations

from typing import cast

from opsverify.checks import CheckError, combine, probe
from opsverify.checks.host import OnHost, run
from opsverify.result import Result, failed, passed, skipped
from opsverify.spec.models.hosts import Host, HostFile

_WHO = (("owner", 6), ("group", 3), ("others", 0))
_WHAT = (("read", 4), ("write", 2), ("execute", 1))
_SPECIAL = ((0o4000, "setuid"), (0o2000, "setgid"), (0o1000, "sticky"))
SHOWN = 20  # world-writable paths named in the reason at most


@probe
def file(entry: OnHost) -> Result:
    """The file exists, its mode has no bit beyond `mode`, and its owner and group are as named."""
    host, spec = entry.host, cast(HostFile, entry.item)
    out = run(host, "stat -L -c '%%a %%U %%G %%F' %s", spec.path)
    if out.rc != 0:
        if "No such file" in out.stderr:
            return failed(f"{spec.path} does not exist on {host.name}")
        raise CheckError(f"cannot stat {spec.path} on {host.name}: {out.stderr.strip()}")
    mode_text, owner, group, kind = out.stdout.strip().split(" ", 3)
    mode = int(mode_text, 8)
    evidence = {"mode": f"{mode:04o}", "owner": owner, "group": group, "type": kind}
    results = []
    if spec.mode_bits is not None:
        extra = mode & ~spec.mode_bits & 0o7777
        if extra:
            results.append(failed(f"{spec.path} has mode {mode:04o}; at most {spec.mode} allowed "
                                  f"({_describe(extra)})"))
        else:
            results.append(passed(f"{spec.path} has mode {mode:04o} (at most {spec.mode})"))
    for what, expected, actual in (("owned by", spec.owner, owner), ("in group", spec.group, group)):
        if expected is not None:
            verdict = passed if actual == expected else failed
            suffix = "" if actual == expected else f"; expected {expected}"
            results.append(verdict(f"{spec.path} is {what} {actual}{suffix}"))
    if not results:
        results.append(passed(f"{spec.path} exists ({kind})"))
    return combine(results, **evidence)


@probe
def world_writable(host: Host) -> Result:
    """No file, and no directory without the sticky bit, under `no_world_writable` is writable by everyone."""
    if not host.no_world_writable:
        return skipped("no no_world_writable folders listed")
    found: list[str] = []
    for folder in host.no_world_writable:
        out = run(host, "find %s -xdev \\( -type f -o -type d ! -perm -1000 \\) -perm -0002 -print",
                  folder, limit=max(60.0, float(host.timeout or 0)))
        if out.rc != 0 and not out.stdout:
            said = out.stderr.strip().splitlines()
            raise CheckError(f"cannot search {folder} on {host.name}: {said[-1] if said else f'exit {out.rc}'}")
        found += out.stdout.splitlines()
    evidence = {"folders": list(host.no_world_writable), "world_writable": found[:100]}
    if found:
        more = f" and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
        noun = "path is" if len(found) == 1 else "paths are"
        return failed(f"{len(found)} {noun} writable by everyone: {', '.join(found[:SHOWN])}{more}",
                      value=len(found), evidence=evidence)
    return passed(f"nothing world-writable under {', '.join(host.no_world_writable)}", value=0,
                  evidence=evidence)


def _describe(extra: int) -> str:
    """The permission bits beyond the allowed ones, in words: 'group can write, others can read'."""
    words = [f"{who} can {what}" for who, shift in _WHO for what, bit in _WHAT if extra & (bit << shift)]
    words += [name for bit, name in _SPECIAL if extra & bit]
    return ", ".join(words)
