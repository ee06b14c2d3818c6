"""Response times in a log-scale histogram (at most 0.5% relative error), mergeable, with nearest-rank percentiles.

Locust rounds a response time before it counts it (100-999 ms to 10 ms, 1-10 s to 100 ms), so its
p99 of a true 960 ms reads 1,000 ms. Here bucket i holds [FLOOR * GROWTH**i, FLOOR * GROWTH**(i+1))
and stands for its geometric middle, so any percentile read back is within sqrt(GROWTH) - 1 < 0.5%
of the true sample at that rank. Histograms of different processes merge by adding counts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

GROWTH = 1.01  # ratio between bucket edges
FLOOR_MS = 0.001  # everything below 1 µs shares bucket 0
_PER_LOG = 1 / math.log(GROWTH)
_LOG_FLOOR = math.log(FLOOR_MS)


def rank(count: int, percent: float) -> int:
    """The 1-based nearest rank of `percent` among `count` sorted values: ceil(p/100 * n), at least 1."""
    return max(1, math.ceil(percent / 100 * count - 1e-9))


def nearest_rank(ranked: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile of values sorted ascending (the daily SLA samples use the same rule)."""
    return ranked[rank(len(ranked), percent) - 1]


def bucket_of(ms: float) -> int:
    """The bucket index of a response time in milliseconds."""
    return 0 if ms <= FLOOR_MS else int((math.log(ms) - _LOG_FLOOR) * _PER_LOG)


def middle_of(index: int) -> float:
    """The value a bucket stands for: the geometric middle of its edges, in milliseconds."""
    return FLOOR_MS * GROWTH ** (index + 0.5)


class Histogram:
    """Counts of response times (ms) per log bucket, with the exact count, sum, min and max."""

    __slots__ = ("counts", "total", "sum_ms", "min_ms", "max_ms")

    def __init__(self) -> None:
        """An empty histogram."""
        self.counts: dict[int, int] = {}
        self.total = 0
        self.sum_ms = 0.0
        self.min_ms = math.inf
        self.max_ms = 0.0

    def add(self, ms: float) -> None:
        """Count one response time (milliseconds); this runs for every request, so it is kept lean."""
        index = 0 if ms <= FLOOR_MS else int((math.log(ms) - _LOG_FLOOR) * _PER_LOG)
        counts = self.counts
        counts[index] = counts.get(index, 0) + 1
        self.total += 1
        self.sum_ms += ms
        if ms < self.min_ms:
            self.min_ms = ms
        if ms > self.max_ms:
            self.max_ms = ms

    def merge(self, other: Histogram) -> Histogram:
        """Add another histogram's counts to this one; returns self."""
        for index, n in other.counts.items():
            self.counts[index] = self.counts.get(index, 0) + n
        self.total += other.total
        self.sum_ms += other.sum_ms
        self.min_ms = min(self.min_ms, other.min_ms)
        self.max_ms = max(self.max_ms, other.max_ms)
        return self

    def percentile(self, percent: float) -> float | None:
        """The nearest-rank percentile in milliseconds (None when empty), clamped to the exact min and max."""
        if not self.total:
            return None
        wanted, seen = rank(self.total, percent), 0
        for index in sorted(self.counts):
            seen += self.counts[index]
            if seen >= wanted:
                return min(max(middle_of(index), self.min_ms), self.max_ms)
        return self.max_ms

    @property
    def mean_ms(self) -> float | None:
        """The exact mean in milliseconds (None when empty)."""
        return self.sum_ms / self.total if self.total else None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (bucket indexes as keys)."""
        return {"counts": {str(i): n for i, n in sorted(self.counts.items())}, "total": self.total,
                "sum_ms": self.sum_ms, "min_ms": self.min_ms if self.total else None, "max_ms": self.max_ms}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Histogram:
        """A histogram from to_json() data."""
        made = cls()
        made.counts = {int(i): int(n) for i, n in data.get("counts", {}).items()}
        made.total = int(data.get("total", sum(made.counts.values())))
        made.sum_ms = float(data.get("sum_ms", 0.0))
        made.min_ms = math.inf if data.get("min_ms") is None else float(data["min_ms"])
        made.max_ms = float(data.get("max_ms", 0.0))
        return made

    @classmethod
    def of(cls, values_ms: Iterable[float]) -> Histogram:
        """A histogram of the given response times."""
        made = cls()
        for ms in values_ms:
            made.add(ms)
        return made
