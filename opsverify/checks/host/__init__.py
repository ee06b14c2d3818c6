"""Hosts are testinfra hosts: one per target, commands under a time limit, and entries nested in a host."""

from __future__ import annotations

import datetime as dt
import errno
import functools
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import testinfra
from testinfra.backend.base import CommandResult
from testinfra.host import Host as Machine

from opsverify.checks import CheckError, carried, show_seconds, target_key, timeout_of
from opsverify.checks.host import fleet
from opsverify.spec import Environment
from opsverify.spec.models.hosts import Host, HostFile, HostLog, OldFiles
from opsverify.spec.units import format_percent

_SSH = ("ssh", "safe-ssh", "paramiko")
TIMED_OUT = 124  # what coreutils `timeout` exits with
# Starting a local process (the command, or ssh) can fail for a passing reason: EAGAIN/ENOMEM under load, and
# EFAULT, seen once from a busy multi-threaded pytest on a Firecracker VM. The machine's hiccup, not the target's.
PASSING = (errno.EAGAIN, errno.ENOMEM, errno.EFAULT)
TRIES = 3
_WRAPPING = threading.Lock()


def machine(host: Host) -> Machine:
    """The testinfra host of an item's target; ssh backends connect within the item's timeout; a fleet's hosts
    run their commands within its connections. A target that names a whole fleet is a CheckError."""
    fleet.single(host)
    scheme = host.target.split("://", 1)[0] if "://" in host.target else "paramiko"
    extra = {"timeout": max(1, math.ceil(timeout_of(host)))} if scheme in _SSH else {}
    made = testinfra.get_host(host.target, **extra)  # cached by testinfra: wrap its backend once
    with _WRAPPING:  # probes reach the same host at once; wrapped twice, a fleet's slot would be taken twice
        if not hasattr(made.backend.run_local, "__wrapped__"):
            made.backend.run_local = steady(made.backend.run_local)
            slots = fleet.gate(host.target)
            if slots is not None:
                made.backend.run = fleet.gated(made.backend.run, slots)
    return made


def steady(start: Callable[..., CommandResult]) -> Callable[..., CommandResult]:
    """`start` tried again (up to TRIES times) when the process could not be spawned for a passing reason."""

    @functools.wraps(start)
    def started(*args: str) -> CommandResult:
        """The command's result; the spawn error of the last try if none could start."""
        for attempt in range(1, TRIES):
            try:
                return start(*args)
            except OSError as exc:
                if exc.errno not in PASSING:
                    raise
                time.sleep(0.05 * attempt)
        return start(*args)

    return started


def run(host: Host, command: str, *args: str, limit: float | None = None) -> CommandResult:
    """`command` (args quoted by testinfra) on the host in the C locale, killed after the timeout or `limit`."""
    seconds = limit if limit is not None else float(timeout_of(host))
    try:
        out = machine(host).run(f"LC_ALL=C timeout {seconds:g} {command}", *args)
    except RuntimeError as exc:  # ssh exited 255: testinfra wraps its CommandResult
        said = getattr(exc.args[0], "stderr", "") if exc.args else ""
        lines = [line for line in str(said or exc).splitlines() if line.strip()]
        if lines and "connection refused" in lines[-1].lower():
            raise CheckError(f"connection refused on {target_key(host)}") from exc
        raise CheckError(f"cannot run commands on {host.name}: {lines[-1] if lines else 'ssh failed'}") from exc
    if out.rc == TIMED_OUT:
        raise CheckError(f"`{_shown(command, args)}` did not finish within {show_seconds(seconds)} on {host.name}")
    return out


def output(host: Host, command: str, *args: str, limit: float | None = None) -> str:
    """The standard output of a command that must succeed; CheckError with its stderr otherwise."""
    out = run(host, command, *args, limit=limit)
    if out.rc != 0:
        said = (out.stderr or out.stdout).strip().splitlines()
        raise CheckError(f"`{_shown(command, args)}` failed on {host.name} (exit {out.rc})"
                         + (f": {said[-1]}" if said else ""))
    return out.stdout


def _shown(command: str, args: tuple[str, ...]) -> str:
    """The command as it was run, for a reason."""
    return command % args if args else command


def modified_at(host: Host, path: str) -> float:
    """When a file (a symlink's own time: when it was switched) last changed, in seconds since the epoch, on the
    host's clock; CheckError when it cannot be read."""
    found = output(host, "find %s -maxdepth 0 -printf '%%T@\\n'", path).strip()
    if not found:
        raise CheckError(f"cannot read the time of {path} on {host.name}")
    return float(found)


def utc(epoch: float) -> str:
    """Seconds since the epoch as `2026-12-07 10:05:00Z`."""
    return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def percent(share: float) -> str:
    """A measured share as a percentage with one decimal at most (23.4%); limits print as written."""
    if type(share) is not float:
        return str(share)
    return f"{share * 100:.0f}%" if abs(share) >= 10 else format_percent(round(share, 3))


@dataclass(frozen=True)
class OnHost:
    """A log, file or old-files entry with the host it belongs to; its test id is `HOST:ITEM`."""

    host: Host
    item: HostLog | HostFile | OldFiles

    @property
    def name(self) -> str:
        """HOST:ITEM, so `-k HOST` and `-k ITEM` both find it."""
        return f"{self.host.name}:{self.item.name}"

    @property
    def url(self) -> str:
        """The host's target (the probe pool caps concurrency per machine)."""
        return self.host.target

    @property
    def cadence(self) -> str | None:
        """The item's own cadence, else the host's."""
        return self.item.cadence or self.host.cadence

    __getattr__ = carried("item")  # severity and timeout were resolved on load


def nested(env: Environment, section: str) -> list[OnHost]:
    """Every entry of `section` (`logs`, `files`, `old_files`) of every host, paired with its host."""
    return [OnHost(host, entry) for host in env.hosts for entry in getattr(host, section)]
