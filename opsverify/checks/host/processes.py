"""What must run on a host: services (systemd, else a process check) and processes (PM2's apps: host/pm2.py)."""

from __future__ import annotations

import os

from opsverify.checks import probe
from opsverify.checks.host import machine, output, run
from opsverify.result import Result, failed, passed, skipped
from opsverify.spec.models.hosts import Host

COMM = 15  # the kernel keeps the first 15 characters of a command name


@probe
def services(host: Host) -> Result:
    """Every name in `services` is running: `systemctl is-active` under systemd, else a process of that name."""
    if not host.services:
        return skipped("no services listed")
    if run(host, "test -d /run/systemd/system").rc == 0:
        states = {name: run(host, "systemctl is-active %s", name).stdout.strip() or "unknown"
                  for name in host.services}
        down = {name: state for name, state in states.items() if state != "active"}
        evidence = {"method": "systemd", "states": states}
        if down:
            listed = ", ".join(f"{name} is {state}" for name, state in down.items())
            return failed(f"{listed} (systemd)", value=len(down), evidence=evidence)
        return passed(f"{every(host.services)} active (systemd)", value=0, evidence=evidence)
    table = process_table(host)
    found = {name: _service_process(name, table) for name in host.services}
    missing = [name for name, pid in found.items() if pid is None]
    evidence = {"method": "process", "pids": {name: pid for name, pid in found.items() if pid is not None}}
    how = "no systemd on this host: checked for a process of each service's name"
    if missing:
        return failed(f"{names(missing)} not running ({how})", value=len(missing), evidence=evidence)
    return passed(f"{every(host.services)} running ({how})", value=0, evidence=evidence)


@probe
def processes(host: Host) -> Result:
    """A process whose command name is each name in `processes` exists (testinfra's process module)."""
    if not host.processes:
        return skipped("no processes listed")
    present = machine(host).process
    counts = {name: len(present.filter(comm=name[:COMM])) for name in host.processes}
    missing = [name for name, count in counts.items() if count == 0]
    if missing:
        return failed(f"no process named {names(missing, 'or')} is running on {host.name}",
                      value=len(missing), evidence={"counts": counts})
    return passed(f"{every(host.processes)} running ({_counted(counts)})", value=0, evidence={"counts": counts})


def process_table(host: Host) -> list[tuple[int, str, str]]:
    """(pid, command name, command line) of every process on the host."""
    table = []
    for line in output(host, "ps -A -ww -o pid= -o comm= -o args=").splitlines():
        parts = line.split(None, 2)
        if len(parts) >= 2:
            table.append((int(parts[0]), parts[1], parts[2] if len(parts) > 2 else parts[1]))
    return table


def _service_process(name: str, table: list[tuple[int, str, str]]) -> int | None:
    """The pid of a process named like the service: its command name or program starts with the
    name (redis -> redis-server), or the program lies in a folder of that name (/usr/lib/postgresql/...)."""
    for pid, comm, args in table:
        program = args.split()[0] if args.split() else comm
        if comm.startswith(name[:COMM]) or os.path.basename(program).startswith(name) \
                or f"/{name}/" in program:
            return pid
    return None


def names(names: list[str], joiner: str = "and") -> str:
    """a, b and c."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {joiner} {names[-1]}"


def every(names: tuple[str, ...] | list[str]) -> str:
    """'nginx is' or 'all 3 are'."""
    return f"{names[0]} is" if len(names) == 1 else f"all {len(names)} are"


def _counted(counts: dict[str, int]) -> str:
    """node: 4, nginx: 2."""
    return ", ".join(f"{name}: {count}" for name, count in counts.items())
