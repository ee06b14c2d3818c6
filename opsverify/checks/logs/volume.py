"""A log's volume: matching lines in the last window against their mean per window over the usual period before."""

from __future__ import annotations

from typing import cast

from opsverify.checks import probe
from opsverify.checks.host import OnHost
from opsverify.checks.logs import evidence, scan, where
from opsverify.checks.logs.scan import Tally
from opsverify.checks.logs.stamps import Clock
from opsverify.result import Result, error, failed, passed, skipped, warning
from opsverify.spec.models.hosts import HostLog, LogVolume
from opsverify.spec.units import format_seconds

PER = {60.0: "minute", 3600.0: "hour", 86400.0: "day", 604800.0: "week"}  # "410 per hour" reads better than per 1h
DAY_AND_TIME = "%Y-%m-%d %H:%M"


@probe
def change(entry: OnHost) -> Result:
    """The last window's matching lines against their usual mean per window: max_rise, max_drop and warn_ twins."""
    log = cast(HostLog, entry.item)
    if log.volume is None:
        return skipped("no volume set")
    volume, tally = log.volume, scan(entry)
    clock = cast(Clock, tally.clock)
    start = clock.now - volume.window - volume.usual
    seen = _evidence(volume, tally, clock)
    if tally.oldest is None or tally.oldest > start:
        return error(f"{where(log, tally)} {_reach(tally, clock)}: the usual level needs the {volume.usual} before "
                     f"the last {volume.window}, back to {clock.wall(start, DAY_AND_TIME)} "
                     "(too young, or rotated away)", evidence=seen)
    mean = tally.usual / (volume.usual / volume.window)
    per = PER.get(float(volume.window), str(volume.window))
    said = (f'last {volume.window} to {clock.wall(clock.now)} of {where(log, tally)}: {tally.recent:,} lines matching '
            f'"{log.pattern}"; usual {_number(mean)} per {per} over the {volume.usual} before')
    if not mean and not tally.recent:
        return passed(f"{said}: nothing to compare ({_limits(volume)})", unit="ratio", evidence=seen)
    rise = tally.recent / mean - 1 if mean else float("inf")
    said += f" ({_number(tally.recent / mean)}x, {round(rise * 100):+d}%)" if mean else " (none before)"
    kw = dict(value=rise if mean else None, unit="ratio", evidence=seen)  # no finite change from nothing
    for make, word, up, down in ((failed, "limit", volume.max_rise, volume.max_drop),
                                 (warning, "warning level", volume.warn_max_rise, volume.warn_max_drop)):
        if up is not None and rise > up:
            return make(f"{said}; {word} +{up}", limit=f"+{up}", **kw)
        if down is not None and -rise > down:
            return make(f"{said}; {word} -{down}", limit=f"-{down}", **kw)
    return passed(f"{said}; {_limits(volume)}", **kw)


def _reach(tally: Tally, clock: Clock) -> str:
    """How far back the log goes, as the reason says it."""
    if tally.oldest is None:
        return "has no dated line"
    return (f"reaches back only to {clock.wall(tally.oldest, DAY_AND_TIME)} "
            f"({format_seconds(clock.now - tally.oldest)} ago)")


def _limits(volume: LogVolume) -> str:
    """The limits set, as a passing reason names them: `limit +300%, -75%; warning level +100%`."""
    hard = [f"{sign}{v}" for sign, v in (("+", volume.max_rise), ("-", volume.max_drop)) if v is not None]
    warn = [f"{sign}{v}" for sign, v in (("+", volume.warn_max_rise), ("-", volume.warn_max_drop)) if v is not None]
    return "; ".join(f"{word} {', '.join(levels)}" for word, levels in (("limit", hard), ("warning level", warn))
                     if levels)


def _number(value: float) -> str:
    """A count or a mean: 3 significant digits under 100, whole numbers with thousands separators above."""
    return f"{value:.3g}" if value < 100 else f"{value:,.0f}"


def _evidence(volume: LogVolume, tally: Tally, clock: Clock) -> dict[str, object]:
    """What was read, both periods with their counts, and how far back the log goes."""
    recent = clock.now - volume.window
    return {**evidence(tally),
            "window": {"from": clock.wall(recent, DAY_AND_TIME), "to": clock.wall(clock.now, DAY_AND_TIME),
                       "lines": tally.recent},
            "usual": {"from": clock.wall(recent - volume.usual, DAY_AND_TIME), "lines": tally.usual,
                      "windows": volume.usual / volume.window},
            "reaches_back_to": None if tally.oldest is None else clock.wall(tally.oldest, DAY_AND_TIME)}
