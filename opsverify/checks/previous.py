"""What a check recorded in the newest earlier archived run of the same test (for differences over time)."""

from __future__ import annotations

import datetime as dt

from opsverify.archive.history import PastCheck, past_checks
from opsverify.context import RunContext

LOOK_BACK = 20  # earlier runs searched for one that recorded the evidence


def previous(context: RunContext | None, key: str) -> PastCheck | None:
    """The newest earlier run of this test in this environment whose evidence holds `key`."""
    if context is None or not context.nodeid:
        return None
    for past in past_checks(context.reports, context.environment.environment, context.nodeid,
                            before=context.started_iso(), limit=LOOK_BACK):
        if key in (past.entry.get("evidence") or {}):
            return past
    return None


def seconds_since(context: RunContext, past: PastCheck) -> float:
    """Seconds from the earlier run's start to this run's start."""
    then = dt.datetime.fromisoformat(past.started.replace("Z", "+00:00"))
    return (context.started - then).total_seconds()
