"""What must run on a host: services (systemd, else a process check), processes, and apps under PM2 (online,
restarts, memory)."""

from __future__ import annotations

import json
import os
import shlex
from typing import Any

from opsverify.checks import CheckError, combine, probe, show_size
from opsverify.checks.host import machine, output, run
from opsverify.result import Result, failed, grade, passed, skipped
from opsverify.spec.models.hosts import Host, Pm2
from opsverify.spec.units import format_bytes

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
        return passed(f"{_all(host.services)} active (systemd)", value=0, evidence=evidence)
    table = process_table(host)
    found = {name: _service_process(name, table) for name in host.services}
    missing = [name for name, pid in found.items() if pid is None]
    evidence = {"method": "process", "pids": {name: pid for name, pid in found.items() if pid is not None}}
    how = "no systemd on this host: checked for a process of each service's name"
    if missing:
        return failed(f"{_names(missing)} not running ({how})", value=len(missing), evidence=evidence)
    return passed(f"{_all(host.services)} running ({how})", value=0, evidence=evidence)


@probe
def processes(host: Host) -> Result:
    """A process whose command name is each name in `processes` exists (testinfra's process module)."""
    if not host.processes:
        return skipped("no processes listed")
    present = machine(host).process
    counts = {name: len(present.filter(comm=name[:COMM])) for name in host.processes}
    missing = [name for name, count in counts.items() if count == 0]
    if missing:
        return failed(f"no process named {_names(missing, 'or')} is running on {host.name}",
                      value=len(missing), evidence={"counts": counts})
    return passed(f"{_all(host.processes)} running ({_counted(counts)})", value=0, evidence={"counts": counts})


@probe
def pm2(host: Host) -> Result:
    """Apps under PM2 are online and restarted at most max_restarts times (never starts a PM2 daemon)."""
    if host.pm2 is None:
        return skipped("no pm2 section")
    apps = _pm2_apps(host, host.pm2)
    if apps is None:
        return failed(_no_daemon(host, host.pm2))
    wanted = host.pm2.apps or tuple(apps)
    if not wanted:
        return failed(f"PM2 on {host.name} runs no apps")
    missing = [name for name in wanted if name not in apps]
    down = {name: apps[name]["status"] for name in wanted if name in apps and apps[name]["status"] != "online"}
    evidence = {"apps": apps}
    results = []
    if missing:
        results.append(failed(f"PM2 does not know {_names(missing)}"))
    if down:
        results.append(failed(", ".join(f"{name} is {state}" for name, state in down.items())))
    for name in (n for n in wanted if n in apps):
        results.append(grade(f"{name} restarts", apps[name]["restarts"], host.pm2.max_restarts,
                             host.pm2.warn_max_restarts, show=lambda v: f"{v:g}"))
    if not missing and not down:
        results.append(passed(f"{_all(wanted)} online under PM2"))
    return combine(results, **evidence)


@probe
def pm2_memory(host: Host) -> Result:
    """Each app's memory as PM2 measures it (`monit.memory`, the RSS) against pm2.max_memory; of an app run as
    several instances (cluster mode), the largest."""
    if host.pm2 is None or not host.pm2.limits_memory:
        return skipped("no pm2.max_memory set")
    apps = _pm2_apps(host, host.pm2)
    if apps is None:
        raise CheckError(_no_daemon(host, host.pm2))
    wanted = [name for name in host.pm2.apps or tuple(apps) if name in apps]
    if not wanted:
        listed = f" ({_names(list(host.pm2.apps), 'or')})" if host.pm2.apps else ""
        raise CheckError(f"PM2 on {host.name} runs no app to measure{listed}")
    results = []
    for name in wanted:
        sizes = apps[name]["memory"]
        largest = f" (the largest of {len(sizes)} instances)" if len(sizes) > 1 else ""
        results.append(grade(f"{name} memory", max(sizes), host.pm2.max_memory, host.pm2.warn_max_memory,
                             show=show_size, unit="B", said=f"{name} uses {format_bytes(max(sizes))}{largest}"))
    return combine(results, memory={name: [format_bytes(size) for size in apps[name]["memory"]] for name in wanted})


def _no_daemon(host: Host, config: Pm2) -> str:
    """The reason when no PM2 daemon runs for the configured home."""
    return f"no PM2 daemon is running for PM2_HOME {config.home or '~/.pm2'} on {host.name}"


def _pm2_apps(host: Host, config: Pm2) -> dict[str, dict[str, Any]] | None:
    """Each app's status, restart count and memory per instance from `pm2 jlist`; None when no PM2 daemon runs."""
    home = shlex.quote(config.home) if config.home else '"$HOME/.pm2"'
    alive = f'kill -0 "$(cat {home}/pm2.pid 2>/dev/null)" 2>/dev/null'
    if run(host, f"sh -c {shlex.quote(alive)}").rc != 0:  # `pm2 jlist` would start a daemon
        return None
    text = output(host, f"env PM2_HOME={home} pm2 jlist" if config.home else "pm2 jlist")
    listed = None
    for line in reversed(text.splitlines()):  # the JSON is one line; PM2 may print "[PM2] ..." notes too
        try:
            listed = json.loads(line)
            break
        except ValueError:
            continue
    if not isinstance(listed, list):
        raise CheckError(f"`pm2 jlist` on {host.name} did not print a JSON list")
    memory: dict[str, list[int]] = {}
    for app in listed:  # cluster mode lists one entry per instance under the same name
        memory.setdefault(app["name"], []).append(int((app.get("monit") or {}).get("memory") or 0))
    return {app["name"]: {"status": app.get("pm2_env", {}).get("status", "unknown"),
                          "restarts": int(app.get("pm2_env", {}).get("restart_time", 0)),
                          "pid": app.get("pid"), "memory": memory[app["name"]]} for app in listed}


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


def _names(names: list[str], joiner: str = "and") -> str:
    """a, b and c."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {joiner} {names[-1]}"


def _all(names: tuple[str, ...] | list[str]) -> str:
    """'nginx is' or 'all 3 are'."""
    return f"{names[0]} is" if len(names) == 1 else f"all {len(names)} are"


def _counted(counts: dict[str, int]) -> str:
    """node: 4, nginx: 2."""
    return ", ".join(f"{name}: {count}" for name, count in counts.items())
