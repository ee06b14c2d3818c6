"""Queue workers: at least `workers.min` processes on the app's host whose command line matches `workers.match`."""

from __future__ import annotations

import re

from opsverify.checks import probe
from opsverify.checks.apps import host_of
from opsverify.checks.host.processes import process_table
from opsverify.context import RunContext
from opsverify.result import Result, failed, passed, skipped
from opsverify.spec.models.apps import App

OWN = "-o pid= -o comm= -o args="  # the ps command that lists the processes (and its wrappers) is not a worker
SHOWN = 120  # characters of each matching command line kept as evidence


@probe
def running(app: App, *, context: RunContext | None = None) -> Result:
    """Count the host's processes whose full command line matches the worker pattern, against workers.min."""
    if app.workers is None:
        return skipped(f"no workers listed for {app.name}")
    host = host_of(app, context)
    pattern, wanted = app.worker_pattern, app.workers.min
    found = [(pid, args) for pid, _, args in process_table(host) if OWN not in args and re.search(pattern, args)]
    evidence = {"host": host.name, "pattern": pattern, "min": wanted,
                "workers": {pid: args[:SHOWN] for pid, args in found}}
    said = f"{len(found)} of {wanted} queue workers running on {host.name} ({pattern})"
    if len(found) < wanted:
        return failed(said, value=len(found), limit=f"min {wanted}", evidence=evidence)
    return passed(f"{len(found)} queue workers running on {host.name}; at least {wanted} needed ({pattern})",
                  value=len(found), limit=f"min {wanted}", evidence=evidence)
