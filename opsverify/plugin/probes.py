"""Run every check of a session on a bounded pool of daemon threads, a few at a time per target.

Each test gets its check's result by the check's deadline (`checks.deadline.budget_of` plus GRACE):
a check still running then is given up as `error`, its worker is replaced, and its target's slot is
freed. Workers are daemon threads, so a check stuck in a read never keeps the process alive.
"""

from __future__ import annotations

import inspect
import queue
import threading
import time
from collections import defaultdict
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Callable

from opsverify import result as r
from opsverify.checks import show_seconds, target_key
from opsverify.checks.deadline import GRACE, budget_of
from opsverify.context import RunContext
from opsverify.spec.secret import scrub

Check = Callable[[Any], r.Result]

POOL_SIZE = 32
PER_TARGET = 8


def wants_context(check: Check) -> bool:
    """Whether a check takes the run context (a keyword-only `context` parameter)."""
    parameter = inspect.signature(check).parameters.get("context")
    return parameter is not None and parameter.kind is inspect.Parameter.KEYWORD_ONLY


def run_check(check: Check, item: Any, context: RunContext | None = None) -> r.Result:
    """Call a check; an exception it lets through becomes an `error` result with its cause."""
    try:
        outcome = check(item, context=context) if wants_context(check) else check(item)
    except Exception as exc:  # a check must never take the run down with it
        return r.error(scrub(f"{check.__module__}.{check.__name__} crashed: {type(exc).__name__}: {exc}"))
    if not isinstance(outcome, r.Result):
        return r.error(f"{check.__name__} returned {type(outcome).__name__}, not a Result")
    return outcome


def _gate_key(item: Any) -> str:
    """The target an item talks to; items without a host or URL (documents, access reviews) share one gate."""
    try:
        return target_key(item)
    except (AttributeError, TypeError, ValueError):
        return f"local:{type(item).__name__}"


def _budget(job: _Job) -> float | None:
    """How long the job's check may take; None (no deadline) when the item cannot say."""
    try:
        return budget_of(job.check, job.item)
    except Exception:  # noqa: BLE001 - the check itself will report what is wrong with its item
        return None


@dataclass
class _Job:
    """One check on one item: its future, its target's gate, and how long it ran."""

    check: Check
    item: Any
    context: RunContext | None
    gate: threading.Semaphore
    future: Future[r.Result] = field(default_factory=Future)
    started: float | None = None
    elapsed: float = 0.0
    _settled: threading.Lock = field(default_factory=threading.Lock)
    _done: bool = False

    def settle(self, result: r.Result) -> bool:
        """Give the job its result and free its target's slot, once; False when it was settled already."""
        with self._settled:
            if self._done:
                return False
            self._done = True
        self.elapsed = time.monotonic() - (self.started or time.monotonic())
        self.gate.release()
        self.future.set_result(result)
        return True


class ProbePool:
    """Starts checks as soon as they are known; each test then waits for its own, never past its deadline."""

    def __init__(self, size: int = POOL_SIZE, per_target: int = PER_TARGET) -> None:
        self._size = size
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._gates: dict[str, threading.Semaphore] = defaultdict(lambda: threading.Semaphore(per_target))
        self._lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}
        self._workers = 0
        self._closed = False

    def submit(self, key: str, check: Check, item: Any, context: RunContext | None = None) -> None:
        """Start `check(item)` under `key` (a test's node id) unless already started."""
        with self._lock:
            if key in self._jobs or self._closed:
                return
            job = self._jobs[key] = _Job(check, item, context, self._gates[_gate_key(item)])
            if self._workers < self._size:
                self._hire()
        self._queue.put(job)

    def result(self, key: str, check: Check, item: Any, context: RunContext | None = None) -> r.Result:
        """The result for `key`, waiting for its probe (started now if it was not prefetched)."""
        self.submit(key, check, item, context)
        job = self._jobs.get(key)
        return job.future.result() if job is not None else r.error("the run was interrupted")

    def elapsed(self, key: str) -> float:
        """How long the check of `key` ran (0 before it ended)."""
        job = self._jobs.get(key)
        return job.elapsed if job is not None else 0.0

    def close(self) -> None:
        """Stop taking work; checks still running are left to their daemon threads, never waited for."""
        self._closed = True

    def _hire(self) -> None:
        """Start one more worker (called with the lock held)."""
        self._workers += 1
        threading.Thread(target=self._work, name="opsverify-probe", daemon=True).start()

    def _work(self) -> None:
        """Run jobs until closed; a worker whose job was given up leaves (a new one took its place)."""
        while not self._closed:
            job = self._queue.get()
            job.gate.acquire()
            job.started = time.monotonic()
            seconds = _budget(job)
            watch = None
            if seconds is not None:
                watch = threading.Timer(seconds + GRACE, self._give_up, (job, seconds))
                watch.daemon = True
                watch.start()
            found = run_check(job.check, job.item, job.context)
            if watch is not None:
                watch.cancel()
            if not job.settle(found):
                return

    def _give_up(self, job: _Job, seconds: float) -> None:
        """The check is past its deadline: answer its test now and let another worker take its place."""
        if job.settle(r.error(f"no answer within {show_seconds(seconds)}; the check did not end")):
            with self._lock:
                self._workers -= 1
                if not self._closed:
                    self._hire()
