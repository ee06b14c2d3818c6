"""Logs on a host: lines matching a pattern in a time window, and the same message repeated too often."""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future
from dataclasses import replace
from typing import cast

from opsverify.checks import combine, probe
from opsverify.checks.host import OnHost
from opsverify.checks.logs.files import files_on
from opsverify.checks.logs.scan import Scan, Tally, normalise
from opsverify.result import Result, failed, grade, passed, skipped, warning
from opsverify.spec.models.hosts import HostLog
from opsverify.spec.secret import scrub, shorten
from opsverify.spec.units import format_bytes

TOP = 3  # most frequent messages kept as evidence
SHOWN = 100  # characters of a message in a reason
_RUNNING: dict[object, Future[Tally]] = {}  # scans under way, by host target and log item
_LOCK = threading.Lock()


def sets(log: HostLog, limit: str) -> bool:
    """Whether the log sets a limit or its warn_ twin."""
    return getattr(log, limit) is not None or getattr(log, "warn_" + limit) is not None


def scan(entry: OnHost) -> Tally:
    """The tally of every measure the log asks for; checks of one log asking at the same time share one pass."""
    key = (entry.host.target, entry.item)
    with _LOCK:
        running = _RUNNING.get(key)
        mine = running is None
        if mine:
            running = _RUNNING[key] = Future()
    if not mine:
        return running.result()
    try:
        running.set_result(_scan(entry))
    except BaseException as exc:  # noqa: BLE001 - every check waiting for this scan gets the same error
        running.set_exception(exc)
    finally:
        with _LOCK:
            del _RUNNING[key]
    return running.result()


def _scan(entry: OnHost) -> Tally:
    """Scan a host's log for its pattern over its window, and its volume's (the host's clock and time zone)."""
    source = files_on(entry.host)
    log = cast(HostLog, entry.item)
    client = log.client if sets(log, "max_client_share") else None
    volume = (float(log.volume.window), float(log.volume.usual)) if log.volume is not None else None
    return Scan(source, log.pattern, float(log.window), source.clock(), ratio=sets(log, "max_ratio"), of=log.of,
                client=client, volume=volume).run(log.path)


@probe
def matches(entry: OnHost) -> Result:
    """How many lines match `pattern` in the last `window`, against max/warn_max and min/warn_min."""
    log = cast(HostLog, entry.item)
    if all(v is None for v in (log.max, log.warn_max, log.min, log.warn_min)):
        return skipped("no max or min set for matching lines")
    tally = scan(entry)
    results = []
    if log.max is not None or log.warn_max is not None:
        what = f'count of lines matching "{log.pattern}" in the last {log.window} of {where(log, tally)}'
        results.append(grade(what, tally.count, log.max, log.warn_max, show=lambda v: f"{v:g}", unit="lines",
                             evidence=evidence(tally)))
    if log.min is not None or log.warn_min is not None:
        results.append(_at_least(log, tally))
    result = combine(results)
    return replace(result, reason=result.reason + silent(log, tally)) if tally.count == 0 else result


def silent(log: HostLog, tally: Tally) -> str:
    """"; nothing at all was written to it in the last 24h (last written …)" when the window has no line at all."""
    if tally.last_written is None or tally.clock is None or tally.last_written >= tally.clock.now - log.window:
        return ""
    last = tally.clock.wall(tally.last_written, "%Y-%m-%d %H:%M")
    return f"; nothing at all was written to {log.path} in the last {log.window} (last written {last})"


def _at_least(log: HostLog, tally: Tally) -> Result:
    """The matching lines against min/warn_min: too few fails (or warns)."""
    said = f'{tally.count} lines matching "{log.pattern}" in {where(log, tally)} in the last {log.window}'
    least = log.min if log.min is not None else log.warn_min
    kw = dict(value=tally.count, unit="lines", limit=str(least), evidence=evidence(tally))
    if log.min is not None and tally.count < log.min:
        return failed(f"{said}; at least {log.min} expected", **kw)
    if log.warn_min is not None and tally.count < log.warn_min:
        return warning(f"{said}; warning level at least {log.warn_min}", **kw)
    return passed(f"{said}; at least {least} expected", **kw)


@probe
def repeats(entry: OnHost) -> Result:
    """The most repeated matching message (numbers and ids normalised) against max_repeats."""
    log = cast(HostLog, entry.item)
    if log.max_repeats is None and log.warn_max_repeats is None:
        return skipped("no max_repeats set")
    tally = scan(entry)
    if not tally.messages:
        limit = log.max_repeats if log.max_repeats is not None else log.warn_max_repeats
        return passed(f'no line matches "{log.pattern}" in the last {log.window} of {where(log, tally)} '
                      f"(repeats limit {limit})", value=0, unit="lines", evidence=evidence(tally))
    message, count = tally.messages.most_common(1)[0]
    shown = shown_message(tally, message)
    result = grade(f"most repeated matching message in the last {log.window} of {where(log, tally)}",
                   count, log.max_repeats, log.warn_max_repeats, show=lambda v: f"{v:g}x", unit="lines",
                   evidence={**evidence(tally), "message": shown})
    return replace(result, reason=f'{result.reason}: "{shorten(shown, SHOWN)}"')


def shown_message(tally: Tally, message: str) -> str:
    """A normalised message as shown: from its first line scrubbed of secrets, then normalised (and cut)."""
    return normalise(scrub(tally.samples[message]))


def where(log: HostLog, tally: Tally) -> str:
    """The log's name with the rotated files that were read too."""
    rotated = [os.path.basename(f) for f in tally.files if f != log.path]
    return log.path + (f" (and {', '.join(rotated)})" if rotated else "")


def evidence(tally: Tally) -> dict[str, object]:
    """What was read and the most frequent matching messages."""
    return {"files": tally.files, "read": format_bytes(tally.bytes_read), "format": tally.format,
            "top_messages": [{"message": shown_message(tally, m), "count": c} for m, c in tally.messages.most_common(TOP)]}

