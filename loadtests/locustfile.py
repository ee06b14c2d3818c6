"""Locust users built from the environment's journeys, with exact per-stage response-time histograms.

By hand, with the web UI (http://localhost:8089):

    OPSV_ENV=fixtures/environments/staging.yml locust -f loadtests/locustfile.py
    OPSV_ENV=... OPSV_PROFILE=stress locust -f loadtests/locustfile.py --headless   # follow a profile

The suite runs it in a subprocess with OPSV_LOAD_PLAN (a plan file it wrote) and OPSV_LOAD_OUT
(where the master writes the merged histograms). One user class per journey (FastHttpUser,
weighted); `{id}` in a path is filled from the step's ids and the row keeps the `{id}` name.
Redirects are not followed, so nothing but the configured host is ever requested.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, between, constant, events
from locust.runners import STATE_STOPPED, STATE_STOPPING, WorkerRunner

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout, when opsverify is not installed

from shapes import shape_for  # noqa: E402

from opsverify.checks.trust import client_context  # noqa: E402
from opsverify.load import gate  # noqa: E402
from opsverify.load.plan import JourneyPlan, Plan, StepPlan, build, refusal  # noqa: E402
from opsverify.load.runner import RunOutput  # noqa: E402
from opsverify.load.samples import Samples  # noqa: E402
from opsverify.load.verdict import verdict  # noqa: E402
from opsverify.spec.secret import Secret, SecretUrl, shorten  # noqa: E402

log = logging.getLogger("opsverify.load")
HARD_MARGIN = 30.0  # seconds past the planned end after which the master stops the run whatever happens


def _plan() -> Plan:
    """The plan file the suite wrote, else the plan built from OPSV_ENV (and OPSV_PROFILE)."""
    if os.environ.get("OPSV_LOAD_PLAN"):
        return Plan.from_json(Path(os.environ["OPSV_LOAD_PLAN"]).read_text(encoding="utf-8"))
    if not os.environ.get("OPSV_ENV"):
        sys.exit("opsverify locustfile: set OPSV_ENV to the environment file whose loadtests to run")
    from opsverify.spec import SpecError, load

    try:
        env = load(os.environ["OPSV_ENV"])
    except SpecError as exc:
        sys.exit(str(exc))
    if env.loadtests is None:
        sys.exit(f"opsverify locustfile: {os.environ['OPSV_ENV']} has no loadtests section")
    refused = refusal(env)
    if refused:
        sys.exit(f"opsverify locustfile: {refused}")
    try:
        return build(env.loadtests, env.environment, os.environ.get("OPSV_PROFILE") or None)
    except ValueError as exc:
        sys.exit(f"opsverify locustfile: {exc}")


PLAN = _plan()
for _step in (step for journey in PLAN.journeys for step in journey.steps):
    SecretUrl(_step.path)  # its secret query values are masked in every failure this process records
if PLAN.auth:
    Secret(PLAN.auth)


class Recorder:
    """Counts every response into the plan's stages; workers send theirs to the master, which merges."""

    def __init__(self, plan: Plan) -> None:
        """Nothing recorded yet."""
        self.plan = plan
        self.samples = Samples()
        self.t0: float | None = None
        self.stop_reason: str | None = None
        self.cpu_warnings: list[dict[str, Any]] = []
        self.workers: dict[str, bool] = {}  # worker id: its final report arrived
        self.environment: Any = None
        self._span: tuple[float, float, str] = (0.0, 0.0, "")  # the current stage's start, end and name
        self._labels: dict[tuple[str, str], str] = {}

    def request(self, request_type: str, name: str, response_time: float | None, start_time: float | None = None,
                exception: BaseException | None = None, context: dict[str, Any] | None = None, **_: Any) -> None:
        """A completed request, labelled with the stage it was sent in (the load it met). Runs per request."""
        ms = response_time or 0.0
        sent = (start_time or time.time() - ms / 1000) - (self.t0 or 0.0)
        if not self._span[0] <= sent < self._span[1]:
            self._span = self._stage_span(sent)
        label = self._labels.get((request_type, name))
        if label is None:
            label = self._labels[(request_type, name)] = f"{request_type} {name}"
        failure = None if exception is None else f"{type(exception).__name__}: {shorten(str(exception), 160)}"
        self.samples.add((self._span[2], (context or {}).get("journey", "-"), label), ms, failure)

    def _stage_span(self, sent: float) -> tuple[float, float, str]:
        """(start, end, name) of the stage a request sent `sent` seconds into the run belongs to."""
        name = self.plan.stage_of(sent)
        stage = next((s for s in self.plan.stages if s.name == name), None)
        if stage is None or self.t0 is None:
            return (0.0, 0.0, name)  # no timeline (or not started): look it up every time
        first, last = stage is self.plan.stages[0], stage is self.plan.stages[-1]
        return (-math.inf if first else stage.start, math.inf if last else stage.end, name)

    def stop(self, reason: str) -> None:
        """Note why the run stops early (the stress shape and the early abort call this)."""
        if self.stop_reason is None:
            self.stop_reason = reason
            log.warning("opsverify: stopping: %s", reason)

    def outcome(self, runner: Any) -> dict[str, Any]:
        """What the master (or the only process) writes at the end."""
        return {"t0": self.t0, "ended": time.time(), "samples": self.samples.to_json(),
                "stop_reason": self.stop_reason, "cpu_warnings": self.cpu_warnings,
                "worker_cpu_warning": bool(getattr(runner, "worker_cpu_warning_emitted", False)),
                "workers": self.workers}


RECORDER = Recorder(PLAN)
events.request.add_listener(RECORDER.request)


@events.test_start.add_listener
def _started(environment: Any, **_: Any) -> None:
    """Start the clock; on the master, watch for an early abort and the hard time limit."""
    RECORDER.t0 = time.time()
    if not isinstance(environment.runner, WorkerRunner) and PLAN.stages:
        gevent.spawn(_watch, environment.runner)


def _watch(runner: Any) -> None:
    """Stop the run when a limit is clearly broken (abort_on_fail) or the run overstays its plan."""
    while runner.state not in (STATE_STOPPING, STATE_STOPPED):
        gevent.sleep(1.0)
        elapsed = time.time() - (RECORDER.t0 or time.time())
        broken = gate.clearly_broken(RECORDER.samples, PLAN, elapsed) if PLAN.abort_on_fail else None
        if broken is not None:
            RECORDER.stop(f"aborted early, a limit is clearly broken: {broken}")
        elif elapsed > PLAN.duration + HARD_MARGIN:
            RECORDER.stop(f"the run outlasted its planned {PLAN.duration:.0f} s by {HARD_MARGIN:.0f} s")
        if RECORDER.stop_reason is not None:
            runner.quit()
            return


@events.reset_stats.add_listener
def _reset(**_: Any) -> None:
    """The web UI's "reset stats" resets the exact histograms too."""
    RECORDER.samples = Samples()


@events.cpu_warning.add_listener
def _cpu(environment: Any, cpu_usage: float, **_: Any) -> None:
    """The load generator's CPU was overloaded: its measurements are not trustworthy."""
    node = "worker" if isinstance(environment.runner, WorkerRunner) else "master"
    RECORDER.cpu_warnings.append({"node": node, "cpu_percent": round(float(cpu_usage), 1), "at": time.time()})


@events.report_to_master.add_listener
def _report(client_id: str, data: dict[str, Any]) -> None:
    """Worker: send the samples since the last report (and CPU warnings), then start afresh."""
    runner = RECORDER.environment.runner if RECORDER.environment is not None else None
    data["opsverify"] = {"samples": RECORDER.samples.to_json(), "cpu_warnings": RECORDER.cpu_warnings,
                         "final": runner is not None and runner.state in (STATE_STOPPING, STATE_STOPPED)}
    RECORDER.samples, RECORDER.cpu_warnings = Samples(), []


@events.worker_report.add_listener
def _merge(client_id: str, data: dict[str, Any]) -> None:
    """Master: merge a worker's samples into the run's."""
    part = data.get("opsverify")
    if part is None:
        return
    RECORDER.samples.merge(Samples.from_json(part["samples"]))
    RECORDER.cpu_warnings += [{**w, "node": f"worker {client_id}"} for w in part["cpu_warnings"]]
    RECORDER.workers[client_id] = RECORDER.workers.get(client_id, False) or part["final"]


@events.quitting.add_listener
def _quitting(environment: Any, **_: Any) -> None:
    """Master or single process: write the merged samples for the suite and print the exact percentiles."""
    if isinstance(environment.runner, WorkerRunner):
        return
    out = os.environ.get("OPSV_LOAD_OUT")
    if out:
        Path(out).write_text(json.dumps(RECORDER.outcome(environment.runner)), encoding="utf-8")
    for name in RECORDER.samples.names():
        h = RECORDER.samples.where(name=name).histogram
        log.info("opsverify exact: %-40s %7d requests  p95 %9.1f ms  p99 %9.1f ms", name, h.total,
                 h.percentile(95) or 0, h.percentile(99) or 0)
    if not out and PLAN.stages:  # by hand, following a profile: the gate's verdict, exit code 3 when it fails
        result = verdict(PLAN, RunOutput(RECORDER.samples, RECORDER.t0 or time.time(), time.time(),
                                         RECORDER.stop_reason, RECORDER.cpu_warnings, [], RECORDER.workers))
        log.warning("opsverify verdict: %s: %s", result.status.value, result.reason)
        if result.status.value in ("failed", "error"):
            environment.process_exit_code = 3


@events.init.add_listener
def _init(environment: Any, **_: Any) -> None:
    """Keep the environment, whose runner the report hook asks whether the run is over."""
    RECORDER.environment = environment


@functools.cache
def _tls_context() -> Any:
    """One client context for every connection: building one per user costs CPU the run should not spend."""
    return client_context(PLAN.ca_file)


class JourneyUser(FastHttpUser):
    """A simulated user walking one journey again and again, verifying TLS, never following redirects."""

    abstract = True
    host = PLAN.host
    insecure = False
    network_timeout = connection_timeout = PLAN.timeout
    default_headers = {"Authorization": PLAN.auth} if PLAN.auth else None
    wait_time = between(PLAN.think_time * 0.5, PLAN.think_time * 1.5) if PLAN.think_time else constant(0)
    journey: JourneyPlan
    journey_context: dict[str, str]

    @staticmethod
    def ssl_context_factory(cafile: str | None = None) -> Any:
        """The shared verifying TLS context (the system's CAs plus the plan's ca_file, as the daily checks trust)."""
        return _tls_context()

    def context(self) -> dict[str, Any]:
        """Every request carries its journey's name, for the per-journey histograms."""
        return self.journey_context

    def walk(self) -> None:
        """One pass through the journey's steps."""
        for step in self.journey.steps:
            self.send(step)

    def send(self, step: StepPlan) -> None:
        """One step's request, `{id}` filled in; its row keeps the step's name."""
        path = step.path.replace("{id}", str(random.choice(step.ids))) if step.ids else step.path
        self.client.request(step.method, path, name=step.label, json=step.body, allow_redirects=False)


for _journey in PLAN.journeys:  # keys with a space never clash with the module's own names
    globals()[f"{_journey.name} journey"] = type(_journey.name, (JourneyUser,), {
        "abstract": False, "weight": _journey.weight, "journey": _journey,
        "journey_context": {"journey": _journey.name}, "tasks": [JourneyUser.walk], "__module__": __name__})

if PLAN.profile:
    ProfileShape = shape_for(PLAN, RECORDER)
