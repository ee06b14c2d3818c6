"""The SLA gate on exact figures: p95, p99, error rate and throughput, per journey override, per stage.

The same functions run inside Locust (the stress shape stops at the first step that breaks, an
optional early abort) and in the suite (the verdict), so both always agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from opsverify.checks import show_seconds
from opsverify.load.plan import Limits, Plan
from opsverify.load.samples import Cell, Samples
from opsverify.result import Result, error, grade
from opsverify.spec.units import format_percent

PAIRS = (("p95", "warn_p95"), ("p99", "warn_p99"), ("max_error_rate", "warn_max_error_rate"),
         ("min_rps", "warn_min_rps"))
ABORT_FACTOR = 2.0  # early abort: a limit is clearly broken at twice the limit (half the minimum throughput)
ABORT_MIN_REQUESTS = 50


@dataclass(frozen=True)
class Figures:
    """What a set of responses measured: counts, exact percentiles (seconds) and throughput."""

    requests: int
    errors: int
    seconds: float  # the time the requests were spread over
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None

    @property
    def error_rate(self) -> float:
        """Failed requests over all requests (0 when there were none)."""
        return self.errors / self.requests if self.requests else 0.0

    @property
    def rps(self) -> float:
        """Completed requests per second."""
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def as_evidence(self) -> dict[str, float | int | None]:
        """Milliseconds and rates for the report."""
        ms = {k: None if v is None else round(v * 1000, 2) for k, v in
              (("p50_ms", self.p50), ("p95_ms", self.p95), ("p99_ms", self.p99), ("max_ms", self.max))}
        return {"requests": self.requests, "errors": self.errors, "error_rate": round(self.error_rate, 6),
                "rps": round(self.rps, 2), **ms}


def figures(cell: Cell, seconds: float) -> Figures:
    """The figures of a merged cell spread over `seconds`."""
    h = cell.histogram

    def sec(ms: float | None) -> float | None:
        """Milliseconds as seconds."""
        return None if ms is None else ms / 1000

    return Figures(cell.requests, cell.errors, seconds, sec(h.percentile(50)), sec(h.percentile(95)),
                   sec(h.percentile(99)), sec(h.max_ms if h.total else None))


def show_rps(value: float) -> str:
    """A throughput: `140 req/s`."""
    return f"{value:,.3g} req/s" if value < 100 else f"{value:,.0f} req/s"


def _grade_pair(key: str, fig: Figures, limit: float | None, warn: float | None, of: str,
                factor: float) -> Result | None:
    """One limit (with its warning level) against the figures; None when neither is set."""
    if limit is None and warn is None:
        return None
    limit = None if limit is None else (limit / factor if key == "min_rps" else limit * factor)
    warn = None if factor != 1.0 else warn
    if limit is None and warn is None:
        return None
    if key in ("p95", "p99"):
        value = getattr(fig, key)
        return grade(f"{key} latency{of}", value, limit, warn, show=show_seconds, unit="s")
    if key == "max_error_rate":
        return grade(f"error rate{of} ({fig.errors:,} of {fig.requests:,} requests)", fig.error_rate,
                     limit, warn, show=format_percent, unit="ratio")
    return grade(f"throughput{of}", fig.rps, limit, warn, show=show_rps, unit="req/s", higher_is_worse=False)


def judge(samples: Samples, plan: Plan, stages: Iterable[str], seconds: float, *, throughput: bool = True,
          factor: float = 1.0, scope: str = "") -> list[Result]:
    """Every limit of the plan over the given stages; a journey's own keys replace the global ones.

    The global limit of a key is checked on the requests of the journeys that do not set that key
    themselves; each journey that sets it is checked on its own requests. `factor` scales every
    limit (the early abort uses 2) and drops the warning levels; `scope` is added to every measure's name.
    """
    stages = list(stages)
    journeys = [j.name for j in plan.journeys]
    results: list[Result] = []
    for key, warn_key in PAIRS:
        if key == "min_rps" and not throughput:
            continue
        own = [j for j in journeys if {key, warn_key} & plan.journey_limits.get(j, Limits()).given().keys()]
        groups: list[tuple[list[str], Limits, str]] = []
        if len(own) < len(journeys):
            groups.append(([j for j in journeys if j not in own], plan.limits, scope))
        groups += [([j], _merged(plan.limits, plan.journey_limits[j]), f" of {j}{scope}") for j in own]
        for members, limits, of in groups:
            fig = figures(samples.where(stages, members), seconds)
            if fig.requests == 0:
                if getattr(limits, key) is not None or getattr(limits, warn_key) is not None:
                    results.append(error(f"no request{of} completed, so {key} could not be measured"))
                continue
            found = _grade_pair(key, fig, getattr(limits, key), getattr(limits, warn_key), of, factor)
            if found is not None:
                results.append(found)
    return results


def _merged(base: Limits, own: Limits) -> Limits:
    """The journey's limits: its own keys, else the global ones."""
    return Limits(**{**base.given(), **own.given()})


def judged_stages(plan: Plan, elapsed: float) -> list[str]:
    """The stages that are not warm-up and had started `elapsed` seconds into the run."""
    return [s.name for s in plan.stages if not s.warmup and s.start < elapsed] or \
        ([plan.stages[0].name] if plan.stages else ["run"])


def clearly_broken(samples: Samples, plan: Plan, elapsed: float) -> str | None:
    """Why the run should stop early (a limit broken twice over, after enough requests), or None."""
    if elapsed < max(5.0, 0.1 * plan.duration):
        return None
    stages = judged_stages(plan, elapsed)
    if samples.where(stages).requests < ABORT_MIN_REQUESTS:
        return None
    broken = [r.reason for r in judge(samples, plan, stages, elapsed, throughput=False, factor=ABORT_FACTOR)
              if r.status.value == "failed"]
    return " | ".join(broken) or None


def step_broken(samples: Samples, plan: Plan, stage: str) -> list[Result]:
    """The limits a stress step broke (latency and errors; throughput depends on the step's users)."""
    length = next(s.length for s in plan.stages if s.name == stage)
    return [r for r in judge(samples, plan, [stage], length, throughput=False) if r.status.value == "failed"]


def increase(before: float | None, after: float | None) -> float | None:
    """The relative increase from before to after (0.1 = 10% more), None when not comparable."""
    if before is None or after is None or before <= 0:
        return None
    return (after - before) / before
