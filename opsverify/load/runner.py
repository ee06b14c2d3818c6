"""Run one profile with Locust in subprocesses (one process, or a master and N workers), bounded in time.

Locust monkey-patches the process that imports it (gevent), which breaks pytest and requests, so
the suite never imports it: it writes the plan to a private file, starts `python -m locust`
headless, and reads back what the locustfile wrote (the merged exact histograms), Locust's own
CSV figures and its log.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opsverify.checks import CheckError
from opsverify.load.plan import Plan
from opsverify.load.samples import Samples
from opsverify.spec.secret import scrub, shorten

LOCUSTFILE = Path(__file__).resolve().parents[2] / "loadtests" / "locustfile.py"
STARTUP = 60.0  # seconds allowed beyond the plan: starting, connecting workers, writing the reports
WORKER_WAIT = 30  # seconds the master waits for its workers to connect
CPU_LINE = re.compile(r"CPU usage above \d+%|exceeded cpu threshold|CPU usage was too high", re.IGNORECASE)


@dataclass(frozen=True)
class Artifacts:
    """Where one profile's files go: Locust's HTML report, CSVs and log, the raw samples, the gate summary."""

    folder: Path
    prefix: str

    def path(self, suffix: str) -> Path:
        """folder/prefix + suffix."""
        return self.folder / f"{self.prefix}{suffix}"

    @property
    def html(self) -> Path:
        """Locust's own HTML report."""
        return self.path("-locust.html")

    @property
    def csv_prefix(self) -> Path:
        """The --csv prefix: Locust adds _stats.csv, _failures.csv, _exceptions.csv, _stats_history.csv."""
        return self.path("-locust")

    @property
    def log(self) -> Path:
        """Locust's log (master and workers)."""
        return self.path("-locust.log")

    @property
    def samples(self) -> Path:
        """The merged exact histograms, per stage, journey and request."""
        return self.path("-samples.json")

    @property
    def summary(self) -> Path:
        """The gate's JSON summary."""
        return self.path("-gate.json")


@dataclass(frozen=True)
class RunOutput:
    """What one Locust run left behind."""

    samples: Samples
    t0: float
    ended: float
    stop_reason: str | None
    cpu_warnings: list[dict[str, Any]]
    cpu_log_lines: list[str]
    workers: dict[str, bool]
    locust: dict[str, dict[str, float]] = field(default_factory=dict)  # Locust's own figures per row

    @property
    def elapsed(self) -> float:
        """Seconds from the first user to the end."""
        return max(0.0, self.ended - self.t0)


def command(plan: Plan, artifacts: Artifacts, *, master: tuple[str, int] | None, expect: int) -> list[str]:
    """The master's (or the only process's) Locust command line; at the end users finish their request."""
    cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", plan.host,
           "--html", str(artifacts.html), "--csv", str(artifacts.csv_prefix), "--json-file", str(artifacts.csv_prefix),
           "--only-summary",
           "--exit-code-on-error", "0", "--stop-timeout", f"{plan.timeout:g}s", "--loglevel", "INFO"]
    if master is not None:
        cmd += ["--master", "--master-bind-host", master[0], "--master-bind-port", str(master[1]),
                "--expect-workers", str(expect), "--expect-workers-max-wait", str(WORKER_WAIT)]
    return cmd


def worker_command(port: int) -> list[str]:
    """A local worker's Locust command line."""
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker", "--master-host", "127.0.0.1",
            "--master-port", str(port), "--loglevel", "WARNING"]


def free_port() -> int:
    """A free TCP port on loopback for the master."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(plan: Plan, artifacts: Artifacts, *, remote_workers: int = 0, bind: str = "127.0.0.1",
        port: int | None = None) -> RunOutput:
    """Run the plan to its end (or its stop), at most plan.duration + STARTUP seconds; CheckError when Locust fails."""
    artifacts.folder.mkdir(parents=True, exist_ok=True)
    distributed = plan.workers + remote_workers > 0
    port = port or (free_port() if distributed else 0)
    limit = plan.duration + plan.timeout + STARTUP + (WORKER_WAIT if distributed else 0)
    with tempfile.TemporaryDirectory(prefix="opsverify-load-") as private:
        plan_file = Path(private) / "plan.json"
        plan_file.touch(mode=0o600)
        plan_file.write_text(plan.to_json(), encoding="utf-8")
        out_file = Path(private) / "outcome.json"
        environ = {**os.environ, "OPSV_LOAD_PLAN": str(plan_file), "OPSV_LOAD_OUT": str(out_file)}
        with artifacts.log.open("ab") as log:
            master = _start(command(plan, artifacts, master=(bind, port) if distributed else None,
                                    expect=plan.workers + remote_workers), environ, log)
            workers = [_start(worker_command(port), environ, log) for _ in range(plan.workers)]
            grace = 10.0
            try:
                code = master.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                grace = 0.0
                raise CheckError(f"Locust did not finish within {limit:.0f} s; it was stopped") from None
            finally:
                for process in (master, *workers):
                    _end(process, grace)
        scrub_files(artifacts)
        text = artifacts.log.read_text(encoding="utf-8", errors="replace")
        if not out_file.exists():
            raise CheckError(f"Locust exited with code {code} before the run ended: {_last_error(text)}")
        outcome = json.loads(out_file.read_text(encoding="utf-8"))
    artifacts.samples.write_text(scrub(json.dumps(outcome["samples"])), encoding="utf-8")
    return RunOutput(Samples.from_json(outcome["samples"]), float(outcome["t0"] or outcome["ended"]),
                     float(outcome["ended"]), outcome["stop_reason"],
                     outcome["cpu_warnings"] + ([{"node": "worker", "source": "heartbeat"}]
                                                if outcome["worker_cpu_warning"] else []),
                     cpu_lines(text), outcome["workers"], locust_figures(artifacts))


def scrub_files(artifacts: Artifacts) -> None:
    """Mask every known secret in the files Locust wrote (the last line of defence: its requests are named masked)."""
    for path in artifacts.folder.glob(f"{artifacts.prefix}-locust*"):
        text = path.read_text(encoding="utf-8", errors="replace")
        clean = scrub(text)
        if clean != text:
            path.write_text(clean, encoding="utf-8")


def _start(cmd: list[str], environ: dict[str, str], log: Any) -> subprocess.Popen[bytes]:
    """Start one Locust process in its own process group, its output appended to the log."""
    return subprocess.Popen(cmd, env=environ, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                            start_new_session=True)


def _end(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Let a process finish on its own for `grace` seconds, then stop its process group."""
    deadline = time.monotonic() + grace
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            continue


def _last_error(log_text: str) -> str:
    """The most telling line of a failed Locust run's log."""
    lines = [line.strip() for line in log_text.splitlines() if line.strip()]
    telling = [line for line in lines if re.search(r"error|exception|refused|no such|not found", line, re.I)]
    return shorten((telling or lines or ["no output"])[-1], 300)


def cpu_lines(log_text: str) -> list[str]:
    """The lines in which Locust said its CPU (or a worker's) was overloaded."""
    return [line.strip() for line in log_text.splitlines() if CPU_LINE.search(line)]


def locust_figures(artifacts: Artifacts) -> dict[str, dict[str, float]]:
    """Locust's own figures per row ("GET /products/{id}", "Aggregated") from its final JSON statistics.

    Percentiles come from Locust's rounded buckets by Locust's own rule (its stats CSV is rewritten
    once a second and can miss the last second of a run; the JSON is written at the very end).
    """
    path = Path(f"{artifacts.csv_prefix}.json")
    if not path.exists():
        return {}
    rows: dict[str, tuple[int, int, dict[int, int]]] = {}
    for entry in json.loads(path.read_text(encoding="utf-8")):
        buckets = {int(float(k)): int(v) for k, v in (entry.get("response_times") or {}).items()}
        for key in (f"{entry['method']} {entry['name']}", "Aggregated"):
            requests, failures, merged = rows.get(key, (0, 0, {}))
            for ms, n in buckets.items():
                merged[ms] = merged.get(ms, 0) + n
            rows[key] = (requests + int(entry["num_requests"]), failures + int(entry["num_failures"]), merged)
    return {key: {"requests": float(requests), "failures": float(failures),
                  "p95_ms": float(locust_percentile(merged, requests, 0.95)),
                  "p99_ms": float(locust_percentile(merged, requests, 0.99))}
            for key, (requests, failures, merged) in rows.items()}


def locust_percentile(buckets: dict[int, int], requests: int, share: float) -> int:
    """Locust's percentile rule (locust.stats.calculate_response_time_percentile) on its rounded buckets."""
    wanted, seen = int(requests * share), 0
    for ms in sorted(buckets, reverse=True):
        seen += buckets[ms]
        if requests - seen <= wanted:
            return ms
    return 0
