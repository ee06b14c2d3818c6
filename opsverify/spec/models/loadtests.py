"""The quarterly Locust benchmarks: target, journeys, profiles, workers and the SLA gate."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator

from opsverify.spec.models.common import Entry, Item, Model
from opsverify.spec.models.health import LatencySla
from opsverify.spec.secret import mask_url, reveal
from opsverify.spec.types import Count, DurationT, RatioT, SecretUrlT, WebSecretUrlT
from opsverify.spec.units import Duration
from opsverify.spec.urls import one_line

METHODS = ("get", "post", "put", "patch", "delete")
Users = Annotated[int, Field(ge=1)]


class Step(Model):
    """One request of a journey: `{get: /products/{id}, ids: [1, 2, 3]}`; query values named like secrets print as ***."""

    get: SecretUrlT | None = None
    post: SecretUrlT | None = None
    put: SecretUrlT | None = None
    patch: SecretUrlT | None = None
    delete: SecretUrlT | None = None
    json_: Any = Field(default=None, alias="json")  # the request body
    ids: tuple[int | str, ...] = ()  # values for `{id}` in the path, picked at random
    name: str | None = None  # the request's name in Locust's statistics

    @model_validator(mode="after")
    def _one_request(self) -> Step:
        """Exactly one method with a path; `{id}` in the path exactly when `ids` are given."""
        given = [m for m in METHODS if getattr(self, m) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(METHODS)} with a path")
        if not one_line(self.path, "the path").startswith("/"):
            raise ValueError(f"the path {mask_url(self.path)!r} must start with /")
        if ("{id}" in self.path) != bool(self.ids):
            raise ValueError("a path with {id} needs ids, and ids need {id} in the path")
        return self

    @property
    def method(self) -> str:
        """The HTTP method, upper case."""
        return next(m for m in METHODS if getattr(self, m) is not None).upper()

    @property
    def path(self) -> str:
        """The request path as sent (may contain `{id}`)."""
        return reveal(getattr(self, self.method.lower()))


class JourneySla(LatencySla):
    """A journey's own limits: each key set here replaces the global one for this journey's requests."""

    min_rps: float | None = Field(default=None, ge=0)
    warn_min_rps: float | None = Field(default=None, ge=0)


class Journey(Item):
    """What a simulated user does, picked by weight among the journeys."""

    weight: int = Field(default=1, ge=1)
    steps: tuple[Step, ...] = Field(min_length=1)
    sla: JourneySla | None = None


class LoadProfile(Model):
    """Steady load: `users` reached at `spawn_rate` per second, held for `duration`."""

    users: Users
    spawn_rate: float | None = Field(default=None, gt=0)
    duration: DurationT


class StressProfile(Model):
    """Steps of `step_users` every `step_duration` from `start_users` to `max_users`; reports the breaking point."""

    start_users: Users
    step_users: Users
    step_duration: DurationT
    max_users: Users
    spawn_rate: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _rising(self) -> StressProfile:
        """max_users is not below start_users."""
        if self.max_users < self.start_users:
            raise ValueError(f"max_users ({self.max_users}) is below start_users ({self.start_users})")
        return self


class EnduranceProfile(Model):
    """Moderate load held for hours, to watch drift."""

    users: Users
    duration: DurationT
    spawn_rate: float | None = Field(default=None, gt=0)


class SpikeProfile(Model):
    """A base load with one spike of `spike_users` lasting `spike_duration` within `duration`."""

    base_users: int = Field(ge=0)
    spike_users: Users
    spike_duration: DurationT
    duration: DurationT

    @model_validator(mode="after")
    def _spike_fits(self) -> SpikeProfile:
        """The spike is bigger than the base and shorter than the run."""
        if self.spike_users <= self.base_users:
            raise ValueError(f"spike_users ({self.spike_users}) must be more than base_users ({self.base_users})")
        if self.spike_duration >= self.duration:
            raise ValueError(f"spike_duration ({self.spike_duration}) must be shorter than duration ({self.duration})")
        return self


class Profiles(Model):
    """The benchmark shapes; each is optional, at least one is needed."""

    load: LoadProfile | None = None
    stress: StressProfile | None = None
    endurance: EnduranceProfile | None = None
    spike: SpikeProfile | None = None


class LoadSla(JourneySla):
    """The gate on a benchmark: latency, errors, throughput, drift and regression against the previous run."""

    max_regression: RatioT | None = None  # vs the previous archived run of the same profile
    warn_max_regression: RatioT | None = None
    max_drift: RatioT | None = None  # endurance: last tenth vs first tenth
    warn_max_drift: RatioT | None = None
    abort_on_fail: bool = False  # stop a run early once a limit is clearly broken


class LoadTests(Entry):
    """The loadtests section; refused against `production: true` unless `allow_production`."""

    host: WebSecretUrlT  # may carry basic-auth credentials for a staging site
    allow_production: bool = False
    journeys: tuple[Journey, ...] = Field(min_length=1)
    profiles: Profiles
    workers: Count = 0  # 0: one process; N: Locust distributed with N local workers
    think_time: DurationT = Duration(0.0, "0s")  # a simulated user's pause between two journeys
    sla: LoadSla = LoadSla()
    ca_file: str | None = None

    @model_validator(mode="after")
    def _runnable(self) -> LoadTests:
        """At least one profile."""
        if not any(getattr(self.profiles, key) for key in Profiles.model_fields):
            raise ValueError("profiles needs at least one of load, stress, endurance, spike")
        return self
