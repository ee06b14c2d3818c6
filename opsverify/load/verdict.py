"""From one Locust run's exact samples to a Result: the SLA per profile, the breaking point, the drift."""

from __future__ import annotations

from typing import Any

from opsverify.checks import combine, show_seconds
from opsverify.load import gate
from opsverify.load.gate import Figures, figures, show_rps
from opsverify.load.plan import Plan
from opsverify.load.profiles import Stage
from opsverify.load.runner import RunOutput
from opsverify.result import Result, Status, error, failed, grade, passed, warning
from opsverify.spec.units import format_percent

TOLERANCE = 1.0  # seconds: a stage that ended this close to the run's end counts as complete
ANSWERED = "BadStatusCode"  # a failure with an HTTP answer (status 400 or more): judged, not "could not check"


def verdict(plan: Plan, out: RunOutput) -> Result:
    """The gate's verdict on a finished run, with the figures and tables as evidence."""
    evidence = describe(plan, out)
    total = out.samples.where()
    if out.cpu_warnings or out.cpu_log_lines:
        where = ", ".join(sorted({str(w.get("node", "?")) for w in out.cpu_warnings})) or "the load generator"
        return error(f"run invalid: the load generator's CPU was overloaded ({where}), so its figures cannot "
                     f"be trusted; spread the users over more workers (workers: N) or machines",
                     evidence=evidence)
    if total.requests == 0:
        return error(f"no request completed in {out.elapsed:.0f} s{_top_error(out)}", evidence=evidence)
    if total.errors == total.requests and not all(ANSWERED in kind for kind in out.samples.error_kinds):
        return error(f"every one of {total.requests:,} requests failed{_top_error(out)}", evidence=evidence)
    if out.stop_reason and "outlasted" in out.stop_reason:
        return error(f"run invalid: {out.stop_reason}", evidence=evidence)
    if plan.profile == "stress":
        result = _stress(plan, out)
    else:
        stages = [s for s in plan.stages if not s.warmup] or list(plan.stages)
        evidence["judged"] = _figures(plan, out, stages).as_evidence()
        result = _judged(plan, out, stages)
        if plan.profile == "spike":
            recovery = [s for s in plan.stages if s.name == "recovery"]
            result = combine([result, *_checked(plan, out, recovery, " after the spike", throughput=False)])
        if plan.profile == "endurance":
            result = combine([result, *drift(plan, out)])
            evidence["drift"] = drift_figures(plan, out)
    if out.stop_reason and out.stop_reason.startswith("aborted"):
        why = result.reason if result.status is Status.FAILED else out.stop_reason.split(": ", 1)[-1]
        result = failed(f"aborted after {out.elapsed:.0f} s of {plan.duration:.0f} s: {why}", value=result.value,
                        unit=result.unit, limit=result.limit, evidence=result.evidence)
    return Result(result.status, result.reason, result.value, result.unit, result.limit,
                  {**evidence, **result.evidence})


def _judged(plan: Plan, out: RunOutput, stages: list[Stage]) -> Result:
    """The SLA over the judged stages as one Result (a pass shows the p95, a failure what failed)."""
    fig = _figures(plan, out, stages)
    results = _checked(plan, out, stages, "")
    if not results:
        return passed(f"{fig.requests:,} requests at {show_rps(fig.rps)}; no SLA limit is set", value=fig.p95, unit="s")
    return combine(results)  # the measured value and limit of the first result of the worst status


def _checked(plan: Plan, out: RunOutput, stages: list[Stage], of: str, *, throughput: bool = True) -> list[Result]:
    """The gate's results over some stages, `of` added to every reason."""
    return gate.judge(out.samples, plan, [s.name for s in stages], _seconds(stages, out.elapsed),
                      throughput=throughput, scope=of)


def _stress(plan: Plan, out: RunOutput) -> Result:
    """Step by step: the first complete step that breaks the SLA is the breaking point."""
    last_good: tuple[Stage, Figures] | None = None
    warned: list[Result] = []
    for stage in plan.stages:
        if stage.end > out.elapsed + TOLERANCE:
            break  # not complete: not judged
        fig = _figures(plan, out, [stage])
        results = gate.judge(out.samples, plan, [stage.name], stage.length, throughput=False)
        broken = [r for r in results if r.status.value in ("failed", "error")]
        if broken:
            good = (f"; last good step: {last_good[0].users} users at {show_rps(last_good[1].rps)}"
                    if last_good else "; no step held")
            return failed(f"breaking point at {stage.name}, {show_rps(fig.rps)}: "
                          + " | ".join(r.reason for r in broken) + good, value=stage.users, unit="users",
                          evidence={"breaking_point": {"stage": stage.name, "users": stage.users,
                                                       "rps": round(fig.rps, 2)}, "capacity_rps": round(
                              last_good[1].rps, 2) if last_good else 0.0})
        warned += [r for r in results if r.status.value == "warning"]
        last_good = (stage, fig)
    if last_good is None:
        return error("no stress step ran to its end", evidence={})
    held = (f"the SLA held at every step up to {last_good[0].users} users "
            f"({show_rps(last_good[1].rps)} at the last step)")
    evidence = {"breaking_point": None, "capacity_rps": round(last_good[1].rps, 2)}
    if warned:
        return warning(f"{held}; but " + " | ".join(r.reason for r in warned), value=last_good[0].users,
                       unit="users", evidence=evidence)
    return passed(held, value=last_good[0].users, unit="users", evidence=evidence)


def drift(plan: Plan, out: RunOutput) -> list[Result]:
    """Endurance: p95 and error rate of the last tenth against the first."""
    limit, warn = plan.max_drift, plan.warn_max_drift
    tenths = [s for s in plan.stages if s.name.startswith("tenth ")]
    if len(tenths) < 2:
        return []
    first, last = (_figures(plan, out, [s]) for s in (tenths[0], tenths[-1]))
    rise = gate.increase(first.p95, last.p95)
    found: list[Result] = []
    if rise is not None and (limit is not None or warn is not None):
        found.append(grade(f"p95 drift from the first to the last tenth ({show_seconds(first.p95 or 0)} to "
                           f"{show_seconds(last.p95 or 0)})", rise, limit, warn, show=format_percent, unit="ratio"))
    if plan.limits.max_error_rate is not None:
        found.append(grade(f"error rate drift from the first to the last tenth ({format_percent(first.error_rate)} "
                           f"to {format_percent(last.error_rate)})", last.error_rate - first.error_rate,
                           plan.limits.max_error_rate, None, show=lambda v: f"{v * 100:+.3g} points", unit="ratio"))
    return found


def drift_figures(plan: Plan, out: RunOutput) -> dict[str, float | None]:
    """The first and the last tenth's p95 and error rate, for the report (judged or not)."""
    tenths = [s for s in plan.stages if s.name.startswith("tenth ")]
    first, last = (_figures(plan, out, [s]).as_evidence() for s in (tenths[0], tenths[-1]))
    rise = gate.increase(first["p95_ms"], last["p95_ms"])
    return {"first_p95_ms": first["p95_ms"], "last_p95_ms": last["p95_ms"],
            "p95_increase": None if rise is None else round(rise, 4),
            "first_error_rate": first["error_rate"], "last_error_rate": last["error_rate"]}


def _seconds(stages: list[Stage], elapsed: float) -> float:
    """How long the stages actually ran (cut at the end of the run)."""
    return sum(max(0.0, min(s.end, elapsed) - s.start) for s in stages)


def _figures(plan: Plan, out: RunOutput, stages: list[Stage]) -> Figures:
    """The figures of some stages over the time they ran."""
    return figures(out.samples.where([s.name for s in stages]), _seconds(stages, out.elapsed))


def _top_error(out: RunOutput) -> str:
    """The most frequent error message, as a suffix for a reason."""
    if not out.samples.error_kinds:
        return ""
    kind, n = max(out.samples.error_kinds.items(), key=lambda item: item[1])
    return f"; most often ({n:,}x) {kind}"


def describe(plan: Plan, out: RunOutput) -> dict[str, Any]:
    """The evidence every verdict carries: stages, journeys, requests beside Locust's own figures."""
    whole = figures(out.samples.where(), out.elapsed)
    locust_total = out.locust.get("Aggregated", {})
    return {
        "profile": plan.profile, "elapsed_s": round(out.elapsed, 1), "planned_s": round(plan.duration, 1),
        "workers": plan.workers, "whole_run": whole.as_evidence(),
        "locust_requests": locust_total.get("requests"), "locust_p95_ms": locust_total.get("p95_ms"),
        "locust_p99_ms": locust_total.get("p99_ms"),
        "worker_reports": {"workers": len(out.workers), "final": sum(out.workers.values())},
        "stages": [{"stage": s.name, "users": s.users, **_figures(plan, out, [s]).as_evidence()}
                   for s in plan.stages if s.start < out.elapsed],
        "journeys": {j.name: figures(out.samples.where(journeys=[j.name]), out.elapsed).as_evidence()
                     for j in plan.journeys},
        "requests": [{"name": name, **figures(out.samples.where(name=name), out.elapsed).as_evidence(),
                      "locust_p95_ms": out.locust.get(name, {}).get("p95_ms"),
                      "locust_p99_ms": out.locust.get(name, {}).get("p99_ms")} for name in out.samples.names()],
        "error_kinds": dict(sorted(out.samples.error_kinds.items(), key=lambda i: -i[1])[:5]),
        "stopped": out.stop_reason, "cpu_warnings": out.cpu_warnings + [{"log": line} for line in out.cpu_log_lines],
        "plan_fingerprint": plan.fingerprint,
        "complete": not out.stop_reason or plan.profile == "stress" and "breaking point" in out.stop_reason,
    }
