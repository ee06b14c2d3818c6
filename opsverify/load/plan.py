"""What a Locust process needs to run one profile: target, journeys, stages and limits, as plain JSON.

The suite writes the plan to a private file and names it in OPSV_LOAD_PLAN; a person running
`locust -f loadtests/locustfile.py` by hand names the environment file in OPSV_ENV (and a
profile in OPSV_PROFILE) instead, and the locustfile builds the same plan from it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from opsverify.load import profiles
from opsverify.load.profiles import Stage
from opsverify.spec import Environment
from opsverify.spec.models.loadtests import JourneySla, LoadTests
from opsverify.spec.secret import mask_url
from opsverify.spec.units import Ratio

LIMIT_KEYS = ("p95", "warn_p95", "p99", "warn_p99", "max_error_rate", "warn_max_error_rate",
              "min_rps", "warn_min_rps")


@dataclass(frozen=True)
class Limits:
    """One set of SLA limits: seconds, ratios and requests per second (None: not limited)."""

    p95: float | None = None
    warn_p95: float | None = None
    p99: float | None = None
    warn_p99: float | None = None
    max_error_rate: float | None = None
    warn_max_error_rate: float | None = None
    min_rps: float | None = None
    warn_min_rps: float | None = None

    @classmethod
    def of(cls, sla: JourneySla, keys: set[str] | None = None) -> Limits:
        """The limits a model sets (only `keys` of them when given)."""
        return cls(**{k: getattr(sla, k) for k in LIMIT_KEYS if keys is None or k in keys})

    def given(self) -> dict[str, float]:
        """The limits that are set, by key."""
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class StepPlan:
    """One request: method, path (with `{id}`), ids to pick from, JSON body, the row name in the stats."""

    method: str
    path: str
    ids: tuple[Any, ...] = ()
    body: Any = None
    name: str | None = None

    @property
    def label(self) -> str:
        """The request's name in Locust's files and ours: the step's name, else its path with secrets masked."""
        return self.name or mask_url(self.path)


@dataclass(frozen=True)
class JourneyPlan:
    """A journey: its name, weight and steps."""

    name: str
    weight: int
    steps: tuple[StepPlan, ...]


@dataclass(frozen=True)
class Plan:
    """Everything one profile's run needs; `auth` is a secret and never shown."""

    environment: str
    profile: str  # load, stress, endurance, spike; "" for a hand-driven run without a shape
    host: str  # the base URL without credentials
    journeys: tuple[JourneyPlan, ...]
    stages: tuple[Stage, ...]
    limits: Limits = Limits()
    journey_limits: dict[str, Limits] = field(default_factory=dict)  # only the keys a journey sets itself
    auth: str | None = field(default=None, repr=False)  # the Authorization header for credentials in host
    ca_file: str | None = None
    timeout: float = 10.0  # per request
    think_time: float = 0.0
    abort_on_fail: bool = False
    max_drift: float | None = None  # endurance: last tenth's p95 against the first's
    warn_max_drift: float | None = None
    workers: int = 0
    fingerprint: str = ""  # same profile and journeys: comparable with an earlier run

    @property
    def duration(self) -> float:
        """The planned length of the run in seconds (0 without a profile)."""
        return profiles.total(self.stages) if self.stages else 0.0

    def stage_of(self, seconds: float) -> str:
        """The stage a response completing `seconds` after the start belongs to ("run" without stages)."""
        return profiles.label_at(self.stages, seconds) if self.stages else "run"

    def to_json(self) -> str:
        """The plan as JSON text (it holds the credentials: write it only to a private file)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["journeys"] = [asdict(j) for j in self.journeys]
        data["stages"] = [s.to_json() for s in self.stages]
        data["limits"] = asdict(self.limits)
        data["journey_limits"] = {k: asdict(v) for k, v in self.journey_limits.items()}
        return json.dumps(data, default=float)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """A plan from to_json() text."""
        data = json.loads(text)
        data["journeys"] = tuple(JourneyPlan(j["name"], j["weight"], tuple(
            StepPlan(s["method"], s["path"], tuple(s["ids"]), s["body"], s["name"]) for s in j["steps"]))
            for j in data["journeys"])
        data["stages"] = tuple(Stage.from_json(s) for s in data["stages"])
        data["limits"] = Limits(**data["limits"])
        data["journey_limits"] = {k: Limits(**v) for k, v in data["journey_limits"].items()}
        return cls(**data)


def refusal(env: Environment) -> str | None:
    """Why load tests must not run against this environment (production without allow_production), if so."""
    lt = env.loadtests
    if env.production and not (lt is not None and lt.allow_production):
        return (f"refused: environment {env.environment} has production: true; load tests run against it "
                f"only with loadtests.allow_production: true")
    return None


def split_credentials(url: str) -> tuple[str, str | None]:
    """(the URL without user:password, a Basic Authorization header for them or None)."""
    parts = urlsplit(url)
    if parts.username is None:
        return url.rstrip("/"), None
    netloc = parts.netloc.rpartition("@")[2]
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    header = "Basic " + base64.b64encode(pair.encode()).decode()
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)).rstrip("/"), header


def build(lt: LoadTests, environment: str, profile: str | None) -> Plan:
    """The plan for one profile of a loadtests section (no profile: journeys only, for the web UI)."""
    if profile and getattr(lt.profiles, profile, None) is None:
        configured = [k for k in profiles.KINDS if getattr(lt.profiles, k) is not None]
        raise ValueError(f"profile {profile!r} is not configured; configured: {', '.join(configured)}")
    host, auth = split_credentials(lt.host.reveal())
    journeys = tuple(JourneyPlan(j.name, j.weight, tuple(
        StepPlan(s.method, s.path, tuple(s.ids), s.json_, s.name) for s in j.steps)) for j in lt.journeys)
    shape = getattr(lt.profiles, profile) if profile else None
    stages = profiles.stages(profile, shape) if profile else ()
    overrides = {j.name: Limits.of(j.sla, set(j.sla.model_fields_set)) for j in lt.journeys if j.sla}
    same = json.dumps([profile, shape.model_dump(mode="json") if shape else None,
                       [j.model_dump(mode="json", include={"name", "weight", "steps"}) for j in lt.journeys],
                       float(lt.think_time)], sort_keys=True, default=str)
    limits = Limits.of(lt.sla)
    if limits.max_error_rate is None and limits.warn_max_error_rate is None:
        limits = replace(limits, max_error_rate=Ratio(0.0))  # as for the daily SLA: no limit set, no error allowed
    return Plan(environment, profile or "", host, journeys, stages, limits, overrides, auth,
                lt.ca_file, float(lt.timeout or 10.0), float(lt.think_time), lt.sla.abort_on_fail,
                lt.sla.max_drift, lt.sla.warn_max_drift, lt.workers, hashlib.sha256(same.encode()).hexdigest()[:16])
