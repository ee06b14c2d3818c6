"""Run every check of a session on a bounded thread pool, a few at a time per target."""

from __future__ import annotations

import inspect
import threading
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

from opsverify import result as r
from opsverify.checks import target_key
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


class ProbePool:
    """Starts checks as soon as they are known; each test then waits for its own."""

    def __init__(self, size: int = POOL_SIZE, per_target: int = PER_TARGET) -> None:
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="opsverify-probe")
        self._per_target = per_target
        self._gates: dict[str, threading.Semaphore] = defaultdict(lambda: threading.Semaphore(per_target))
        self._lock = threading.Lock()
        self._futures: dict[str, Future[r.Result]] = {}

    def submit(self, key: str, check: Check, item: Any, context: RunContext | None = None) -> None:
        """Start `check(item)` under `key` (a test's node id) unless already started."""
        with self._lock:
            if key in self._futures:
                return
            gate = self._gates[_gate_key(item)]
            self._futures[key] = self._executor.submit(self._gated, gate, check, item, context)

    def result(self, key: str, check: Check, item: Any, context: RunContext | None = None) -> r.Result:
        """The result for `key`, waiting for its probe (started now if it was not prefetched)."""
        self.submit(key, check, item, context)
        return self._futures[key].result()

    def close(self) -> None:
        """Stop accepting work; running probes end at their own timeouts."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _gated(gate: threading.Semaphore, check: Check, item: Any, context: RunContext | None) -> r.Result:
        with gate:
            return run_check(check, item, context)
