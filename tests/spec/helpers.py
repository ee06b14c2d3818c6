"""Load environment text the way the tests need it: in an empty environment, failing or not."""

from __future__ import annotations

from collections.abc import Mapping
from textwrap import dedent

import pytest

from opsverify.spec import Environment, Problem, SpecError, loads

SOURCE = "env.yml"


def ok(text: str, environ: Mapping[str, str] | None = None) -> Environment:
    """The Environment from dedented YAML text (empty process environment unless given)."""
    return loads(dedent(text), source=SOURCE, environ=environ or {})


def fails(text: str, environ: Mapping[str, str] | None = None) -> SpecError:
    """The SpecError that dedented YAML text raises."""
    with pytest.raises(SpecError) as info:
        ok(text, environ)
    return info.value


def one(text: str, environ: Mapping[str, str] | None = None) -> Problem:
    """The only problem of a text that has exactly one."""
    err = fails(text, environ)
    assert len(err.problems) == 1, str(err)
    return err.problems[0]


def at(problem: Problem, line: int | None, key: str, *words: str) -> None:
    """Assert where a problem is and that its message says every one of `words`."""
    assert (problem.file, problem.line, problem.key) == (SOURCE, line, key), str(problem)
    for word in words:
        assert word in problem.message, str(problem)


def bomb(levels: int, merge: bool = False) -> str:
    """The review's "billion laughs": each level ten aliases to the one before (as a list, or as merge keys)."""
    lines = ["environment: x", "a0: &a0 {k: v}" if merge else "a0: &a0 [l,l,l,l,l,l,l,l,l,l]"]
    for n in range(1, levels + 1):
        refs = ",".join([f"*a{n - 1}"] * 10)
        lines.append(f"a{n}: &a{n} {{<<: [{refs}]}}" if merge else f"a{n}: &a{n} [{refs}]")
    return "\n".join([*lines, f"description: *a{levels}", ""])
