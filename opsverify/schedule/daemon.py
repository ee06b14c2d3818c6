"""`opsverify schedule`: our calendar decides what is due, the `schedule` package drives the loop.

Each job runs the checklist (`pytest -m <cadence>`) in a subprocess under the environment's run lock.
A run missed while the scheduler was down is caught up at start from the archive; a job never run
before waits for its next due time.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import schedule

from opsverify.schedule import calendar, jobs
from opsverify.schedule.jobs import Job
from opsverify.schedule.lock import Busy, RunLock
from opsverify.spec import load
from opsverify.spec.units import Duration

PROJECT = Path(__file__).resolve().parents[2]  # the checkout whose verify/ folder is the checklist
Clock = Callable[[], dt.datetime]
NO_TESTS = 5  # pytest's exit code when the marker expression selects nothing
STOP_GRACE = 60.0  # seconds a stopped run has to write its report before it is killed


class Runner(Protocol):
    """Runs a job's checks; the default runs pytest in a subprocess."""

    def __call__(self, job: Job) -> int:
        """Run the job; its exit code."""

    def selects(self, job: Job) -> bool:
        """Whether the job's marker expression selects any check (a window part may have none)."""


def system_clock() -> dt.datetime:
    """Now, in UTC."""
    return dt.datetime.now(dt.timezone.utc)


class PytestRunner:
    """Runs one job as `python -m pytest -m EXPRESSION --env=FILE --reports=DIR` in the checkout, for at most `limit`."""

    def __init__(self, env_path: Path, reports: Path, project: Path = PROJECT, *, limit: Duration,
                 log: Callable[[str], None] = print) -> None:
        """Remember what to run, where, and for how long at most."""
        self.env_path, self.reports, self.project = env_path.resolve(), reports.resolve(), project
        self.limit, self.log = limit, log

    def _command(self, job: Job) -> list[str]:
        """pytest with the job's marker expression, the environment file and the archive."""
        return [sys.executable, "-m", "pytest", "-m", job.expression, f"--env={self.env_path}",
                f"--reports={self.reports}"]

    def __call__(self, job: Job) -> int:
        """The run's exit code (its output goes to this process's output).

        A run still going after `limit` (a hung target, a stuck check) is stopped with SIGTERM, on which
        it writes its report and record with the unfinished checks as errors; killed STOP_GRACE later.
        """
        child = subprocess.Popen(self._command(job), cwd=self.project)
        try:
            return child.wait(timeout=float(self.limit))
        except subprocess.TimeoutExpired:
            self.log(f"{job.name}: still running after {self.limit} (schedule.run_limit); stopping it")
            child.terminate()
        try:
            return child.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            self.log(f"{job.name}: did not stop within {STOP_GRACE:g}s of SIGTERM; killing it")
            child.kill()
            return child.wait()

    def selects(self, job: Job) -> bool:
        """Collect only (nothing is checked or archived): does the expression select any test?"""
        done = subprocess.run([*self._command(job), "--collect-only", "-q"], cwd=self.project, check=False,
                              capture_output=True)
        return done.returncode != NO_TESTS


class Daemon:
    """The jobs of one environment file, started when due, one at a time, never beside another run of it."""

    def __init__(self, env_path: Path, reports: Path, *, runner: Runner | None = None,
                 clock: Clock = system_clock, log: Callable[[str], None] = print, interval: float = 30.0) -> None:
        """Load the environment; a file without a `schedule:` section has nothing to schedule."""
        self.env_path, self.reports = env_path.resolve(), reports
        self.env = load(env_path)
        if self.env.schedule is None or not jobs.jobs(self.env.schedule):
            raise ValueError(f"{env_path} has no schedule section with a daily, weekly, monthly or quarterly time")
        self.schedule, self.zone = self.env.schedule, self.env.schedule.zone
        self.jobs = jobs.jobs(self.schedule)
        self.runner = runner or PytestRunner(env_path, reports, limit=self.schedule.run_limit, log=log)
        self.clock, self.log, self.interval = clock, log, interval
        self.settled: dict[str, dt.datetime] = {}  # job -> the due time already run (or decided not to run)
        self.recheck: dict[str, dt.datetime] = {}  # job -> do not look again before this moment
        self.refused: dict[str, dt.datetime] = {}  # job -> the due time a busy lock was reported for

    def tick(self) -> list[tuple[str, int]]:
        """Start every job that is due now, in order; the (job, exit code) of each run started."""
        started: list[tuple[str, int]] = []
        for job in self.jobs:
            now = self.clock()
            if now < self.recheck.get(job.name, now):
                continue
            due = job.due_before(self.zone, now)
            if due is None or self.settled.get(job.name) == due:
                self.recheck[job.name] = job.due_after(self.zone, now)
                continue
            if not job.may_start(self.zone, now):
                continue  # a window part waits for the window
            last, _ = jobs.last_run(job, jobs.records(self.reports, self.env.environment, self.env_path))
            if jobs.pending(job, self.zone, now, last, dt.timedelta(seconds=self.schedule.grace)) is None:
                self.settled[job.name] = due
                continue
            code = self._run(job, due, now)
            if code is not None:
                started.append((job.name, code))
        return started

    def _run(self, job: Job, due: dt.datetime, now: dt.datetime) -> int | None:
        """Run a due job under the lock; None when another run of the environment holds it."""
        late = "" if now - due < dt.timedelta(minutes=5) else f", catching up the run due {self._local(due)}"
        if job.in_window and not self.runner.selects(job):
            self.log(f"{self._local(now)}: {job.name}: no {job.cadence} check needs the maintenance window")
            self.settled[job.name] = due
            return None
        try:
            with RunLock(self.reports, self.env.environment, job.name):
                self.log(f"{self._local(now)}: starting {job.name} (-m '{job.expression}'){late}")
                self.settled[job.name] = due
                code = self.runner(job)
        except Busy as busy:
            if self.refused.get(job.name) != due:
                self.log(f"{self._local(now)}: not starting {job.name}: {busy}")
                self.refused[job.name] = due
            return None
        self.log(f"{self._local(self.clock())}: {job.name} finished with exit code {code}")
        return code

    def _local(self, moment: dt.datetime) -> str:
        """A moment on the schedule's clock."""
        return calendar.local(moment, self.zone)

    def _safe_tick(self) -> None:
        """A tick whose failure is logged, never fatal (`schedule` would let it end the loop)."""
        try:
            self.tick()
        except Exception as exc:  # noqa: BLE001 - the scheduler must outlive one bad tick
            self.log(f"{self._local(self.clock())}: scheduler tick failed: {type(exc).__name__}: {exc}")

    def serve(self, stop: threading.Event | None = None) -> None:
        """Tick at start (catching up missed runs), then every `interval` seconds until stop is set."""
        stop = stop or threading.Event()
        loop = schedule.Scheduler()
        loop.every(self.interval).seconds.do(self._safe_tick)
        self.log(f"opsverify schedule: {self.env.environment} from {self.env_path}, times in {self.schedule.timezone}")
        for job in self.jobs:
            self.log(f"  {job.name:<18} {job.rule_text:<44} next {self._local(job.due_after(self.zone, self.clock()))}")
        self._safe_tick()
        while not stop.is_set():
            loop.run_pending()
            stop.wait(max(0.2, min(self.interval, loop.idle_seconds or self.interval)))
