"""Apps under PM2 on a host: online, restarted few times since the previous run, started after the release,
their memory and its growth since the previous run (never starts a PM2 daemon)."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field

from opsverify.checks import CheckError, combine, plural, probe, show_size
from opsverify.checks.counters import first_reading, since_previous
from opsverify.checks.host import modified_at, output, run, utc
from opsverify.checks.host.processes import every, names
from opsverify.checks.previous import previous, seconds_since
from opsverify.context import RunContext
from opsverify.result import Result, failed, grade, passed, skipped, warning
from opsverify.spec.models.hosts import Host, Pm2
from opsverify.spec.units import format_bytes, format_seconds

DAY = 86400.0


@dataclass
class App:
    """One app as `pm2 jlist` lists it (cluster mode: one entry per instance, folded here)."""

    status: str
    restarts: int
    started: float  # the newest instance's start (pm_uptime), seconds since the epoch
    memory: list[int] = field(default_factory=list)  # RSS of each instance


@dataclass
class Daemon:
    """The PM2 daemon of a home: its pid, how long it has run, and its apps."""

    pid: str
    uptime: float
    apps: dict[str, App]


@probe
def apps(host: Host, *, context: RunContext | None = None) -> Result:
    """Apps under PM2 are online, restarted at most max_restarts times since the previous archived run, and (with
    `release`) started after the release."""
    if host.pm2 is None:
        return skipped("no pm2 section")
    daemon = _daemon(host, host.pm2)
    if daemon is None:
        return failed(_no_daemon(host, host.pm2))
    wanted = host.pm2.apps or tuple(daemon.apps)
    if not wanted:
        return failed(f"PM2 on {host.name} runs no apps")
    found = {name: daemon.apps[name] for name in wanted if name in daemon.apps}
    missing = [name for name in wanted if name not in found]
    down = {name: app.status for name, app in found.items() if app.status != "online"}
    counters = {f"restarts {name}": app.restarts for name, app in found.items()}
    evidence = {"apps": {name: {"status": app.status, "restarts": app.restarts, "started": utc(app.started)}
                         for name, app in found.items()},
                **counters, "run_id": daemon.pid, "uptime_s": int(daemon.uptime)}
    results = []
    if missing:
        results.append(failed(f"PM2 does not know {names(missing)}"))
    if down:
        results.append(failed(", ".join(f"{name} is {state}" for name, state in down.items())))
    if counters and (host.pm2.max_restarts is not None or host.pm2.warn_max_restarts is not None):
        results.append(_restarts(host.pm2, counters, daemon, context))
    if host.pm2.release is not None and found:
        results.append(_after_release(host, host.pm2.release, found))
    if not missing and not down:
        results.append(passed(f"{every(wanted)} online under PM2"))
    return combine(results, **evidence)


def _restarts(config: Pm2, counters: dict[str, int], daemon: Daemon, context: RunContext | None) -> Result:
    """PM2's restart counters (lifetime, until `pm2 reset`) judged on their change since the previous run."""
    span = since_previous(context, counters, daemon.uptime, daemon.pid)
    graded = [grade(key, span.grown[key], config.max_restarts, config.warn_max_restarts,
                    said=f"{key.split(' ', 1)[1]} restarted {plural(span.grown[key], 'time')} {span.said}")
              for key in counters]
    result = combine(graded)
    return first_reading(result, span) if any(span.grown.values()) else result


def _after_release(host: Host, release: str, found: dict[str, App]) -> Result:
    """Every app started after the release marker changed (else PM2 still runs the previous code)."""
    released = modified_at(host, release)
    stale = {name: app.started for name, app in found.items() if app.started < released}
    when = f"the release of {utc(released)} ({release})"
    if stale:
        named = ", ".join(f"{name} started {utc(at)}" for name, at in stale.items())
        return failed(f"{named}, before {when}: PM2 still runs the previous code (pm2 restart or reload it)",
                      value=len(stale), limit="0")
    return passed(f"{every(tuple(found))} started after {when}", value=0, limit="0")


@probe
def memory(host: Host, *, context: RunContext | None = None) -> Result:
    """Each app's memory as PM2 measures it (`monit.memory`, the RSS; of an app run as several instances, the
    largest) against max_memory, and its growth per day since the previous archived run against
    max_memory_growth."""
    if host.pm2 is None or not host.pm2.limits_memory:
        return skipped("no pm2.max_memory or max_memory_growth set")
    daemon = _daemon(host, host.pm2)
    if daemon is None:
        raise CheckError(_no_daemon(host, host.pm2))
    wanted = [name for name in host.pm2.apps or tuple(daemon.apps) if name in daemon.apps]
    if not wanted:
        listed = f" ({names(list(host.pm2.apps), 'or')})" if host.pm2.apps else ""
        raise CheckError(f"PM2 on {host.name} runs no app to measure{listed}")
    config, results = host.pm2, []
    rss = {name: max(daemon.apps[name].memory) for name in wanted}
    started = {name: daemon.apps[name].started for name in wanted}
    for name in wanted:
        sizes = daemon.apps[name].memory
        largest = f" (the largest of {len(sizes)} instances)" if len(sizes) > 1 else ""
        if config.max_memory is not None or config.warn_max_memory is not None:
            results.append(grade(f"{name} memory", rss[name], config.max_memory, config.warn_max_memory,
                                 show=show_size, unit="B",
                                 said=f"{name} uses {format_bytes(rss[name])}{largest}"))
    if config.max_memory_growth is not None or config.warn_max_memory_growth is not None:
        results.append(_growth(config, rss, started, context))
    return combine(results, memory={name: [format_bytes(s) for s in daemon.apps[name].memory] for name in wanted},
                   rss=rss, started=started)


def _growth(config: Pm2, rss: dict[str, int], started: dict[str, float], context: RunContext | None) -> Result:
    """How fast each app's memory grew since the previous archived run of the same process (a leak), per day."""
    past = previous(context, "rss")
    if past is None or context is None:
        return warning("memory growth: a first reading: no earlier archived run of this check to compare with; "
                       "judged from the next run on")
    then = past.entry["evidence"]
    elapsed = max(seconds_since(context, past), 1.0)
    when = f"since the run of {past.started[:16].replace('T', ' ')}Z, {format_seconds(elapsed)} ago"
    results = []
    for name, size in rss.items():
        if name not in then.get("rss", {}) or then.get("started", {}).get(name) != started[name]:
            results.append(passed(f"{name} restarted {when}: its memory growth is judged from the next run on"))
            continue
        grown = size - int(then["rss"][name])
        per_day = grown * DAY / elapsed
        results.append(grade(f"{name} memory growth", per_day, config.max_memory_growth,
                             config.warn_max_memory_growth, show=lambda v: f"{show_size(v)} a day", unit="B/day",
                             said=f"{name} grew {format_bytes(max(grown, 0))} {when} "
                                  f"({format_bytes(max(per_day, 0))} a day)"))
    return combine(results)


def _no_daemon(host: Host, config: Pm2) -> str:
    """The reason when no PM2 daemon runs for the configured home."""
    return f"no PM2 daemon is running for PM2_HOME {config.home or '~/.pm2'} on {host.name}"


def _daemon(host: Host, config: Pm2) -> Daemon | None:
    """The daemon's pid, uptime and apps from `pm2 jlist`; None when no PM2 daemon runs (jlist would start one)."""
    home = shlex.quote(config.home) if config.home else '"$HOME/.pm2"'
    alive = f'pid=$(cat {home}/pm2.pid 2>/dev/null) && kill -0 "$pid" 2>/dev/null && echo "$pid" ' \
            f'$(ps -o etimes= -p "$pid")'
    found = run(host, f"sh -c {shlex.quote(alive)}")
    if found.rc != 0:
        return None
    pid, *uptime = found.stdout.split()
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
    apps: dict[str, App] = {}
    for entry in listed:  # cluster mode lists one entry per instance under the same name
        env = entry.get("pm2_env") or {}
        app = apps.setdefault(entry["name"], App(env.get("status", "unknown"), 0, 0.0))
        if env.get("status") != "online":  # an instance that is down speaks for the app
            app.status = env.get("status", "unknown")
        app.restarts += int(env.get("restart_time", 0))
        app.started = max(app.started, int(env.get("pm_uptime") or 0) / 1000)
        app.memory.append(int((entry.get("monit") or {}).get("memory") or 0))
    return Daemon(pid, float(uptime[0]) if uptime else 0.0, apps)
