"""Locust load shapes for the four profiles: load, stress, endurance, spike.

Each follows the stages of opsverify.load.profiles (one timeline for the shape, the per-stage
statistics and the gate). The stress shape judges every step once it is over and stops at the
first one that breaks the SLA: that step is the breaking point. The classes here are abstract;
the locustfile makes the one its plan names concrete with `shape_for`.
"""

from __future__ import annotations

from typing import Any

from locust import LoadTestShape

from opsverify.load import gate, profiles
from opsverify.load.plan import Plan

WORKER_GRACE = 4.0  # distributed: workers report every 3 s, so a step is judged at least this long after its end
LOCAL_GRACE = 0.5


class StagesShape(LoadTestShape):
    """Follows the plan's stages; stops when the timeline is over (or the recorder says stop)."""

    abstract = True
    plan: Plan
    recorder: Any  # the locustfile's Recorder: samples so far, and where a stop is noted

    def tick(self) -> tuple[int, float] | None:
        """The users and spawn rate of the current stage; None once the run is over."""
        if self.recorder.stop_reason is not None:
            return None
        stage = profiles.stage_at(self.plan.stages, self.get_run_time())
        return None if stage is None else (stage.users, stage.spawn_rate)


class LoadShape(StagesShape):
    """Steady load: ramp up to `users` and hold them for `duration`."""

    abstract = True


class EnduranceShape(StagesShape):
    """Moderate load held long; its ten tenths are compared for drift."""

    abstract = True


class SpikeShape(StagesShape):
    """A base load with one sudden spike in the middle, then back to the base to watch recovery."""

    abstract = True


class StressShape(StagesShape):
    """Steps up the users until a step breaks the SLA; that step is the breaking point."""

    abstract = True
    judged: set[str]

    def tick(self) -> tuple[int, float] | None:
        """Judge every finished step once its stragglers are in; stop at the first broken one."""
        now = self.get_run_time()
        for stage in self.plan.stages:
            if stage.name in self.judged or stage.end >= profiles.total(self.plan.stages) \
                    or stage.end + self.grace(stage) > now:
                continue
            self.judged.add(stage.name)
            broken = gate.step_broken(self.recorder.samples, self.plan, stage.name)
            if broken:
                self.recorder.stop(f"breaking point at {stage.name}: " + " | ".join(r.reason for r in broken))
                return None
        return super().tick()

    def grace(self, stage: profiles.Stage) -> float:
        """How long after a step's end to judge it: until requests sent in it have answered (1.5 x its
        slowest so far) and the workers have reported, but never longer than a step."""
        slowest = self.recorder.samples.where([stage.name]).histogram.max_ms / 1000
        return min(stage.length, max(WORKER_GRACE if self.plan.workers else LOCAL_GRACE, 1.5 * slowest))


SHAPES: dict[str, type[StagesShape]] = {"load": LoadShape, "stress": StressShape,
                                        "endurance": EnduranceShape, "spike": SpikeShape}


def shape_for(plan: Plan, recorder: Any) -> type[LoadTestShape]:
    """The concrete shape class of the plan's profile, bound to the plan and the recorder."""
    base = SHAPES[plan.profile]
    return type(base.__name__, (base,), {"abstract": False, "plan": plan, "recorder": recorder,
                                         "judged": set(), "__module__": __name__})
