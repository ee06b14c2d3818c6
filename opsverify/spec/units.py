"""Durations, sizes and ratios as numbers that remember how the user wrote them."""

from __future__ import annotations

import math
import re

MAX_SECONDS = 100 * 365 * 86400.0  # a century: anything longer is a typo, and overflows dates and timers
_DURATION = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = {
    "": 1, "b": 1,
    "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
    "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12,
}
_NUMBER = r"(\d+(?:\.\d+)?|\.\d+)"


class Duration(float):
    """Seconds, printed back in the unit the user wrote (`26h`)."""

    text: str

    def __new__(cls, seconds: float, text: str | None = None) -> Duration:
        self = super().__new__(cls, seconds)
        self.text = text or format_seconds(seconds)
        return self

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


class Size(int):
    """Bytes, printed back as the user wrote them (`10MB`)."""

    text: str

    def __new__(cls, size: int, text: str | None = None) -> Size:
        self = super().__new__(cls, size)
        self.text = text or format_bytes(size)
        return self

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


class Ratio(float):
    """A share between 0 and 1, printed as a percentage (`85%`)."""

    def __str__(self) -> str:
        return format_percent(self)

    __repr__ = __str__


def parse_duration(value: object) -> Duration:
    """`250ms`, `2s`, `5m`, `26h`, `7d`, `13w`, or a plain number of seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if math.isnan(value):
            raise ValueError(f"{value!r} is not a duration (write it like 250ms, 2s, 5m, 26h, 7d or 13w)")
        if value < 0:
            raise ValueError(f"{value!r} is negative; a duration is 0 or more")
        seconds, text = float(value), f"{value}s"
    else:
        m = re.fullmatch(_NUMBER + r"\s*(ms|s|m|h|d|w)", str(value).strip())
        if not m:
            raise ValueError(f"{value!r} is not a duration (write it like 250ms, 2s, 5m, 26h, 7d or 13w)")
        seconds, text = float(m.group(1)) * _DURATION[m.group(2)], str(value).strip()
    if seconds > MAX_SECONDS:
        raise ValueError(f"{value!r} is longer than 100 years, the longest duration")
    return Duration(seconds, text)


def parse_size(value: object) -> Size:
    """`10MB`, `1.5GiB`, `512KiB` (SI and IEC), or a plain number of bytes."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{value!r} is negative; a size is 0 or more")
        return Size(value, f"{value}B")
    m = re.fullmatch(_NUMBER + r"\s*([kmgt]i?b|[kmgt]|b)?", str(value).strip(), re.IGNORECASE)
    if not m:
        raise ValueError(f"{value!r} is not a size (write it like 500KB, 10MB, 1.5GiB)")
    return Size(int(float(m.group(1)) * _SIZE[(m.group(2) or "").lower()]), str(value).strip())


def parse_ratio(value: object) -> Ratio:
    """`85%` or `0.85`."""
    text = str(value).strip()
    try:
        number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a ratio (write it like 85% or 0.85)") from None
    if not 0 <= number <= 1 and not text.endswith("%"):
        raise ValueError(f"{value!r} is not a ratio between 0 and 1 (for a percentage write 85%)")
    if number < 0:
        raise ValueError(f"{value!r} is negative; a ratio is between 0% and 100%")
    return Ratio(number)


def format_seconds(seconds: float) -> str:
    """A duration in the largest unit that keeps it readable: 850ms, 3.2s, 49h, 12d."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 120:
        return f"{seconds:.3g}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    if seconds < 4 * 86400:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 86400:.0f}d"


def format_bytes(size: float) -> str:
    """A size in IEC units: 512B, 3.4MiB, 1.2GiB."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{size:.0f}{unit}" if unit == "B" else f"{size:.1f}{unit}"
        size /= 1024
    raise AssertionError("unreachable")


def format_percent(ratio: float) -> str:
    """A ratio as a percentage with as many decimals as it needs: 85%, 0.1%."""
    return f"{ratio * 100:.4g}%"
