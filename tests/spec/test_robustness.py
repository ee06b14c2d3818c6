"""Whatever a user breaks in a valid file, the result is an Environment or a SpecError, never a traceback."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from opsverify.spec import Environment, SpecError, loads
from opsverify.spec.errors import problem
from opsverify.spec.resolve import resolve
from opsverify.spec.validate import validate
from opsverify.spec.yamlfile import parse

PRODUCTION = Path("fixtures/environments/production.yml")
WRONG = ["abc", -1, 0, 1.5, True, None, [], {}, [{"x": 1}], "", "${"]


def paths(value: Any, path: tuple = ()) -> Iterator[tuple]:
    """Every key path in plain data."""
    yield path
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from paths(child, path + (key,))


def replaced(data: Any, path: tuple, value: Any) -> Any:
    """A copy of data with the value at path replaced (or the key removed when value is ...)."""
    out = copy.copy(data)
    if len(path) == 1 and value is ...:
        del out[path[0]]
    else:
        out[path[0]] = replaced(data[path[0]], path[1:], value) if len(path) > 1 else value
    return out


def check(data: Any, lines: dict) -> None:
    """Validate and resolve, or turn every finding into a Problem; nothing else may happen."""
    env, findings = validate(data, lines, {})
    if env is not None:
        assert isinstance(resolve(env), Environment)
    else:
        assert findings and all(problem("f", lines, f).message for f in findings)


def test_every_value_replaced_by_something_wrong() -> None:
    """Each key of the production example gets a wrong value, and each key is removed, one at a time."""
    document = parse(PRODUCTION.read_text(), str(PRODUCTION))
    data = document.data
    wrong = itertools.cycle(WRONG)
    tried = 0
    for path in list(paths(data))[1:]:
        for value in (next(wrong), ...):
            if value is ... and isinstance(path[-1], int):
                continue
            check(replaced(data, path, value), document.lines)
            tried += 1
    assert tried > 500


def test_broken_text_is_a_spec_error() -> None:
    """The file cut off every few lines, with a broken line appended, gives an Environment or a SpecError."""
    lines = PRODUCTION.read_text().splitlines(keepends=True)
    for end in range(0, len(lines), 7):
        try:
            loads("".join(lines[:end]) + "  : ]\n", environ={})
        except SpecError as exc:
            assert str(exc)
