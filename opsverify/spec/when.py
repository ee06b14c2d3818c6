"""Calendar expressions of the schedule section, parsed into When values that print as the user wrote them."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from opsverify.spec.errors import suggest

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}

_TIME = r"(?P<h>\d{1,2}):(?P<m>\d\d)"
_DAY = r"(?P<day>[a-z]+)"
_ORD = r"(?P<ord>first|second|third|fourth|last)"
FORMS = {  # kind -> (pattern, example)
    "daily": (_TIME, "09:00"),
    "weekly": (rf"{_DAY}\s+{_TIME}", "monday 08:00"),
    "monthly": (rf"{_ORD}\s+{_DAY}\s+{_TIME}", "first monday 07:00"),
    "quarterly": (rf"{_ORD}\s+{_DAY}\s+of\s+(?P<months>[a-z]+(?:\s*,\s*[a-z]+)*)\s+{_TIME}",
                  "first monday of jan,apr,jul,oct 06:00"),
    "maintenance_window": (rf"{_DAY}\s+{_TIME}\s*-\s*(?P<h2>\d{{1,2}}):(?P<m2>\d\d)", "sunday 02:00-04:00"),
}


@dataclass(frozen=True)
class When:
    """A time of day, optionally on a weekday (the nth of the month, in some months), or a window."""

    text: str
    at: datetime.time
    weekday: int | None = None  # 0 is Monday
    ordinal: int | None = None  # 1 to 4, or -1 for the last such weekday of the month
    months: tuple[int, ...] = ()  # 1 to 12; empty: every month
    until: datetime.time | None = None  # the end of a window (before `at`: it crosses midnight)

    def __str__(self) -> str:
        return self.text


def parse_when(kind: str, value: Any) -> When:
    """Parse one schedule key (`daily`, `weekly`, `monthly`, `quarterly`, `maintenance_window`)."""
    if isinstance(value, When):
        return value
    pattern, example = FORMS[kind]
    text = str(value).strip()
    match = re.fullmatch(pattern, text.lower())
    if not isinstance(value, str) or not match:
        raise ValueError(f"{text!r} is not a {kind.replace('_', ' ')} time; write it like {example!r}")
    fields = match.groupdict()
    at = _time(fields["h"], fields["m"], text)
    until = _time(fields["h2"], fields["m2"], text) if fields.get("h2") else None
    if until == at:
        raise ValueError(f"{text!r} is an empty window; write it like {example!r}")
    return When(
        text=text,
        at=at,
        weekday=_weekday(fields["day"]) if fields.get("day") else None,
        ordinal=ORDINALS[fields["ord"]] if fields.get("ord") else None,
        months=tuple(_month(m.strip()) for m in fields["months"].split(",")) if fields.get("months") else (),
        until=until,
    )


def _time(hours: str, minutes: str, text: str) -> datetime.time:
    """A time of day from its digits."""
    if int(hours) > 23 or int(minutes) > 59:
        raise ValueError(f"{text!r} has an impossible time {hours}:{minutes}")
    return datetime.time(int(hours), int(minutes))


def _weekday(word: str) -> int:
    """0 for monday (or mon) to 6 for sunday."""
    for index, day in enumerate(WEEKDAYS):
        if word in (day, day[:3]):
            return index
    raise ValueError(f"{word!r} is not a day of the week{suggest(word, WEEKDAYS)}")


def _month(word: str) -> int:
    """1 for jan (or january) to 12 for dec."""
    for index, month in enumerate(MONTHS, start=1):
        if word[:3] == month and len(word) >= 3:
            return index
    raise ValueError(f"{word!r} is not a month (write jan, feb, ... dec){suggest(word, MONTHS)}")
