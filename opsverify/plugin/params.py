"""Turn environment items into parametrized tests: ids are item names, marks come from the item."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Iterable

import pytest

from opsverify.checks.host.fleet import machines
from opsverify.plugin.probes import Check
from opsverify.spec import Environment

Items = Callable[[Environment], Iterable[Any]]
MARK = "opsverify"


@dataclass(frozen=True)
class Spec:
    """What a verify test checks: which function, over which items, at what cadence and area."""

    target: Check | str  # the function, or where it lives: "database.connect" (in opsverify.checks), "pkg.mod:func"
    items: Items
    cadence: str
    area: str
    window: bool = False  # needs the maintenance window (the `maintenance` marker)
    gate: bool = False  # always in the post-deploy gate (the `smoke` marker), whatever the item's severity
    smoke: bool = True  # False: never in the post-deploy gate (a check that sends people a message)

    @cached_property
    def check(self) -> Check:
        """The check function, imported on first use (a check family's drivers load only when it has items)."""
        if callable(self.target):
            return self.target
        if ":" in self.target:
            module, name = self.target.split(":", 1)
        else:
            family, name = self.target.rsplit(".", 1)
            module = f"opsverify.checks.{family}"
        return getattr(importlib.import_module(module), name)


def check(func: Check | str, *, over: str | Items, cadence: str = "daily", area: str,
          window: bool = False, gate: bool = False, smoke: bool = True) -> pytest.MarkDecorator:
    """Mark a verify test: run `func` on every item of section `over` (a name or a function of the environment).

    `func` is the check itself or where it lives — "database.connect" for opsverify.checks.database.connect,
    or "package.module:function" — so that a family's drivers (SQLAlchemy, redis, …) are imported only when
    the environment has items for it, before any probe starts. The test takes one argument, `result`, and
    usually just calls `expect(result)`. `window=True` marks a check that writes or loads (a restore drill,
    a load test): the scheduler runs it inside the maintenance window. `gate=True` puts every item in the
    post-deploy gate (`-m smoke`), for checks about the deployment itself; `smoke=False` keeps every item
    out of it (a test message to people must not go out on every deploy).
    """
    items = over if callable(over) else (lambda env: getattr(env, over))
    return getattr(pytest.mark, MARK)(Spec(func, items, cadence, area, window, gate, smoke))


def having(section: str, *keys: str) -> Items:
    """The items of `section` that set any of `keys` (a limit or its warn_ twin, a list, a sub-section)."""
    return lambda env: [item for item in getattr(env, section)
                        if any(getattr(item, key, None) not in (None, (), {}, "") for key in keys)]


def spec_of(definition: Any) -> Spec | None:
    """The Spec a test function or item was marked with, if any."""
    marker = definition.get_closest_marker(MARK) if hasattr(definition, "get_closest_marker") else None
    return marker.args[0] if marker else None


def params(spec: Spec, env: Environment) -> list[Any]:
    """One pytest.param per item (per machine of a fleet), id = item name, with cadence, area, severity and smoke
    marks."""
    out = []
    for item in spec.items(env):
        marks = [getattr(pytest.mark, item.cadence or spec.cadence), getattr(pytest.mark, spec.area)]
        if spec.window:
            marks.append(pytest.mark.maintenance)  # never in the post-deploy gate, whatever its severity
        elif spec.gate or (spec.smoke and (item.smoke or item.severity == "P1")):
            marks.append(pytest.mark.smoke)
        out.extend(pytest.param(one, id=one.name, marks=marks) for one in machines(item))
    return out
