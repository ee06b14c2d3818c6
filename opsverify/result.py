"""The outcome of one check: status, measured value, limit, reason and evidence."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any, Callable


class Status(str, enum.Enum):
    """What a check found; `error` means it could not look, and is never a pass."""

    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Result:
    """One check's verdict with the number it measured and the limit it compared against."""

    status: Status
    reason: str
    value: Any = None
    unit: str = ""
    limit: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the run should not fail because of this result."""
        return self.status in (Status.PASSED, Status.WARNING, Status.SKIPPED)

    def with_evidence(self, **evidence: Any) -> Result:
        """A copy with more evidence added."""
        return replace(self, evidence={**self.evidence, **evidence})


def passed(reason: str, **kw: Any) -> Result:
    """A check that found what it expected."""
    return Result(Status.PASSED, reason, **kw)


def failed(reason: str, **kw: Any) -> Result:
    """A check that found the target outside its limit."""
    return Result(Status.FAILED, reason, **kw)


def warning(reason: str, **kw: Any) -> Result:
    """A check within its limit but past its warning level."""
    return Result(Status.WARNING, reason, **kw)


def error(reason: str, **kw: Any) -> Result:
    """A check that could not be made: refused, timed out, denied."""
    return Result(Status.ERROR, reason, **kw)


def skipped(reason: str, **kw: Any) -> Result:
    """A check that does not apply here, with the reason why."""
    return Result(Status.SKIPPED, reason, **kw)


def worst(results: list[Result]) -> Result:
    """The most serious of several results (error > failed > warning > passed > skipped)."""
    order = [Status.ERROR, Status.FAILED, Status.WARNING, Status.PASSED, Status.SKIPPED]
    return min(results, key=lambda r: order.index(r.status))


def grade(
    what: str,
    value: float,
    limit: float | None,
    warn: float | None = None,
    *,
    show: Callable[[float], str] = str,
    unit: str = "",
    higher_is_worse: bool = True,
    evidence: dict[str, Any] | None = None,
    said: str | None = None,
) -> Result:
    """Compare a measured value with a limit and an optional warning level.

    `what` names the measure ("p95 latency"); `show` prints a value in the user's unit. `said`
    replaces "{what} is {value}" where a sentence reads better ("14 errors in the Error Log in the last 24h").
    """
    bad = (lambda v, lim: v > lim) if higher_is_worse else (lambda v, lim: v < lim)
    word = "limit" if limit is not None else "warning level"
    kw = dict(value=value, unit=unit, evidence=evidence or {})
    measured = said if said is not None else f"{what} is {show(value)}"
    if limit is not None:
        kw["limit"] = show(limit)
        if bad(value, limit):
            return failed(f"{measured}; limit {show(limit)}", **kw)
    if warn is not None and bad(value, warn):
        return warning(f"{measured}; warning level {show(warn)}", **kw)
    ref = limit if limit is not None else warn
    shown = f"; {word} {show(ref)}" if ref is not None else ""
    return passed(f"{measured}{shown}", **kw)
