"""Every response of a load run, counted per stage, journey and request name; merged across Locust workers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from opsverify.load.histogram import Histogram

MAX_ERROR_KINDS = 20  # distinct error messages kept (the rest are counted under "other")


@dataclass
class Cell:
    """The responses of one (stage, journey, request name): their latency histogram and how many failed."""

    histogram: Histogram = field(default_factory=Histogram)
    errors: int = 0

    @property
    def requests(self) -> int:
        """How many requests completed (failed ones included)."""
        return self.histogram.total

    def merge(self, other: Cell) -> Cell:
        """Add another cell into this one; returns self."""
        self.histogram.merge(other.histogram)
        self.errors += other.errors
        return self

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {"histogram": self.histogram.to_json(), "errors": self.errors}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Cell:
        """A cell from to_json() data."""
        return cls(Histogram.from_json(data["histogram"]), int(data.get("errors", 0)))


Key = tuple[str, str, str]  # (stage, journey, request name)


class Samples:
    """Cells keyed by (stage, journey, request name), plus the kinds of errors seen."""

    def __init__(self) -> None:
        """No samples yet."""
        self.cells: dict[Key, Cell] = {}
        self.error_kinds: dict[str, int] = {}

    def add(self, key: Key, ms: float, error: str | None = None) -> None:
        """Count one completed request; `error` is its failure message, if it failed."""
        cell = self.cells.get(key)
        if cell is None:
            cell = self.cells[key] = Cell()
        cell.histogram.add(ms)
        if error is not None:
            cell.errors += 1
            self._count_error(f"{key[2]}: {error}", 1)

    def _count_error(self, kind: str, n: int) -> None:
        """Count an error message, folding new kinds into "other" once MAX_ERROR_KINDS are known."""
        if kind not in self.error_kinds and len(self.error_kinds) >= MAX_ERROR_KINDS:
            kind = "other"
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + n

    def merge(self, other: Samples) -> Samples:
        """Add another process's samples into these; returns self."""
        for key, cell in other.cells.items():
            self.cells.setdefault(key, Cell()).merge(cell)
        for kind, n in other.error_kinds.items():
            self._count_error(kind, n)
        return self

    def pick(self, keep: Callable[[Key], bool]) -> Cell:
        """All cells whose key passes `keep`, merged into one new cell."""
        total = Cell()
        for key, cell in self.cells.items():
            if keep(key):
                total.merge(cell)
        return total

    def where(self, stages: Iterable[str] | None = None, journeys: Iterable[str] | None = None,
              name: str | None = None) -> Cell:
        """The merged cell of the given stages and journeys (None: all), optionally one request name."""
        stage_set = None if stages is None else set(stages)
        journey_set = None if journeys is None else set(journeys)
        return self.pick(lambda k: (stage_set is None or k[0] in stage_set)
                         and (journey_set is None or k[1] in journey_set) and (name is None or k[2] == name))

    def names(self) -> list[str]:
        """The request names seen, sorted."""
        return sorted({key[2] for key in self.cells})

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {"cells": [{"stage": s, "journey": j, "name": n, **c.to_json()}
                          for (s, j, n), c in sorted(self.cells.items())],
                "error_kinds": dict(self.error_kinds)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Samples:
        """Samples from to_json() data."""
        made = cls()
        for row in data.get("cells", []):
            made.cells[(row["stage"], row["journey"], row["name"])] = Cell.from_json(row)
        made.error_kinds = {str(k): int(v) for k, v in data.get("error_kinds", {}).items()}
        return made
