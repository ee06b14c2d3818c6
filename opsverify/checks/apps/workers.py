"""Queue workers: at least `workers.min` processes on the app's host whose command line matches `workers.match`,
and, with `workers.release`, each started after the deployed release (else it still runs the previous code)."""

from __future__ import annotations

import re

from opsverify.checks import combine, plural, probe
from opsverify.checks.apps import host_of
from opsverify.checks.host import modified_at, output, utc
from opsverify.checks.host.processes import process_table
from opsverify.context import RunContext
from opsverify.result import Result, failed, passed, skipped
from opsverify.spec.models.apps import App
from opsverify.spec.models.hosts import Host

OWN = "-o pid= -o comm= -o args="  # the ps command that lists the processes (and its wrappers) is not a worker
SHOWN = 120  # characters of each matching command line kept as evidence
NAMED = 5  # stale workers named in a reason
RESTART = {"laravel": "php artisan queue:restart", "frappe": "bench restart"}
SLACK = 0.05  # seconds: a start read from /proc (10ms ticks, uptime read just before the clock) may look this early


@probe
def running(app: App, *, context: RunContext | None = None) -> Result:
    """Count the host's processes whose full command line matches the worker pattern, against workers.min; with
    workers.release, every one must have started after the release."""
    if app.workers is None:
        return skipped(f"no workers listed for {app.name}")
    host = host_of(app, context)
    pattern, wanted = app.worker_pattern, app.workers.min
    found = [(pid, args) for pid, _, args in process_table(host) if OWN not in args and re.search(pattern, args)]
    evidence = {"host": host.name, "pattern": pattern, "min": wanted,
                "workers": {pid: args[:SHOWN] for pid, args in found}}
    said = f"{len(found)} of {wanted} queue workers running on {host.name} ({pattern})"
    if len(found) < wanted:
        counted = failed(said, value=len(found), limit=f"min {wanted}", evidence=evidence)
    else:
        counted = passed(f"{len(found)} queue workers running on {host.name}; at least {wanted} needed ({pattern})",
                         value=len(found), limit=f"min {wanted}", evidence=evidence)
    if app.workers.release is None or not found:
        return counted
    return combine([counted, _after_release(app, host, [pid for pid, _ in found])])


def _after_release(app: App, host: Host, pids: list[int]) -> Result:
    """Every worker started after the release's modification time (a symlink's own: when it was switched)."""
    release = app.workers.release or ""
    released = modified_at(host, release)
    started = _started(host, pids)
    stale = sorted((at, pid) for pid, at in started.items() if at < released - SLACK)
    when = f"the release of {utc(released)} ({release})"
    evidence = {"release": release, "released": utc(released),
                "started": {pid: utc(at) for pid, at in sorted(started.items())}}
    if stale:
        named = ", ".join(f"pid {pid} started {utc(at)}" for at, pid in stale[:NAMED])
        more = f", and {len(stale) - NAMED} more" if len(stale) > NAMED else ""
        hint = f": restart them ({RESTART[app.framework]})" if app.framework in RESTART else ": restart them"
        return failed(f"{plural(len(stale), 'queue worker')} on {host.name} started before {when}, so still "
                      f"running the previous code: {named}{more}{hint}", value=len(stale), limit="0",
                      evidence=evidence)
    every = "all " if len(started) > 1 else ""
    return passed(f"{every}{plural(len(started), 'queue worker')} started after {when}", value=0, limit="0",
                  evidence=evidence)


def _started(host: Host, pids: list[int]) -> dict[int, float]:
    """When each process started, on the host's clock to the hundredth of a second (from /proc: its start in clock
    ticks after boot, the uptime now, and now)."""
    stats = " ".join(f"/proc/{pid}/stat" for pid in pids)
    uptime, now, ticks, *lines = output(host, "sh -c %s", f"cut -d' ' -f1 /proc/uptime; date +%s.%N; getconf CLK_TCK; "
                                                          f"cat {stats} 2>/dev/null; true").splitlines()
    started = {}
    for line in lines:  # pid (comm) state ppid …: the 22nd field is the start; comm may hold spaces
        after = line[line.rindex(")") + 2:].split()
        started[int(line.split()[0])] = float(now) - (float(uptime) - int(after[19]) / int(ticks))
    return started
