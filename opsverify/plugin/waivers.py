"""Waivers: accepted risks that keep a check running but stop its failure from failing the run, until they expire."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from opsverify.spec.models.notify import Waiver


@dataclass
class Waivers:
    """The environment's waivers as of one day, and which collected tests each one names."""

    waivers: tuple[Waiver, ...]
    today: dt.date
    matched: dict[int, list[str]] = field(default_factory=dict)  # waiver index -> node ids

    def review(self, nodeids: list[str]) -> list[str]:
        """Note which tests each waiver names; the warnings to show at start (unmatched or expired waivers)."""
        notes = []
        for index, waiver in enumerate(self.waivers):
            self.matched[index] = [n for n in nodeids if waiver.matches(n)]
            if not self.matched[index]:
                notes.append(f"waiver {_called(waiver)} matches no test in this run: check its test id "
                             f"(approved by {waiver.approved_by}, expires {waiver.expires})")
            elif waiver.expired(self.today):
                notes.append(f"waiver {_called(waiver)} expired on {waiver.expires}: it is ignored and "
                             f"{_tests(len(self.matched[index]))} count again (approved by {waiver.approved_by})")
        return notes

    def active(self, nodeid: str) -> Waiver | None:
        """The first unexpired waiver naming this test."""
        return next((w for w in self.waivers if w.matches(nodeid) and not w.expired(self.today)), None)

    def expired(self, nodeid: str) -> Waiver | None:
        """An expired waiver naming this test (shown beside its failure), when no active one does."""
        return next((w for w in self.waivers if w.matches(nodeid) and w.expired(self.today)), None)

    def summary(self, outcomes: dict[str, str]) -> list[dict[str, Any]]:
        """Each waiver for the record: its terms, its state (active, expired, unmatched) and the tests it named."""
        rows = []
        for index, waiver in enumerate(self.waivers):
            tests = self.matched.get(index, [])
            state = "unmatched" if not tests else "expired" if waiver.expired(self.today) else "active"
            rows.append({**terms(waiver), "state": state,
                         "tests": [{"nodeid": n, "outcome": outcomes.get(n, "not run")} for n in tests]})
        return rows


def terms(waiver: Waiver) -> dict[str, str]:
    """What a report shows of a waiver."""
    return {"name": waiver.name, "check": waiver.check, "reason": waiver.reason, "approved_by": waiver.approved_by,
            "expires": waiver.expires.isoformat()}


def _called(waiver: Waiver) -> str:
    """How the notes name a waiver: `csp-rollout ('test_x[y]')`, or just the test id it names."""
    return f"{waiver.name} ({waiver.check!r})" if waiver.name else repr(waiver.check)


def _tests(n: int) -> str:
    """'the test' or 'its 3 tests'."""
    return "the test it names" if n == 1 else f"the {n} tests it names"
