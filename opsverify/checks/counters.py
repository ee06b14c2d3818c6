"""Counters that only grow while a server runs: their change since the previous archived run of the same check.

A counter since start-up is never the verdict on its own: months of healthy history would hide a collapse
today. `since_previous` gives the change since the newest earlier run that recorded the same counters. After
a restart (another run id, else an uptime shorter than the time since that run) or a reset (a counter that
went down) it gives the counters as they are, which cover only the time since then. With no earlier run it
gives the counters since start-up, marked as a first reading, so the check says so and never passes on
them silently.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from opsverify.checks.previous import previous, seconds_since
from opsverify.context import RunContext
from opsverify.result import Result, Status
from opsverify.spec.units import format_seconds


@dataclass(frozen=True)
class Span:
    """How much each counter grew over a period, and that period in words for a reason."""

    grown: dict[str, int]
    seconds: float
    said: str  # "since the run of 2026-12-06 09:00Z, 24h ago", "since the server restarted 3h ago, after …", …
    first: bool  # the counters since start-up, with no earlier run to compare with
    since: str | None = None  # the earlier run's folder, for evidence


def since_previous(context: RunContext | None, now: dict[str, int], uptime: float,
                   run_id: str | None = None) -> Span:
    """The counters' change since the previous archived run that recorded them (see the module's docstring)."""
    names = list(now)
    past = previous(context, names[0])
    then = past.entry.get("evidence", {}) if past else {}
    elapsed = seconds_since(context, past) if past and context else 0.0
    if past and all(isinstance(then.get(n), int) for n in names):
        went_down = [n for n in names if now[n] < then[n]]
        known = run_id is not None and then.get("run_id") is not None  # Redis: a new run id at each start
        restarted = then["run_id"] != run_id if known else uptime < elapsed
        if not went_down and not restarted:
            when = past.started[:16].replace("T", " ") + "Z"
            return Span({n: now[n] - then[n] for n in names}, max(elapsed, 1.0),
                        f"since the run of {when}, {format_seconds(elapsed)} ago", False, past.run)
        seconds = max(min(uptime, elapsed), 1.0)  # a reset of the statistics left the uptime as it was
        said = f"since the server restarted {format_seconds(seconds)} ago, after the previous run" if restarted \
            else f"since its statistics were reset ({went_down[0]} went down) after the previous run, " \
                 f"{format_seconds(seconds)} ago"
        return Span(dict(now), seconds, said, False, past.run)
    return Span(dict(now), max(uptime, 1.0), f"since the server started {format_seconds(max(uptime, 1.0))} ago; a first "
                "reading: no earlier archived run of this check to compare with", True)


def first_reading(result: Result, span: Span) -> Result:
    """A first reading that passes on counters since start-up is a warning saying so, never a silent pass."""
    if span.first and result.status is Status.PASSED:
        return replace(result, status=Status.WARNING,
                       reason=f"{result.reason}; the change since this run is judged from the next run on")
    return result
