"""Turn environment items into parametrized tests: ids are item names, marks come from the item."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

import pytest

from opsverify.plugin.probes import Check
from opsverify.spec import Environment

Items = Callable[[Environment], Iterable[Any]]
MARK = "opsverify"


@dataclass(frozen=True)
class Spec:
    """What a verify test checks: which function, over which items, at what cadence and area."""

    check: Check
    items: Items
    cadence: str
    area: str


def check(func: Check, *, over: str | Items, cadence: str = "daily", area: str) -> pytest.MarkDecorator:
    """Mark a verify test: run `func` on every item of section `over` (a name or a function of the environment).

    The test takes one argument, `result`, and usually just calls `expect(result)`.
    """
    items = over if callable(over) else (lambda env: getattr(env, over))
    return getattr(pytest.mark, MARK)(Spec(func, items, cadence, area))


def spec_of(definition: Any) -> Spec | None:
    """The Spec a test function or item was marked with, if any."""
    marker = definition.get_closest_marker(MARK) if hasattr(definition, "get_closest_marker") else None
    return marker.args[0] if marker else None


def params(spec: Spec, env: Environment) -> list[Any]:
    """One pytest.param per item, id = item name, with cadence, area, severity and smoke marks."""
    out = []
    for item in spec.items(env):
        marks = [getattr(pytest.mark, item.cadence or spec.cadence), getattr(pytest.mark, spec.area)]
        if item.smoke or item.severity == "P1":
            marks.append(pytest.mark.smoke)
        out.append(pytest.param(item, id=item.name, marks=marks))
    return out
