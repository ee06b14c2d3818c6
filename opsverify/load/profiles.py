"""The four benchmark profiles as timelines of stages: how many users, from when to when.

The Locust shapes (loadtests/shapes.py) follow these stages, the locustfile labels every response
with the stage it completed in, and the gate judges stages: all of this reads the same timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KINDS = ("load", "stress", "endurance", "spike")
MAX_RAMP = 60.0  # a default ramp-up never takes longer than this many seconds
RAMP = "ramp-up"


@dataclass(frozen=True)
class Stage:
    """A stretch of the run with a target number of users; `warmup` stages are not judged."""

    name: str
    start: float  # seconds since the run started
    end: float
    users: int
    spawn_rate: float
    warmup: bool = False

    @property
    def length(self) -> float:
        """The stage's planned length in seconds."""
        return self.end - self.start

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {"name": self.name, "start": self.start, "end": self.end, "users": self.users,
                "spawn_rate": self.spawn_rate, "warmup": self.warmup}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Stage:
        """A stage from to_json() data."""
        return cls(data["name"], float(data["start"]), float(data["end"]), int(data["users"]),
                   float(data["spawn_rate"]), bool(data.get("warmup", False)))


def stages(kind: str, profile: Any) -> tuple[Stage, ...]:
    """The timeline of a profile (a model from opsverify.spec.models.loadtests) of the given kind."""
    return {"load": _load, "stress": _stress, "endurance": _endurance, "spike": _spike}[kind](profile)


def _ramp(users: int, spawn_rate: float | None, duration: float, share: float) -> tuple[float, float]:
    """(spawn rate, ramp seconds): the given rate, else all users within `share` of the run (at most MAX_RAMP)."""
    rate = spawn_rate or users / max(1.0, min(duration * share, MAX_RAMP))
    return rate, min(users / rate, duration)


def _load(profile: Any) -> tuple[Stage, ...]:
    """Ramp up to `users`, then hold them: only the steady part is judged."""
    duration = float(profile.duration)
    rate, ramp = _ramp(profile.users, profile.spawn_rate, duration, 0.1)
    if ramp >= duration:
        return (Stage("steady", 0.0, duration, profile.users, rate),)
    return (Stage(RAMP, 0.0, ramp, profile.users, rate, warmup=True),
            Stage("steady", ramp, duration, profile.users, rate))


def _endurance(profile: Any) -> tuple[Stage, ...]:
    """Ramp up, then ten equal tenths, so that the first and the last can be compared."""
    duration = float(profile.duration)
    rate, ramp = _ramp(profile.users, profile.spawn_rate, duration, 0.05)
    ramp = min(ramp, duration / 2)
    tenth = (duration - ramp) / 10
    ramp_stage = (Stage(RAMP, 0.0, ramp, profile.users, rate, warmup=True),) if ramp > 0 else ()
    return ramp_stage + tuple(Stage(f"tenth {i + 1}/10", ramp + i * tenth, ramp + (i + 1) * tenth,
                                    profile.users, rate) for i in range(10))


def _stress(profile: Any) -> tuple[Stage, ...]:
    """Steps of `step_users` every `step_duration` from `start_users` up to `max_users`."""
    length = float(profile.step_duration)
    rate = profile.spawn_rate or max(profile.start_users, profile.step_users) / max(1.0, min(10.0, length / 10))
    out: list[Stage] = []
    users = profile.start_users
    while True:
        start = len(out) * length
        out.append(Stage(f"step {len(out) + 1} ({users} users)", start, start + length, users, rate))
        if users >= profile.max_users:
            return tuple(out)
        users = min(users + profile.step_users, profile.max_users)


def _spike(profile: Any) -> tuple[Stage, ...]:
    """`base_users`, a sudden spike to `spike_users` in the middle of the run, then back to the base."""
    duration, spike = float(profile.duration), float(profile.spike_duration)
    before = (duration - spike) / 2
    base_rate = max(1.0, profile.base_users / max(1.0, min(before / 4, 10.0)))
    spike_rate = float(profile.spike_users - profile.base_users)  # the spike arrives within a second
    return (Stage("base", 0.0, before, profile.base_users, base_rate),
            Stage("spike", before, before + spike, profile.spike_users, spike_rate),
            Stage("recovery", before + spike, duration, profile.base_users, 10 * spike_rate))  # and leaves at once


def total(timeline: tuple[Stage, ...]) -> float:
    """The planned length of the whole run in seconds."""
    return timeline[-1].end


def stage_at(timeline: tuple[Stage, ...], seconds: float) -> Stage | None:
    """The stage running `seconds` after the start; None once the timeline is over."""
    return next((s for s in timeline if s.start <= seconds < s.end), None)


def label_at(timeline: tuple[Stage, ...], seconds: float) -> str:
    """The name of the stage at `seconds`, clamped to the first and the last stage."""
    if seconds < timeline[0].start:
        return timeline[0].name
    found = stage_at(timeline, seconds)
    return found.name if found is not None else timeline[-1].name
