"""The quarterly benchmark check: one configured profile run with Locust, gated, archived, compared."""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsverify.checks import combine, probe
from opsverify.checks.deadline import budget
from opsverify.checks.trust import trusted_files
from opsverify.context import RunContext
from opsverify.load import profiles, runner, trend
from opsverify.load.plan import build, refusal
from opsverify.load.verdict import verdict
from opsverify.result import Result, error
from opsverify.spec import Environment
from opsverify.spec.models.loadtests import LoadTests
from opsverify.spec.secret import SecretUrl, scrub

_one_at_a_time = threading.Lock()  # the plugin starts checks together; benchmarks must not overlap


@dataclass(frozen=True)
class LoadRun:
    """One configured profile of the loadtests section: the item `test_load_profile[NAME]` runs."""

    name: str  # load, stress, endurance, spike
    loadtests: LoadTests

    @property
    def url(self) -> SecretUrl:
        """The target (its host:port keys the plugin's per-target limit)."""
        return self.loadtests.host

    @property
    def severity(self) -> str | None:
        """The loadtests section's severity."""
        return self.loadtests.severity

    @property
    def cadence(self) -> str | None:
        """The loadtests section's cadence (None: the check's default, quarterly)."""
        return self.loadtests.cadence

    @property
    def tags(self) -> tuple[str, ...]:
        """The loadtests section's tags."""
        return self.loadtests.tags

    @property
    def controls(self) -> tuple[str, ...]:
        """The compliance controls the loadtests section names."""
        return self.loadtests.controls

    @property
    def smoke(self) -> bool:
        """Never part of the post-deploy gate: a benchmark takes minutes."""
        return False

    @property
    def timeout(self) -> Any:
        """The per-request timeout of the simulated users."""
        return self.loadtests.timeout


def runs(env: Environment) -> list[LoadRun]:
    """One LoadRun per configured profile, in the order load, stress, endurance, spike."""
    lt = env.loadtests
    return [LoadRun(kind, lt) for kind in profiles.KINDS if lt is not None and getattr(lt.profiles, kind)]


@budget(lambda run: None)  # no deadline of the pool's: runner.run stops Locust after the plan's duration
@probe
def load_profile(run: LoadRun, *, context: RunContext | None = None) -> Result:
    """Run the profile with Locust, then gate it: SLA, stress breaking point, endurance drift, regression.

    Locust's HTML report and CSVs, its log, the exact histograms and the gate's JSON summary go
    into the run folder (`loadtests/` in it) before this returns. The run is refused against an
    environment with `production: true` unless `loadtests.allow_production: true`.
    """
    if context is None:
        return error("a load profile needs the run context (run it through the opsverify pytest plugin)")
    refused = refusal(context.environment)
    if refused:
        return error(refused)
    plan = build(run.loadtests, context.environment.environment, run.name)
    if plan.host.startswith("https:"):
        trusted_files(plan.ca_file)  # a missing ca_file is the error, not a failed handshake per request
    with _folder(context) as (folder, kept):
        artifacts = runner.Artifacts(folder, run.name)
        with _one_at_a_time:
            output = runner.run(plan, artifacts)
        result = compared(verdict(plan, output), plan.fingerprint, context, run.loadtests.sla)
        files = sorted(p.name for p in folder.iterdir() if p.name.startswith(f"{run.name}-")) + [artifacts.summary.name]
        result = result.with_evidence(artifacts=[f"loadtests/{name}" for name in files] if kept else
                                      "not kept (no run folder: --no-archive)")
        write_summary(artifacts.summary, run.name, result)
    return result


def compared(result: Result, fingerprint: str, context: RunContext, sla: Any) -> Result:
    """The result with the regression against the previous comparable run and the trend chart added."""
    if result.status.value == "error":
        return result
    past = trend.earlier(context, fingerprint)
    found = trend.regression(result.evidence, past[0] if past else None, sla)
    points = [(p.started[:10], trend.metrics(p.entry.get("evidence", {}))) for p in reversed(past)]
    points.append(("this run", trend.metrics(result.evidence)))
    extra: dict[str, Any] = {"previous_run": past[0].run if past else None,
                             "regression": {r.reason: r.status.value for r in found}}
    if len(points) > 1:
        extra["trend_svg"] = trend.chart(points)
    return combine([result, *found], **result.evidence, **extra)  # the worst status and its reasons


@contextmanager
def _folder(context: RunContext) -> Iterator[tuple[Path, bool]]:
    """The run folder's loadtests/ (kept), else a temporary folder removed afterwards."""
    if context.run_dir is not None:
        folder = context.run_dir / "loadtests"
        folder.mkdir(parents=True, exist_ok=True)
        yield folder, True
        return
    folder = Path(tempfile.mkdtemp(prefix="opsverify-loadtest-"))
    try:
        yield folder, False
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def write_summary(path: Path, profile: str, result: Result) -> None:
    """The gate's JSON summary: verdict, reason, measured, limit and every figure (no chart)."""
    evidence = {k: v for k, v in result.evidence.items() if not k.endswith("_svg")}
    text = json.dumps({"profile": profile, "status": result.status.value, "reason": result.reason,
                       "value": result.value, "unit": result.unit, "limit": result.limit, "evidence": evidence},
                      indent=2, default=str)
    path.write_text(scrub(text) + "\n", encoding="utf-8")
