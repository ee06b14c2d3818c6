"""Pydantic's validation errors, rewritten as findings a person reads: key path and a plain sentence."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from opsverify.spec.errors import Finding, Path, closest, suggest
from opsverify.spec.schema import element, is_model, keys_of, literal_choices, union_members, unwrap
from opsverify.spec.secret import shorten
from opsverify.spec.types import NAME_PATTERN

_EXPECTED = {
    "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
    "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false",
    "string_type": "text",
    "tuple_type": "a list", "list_type": "a list",
    "dict_type": "a mapping of keys", "model_type": "a mapping of keys", "model_attributes_type": "a mapping of keys",
    "date_type": "a date like 2027-01-31", "date_parsing": "a date like 2027-01-31",
    "date_from_datetime_parsing": "a date like 2027-01-31", "date_from_datetime_inexact": "a date like 2027-01-31",
}
_BOUNDS = {"greater_than_equal": ("ge", "at least"), "greater_than": ("gt", "more than"),
           "less_than_equal": ("le", "at most"), "less_than": ("lt", "less than")}
_TEXT_LIMIT = 60


@dataclass(frozen=True)
class Place:
    """Where a pydantic error points, in the file's terms."""

    path: Path  # the key path in the data (pydantic's union member tags dropped)
    model: type[BaseModel] | None  # the model that owns the last key
    annotation: Any  # the annotation of the value at the path
    branch: tuple[Path, str, int] | None  # a union passed through: (its path, member tag, depth below it)


def friendly(errors: list[ErrorDetails], root: type[BaseModel], sourced: dict[Path, tuple[str, ...]]) -> list[Finding]:
    """One finding per distinct problem; of a union's failed members only the one that got furthest speaks."""
    placed = [(place(root, err["loc"]), err) for err in errors]
    best: dict[Path, tuple[str, int]] = {}
    for where, _ in placed:
        if where.branch and where.branch[2] > best.get(where.branch[0], ("", -1))[1]:
            best[where.branch[0]] = where.branch[1:]
    paths = [where.path for where, _ in placed]
    misspelt = {where.path[:-1] + (_closest(where),) for where, err in placed if err["type"] == "extra_forbidden"}
    out: list[Finding] = []
    for where, err in placed:
        if where.branch and where.branch[1] != best[where.branch[0]][0]:
            continue
        if err["type"] == "missing" and where.path in misspelt:
            continue  # `max_agee: unknown key; did you mean 'max_age'?` already says it
        if err["type"] == "too_short" and any(p[:len(where.path)] == where.path != p for p in paths):
            continue  # pydantic counts a tuple's invalid entries as missing ones; their own errors say more
        finding = (where.path, describe(err, where, sourced))
        if finding not in out:
            out.append(finding)
    return out


def place(root: type[BaseModel], loc: tuple[str | int, ...]) -> Place:
    """Follow a pydantic error location through the models' annotations."""
    path: list[str | int] = []
    annotation: Any = root
    model = None
    branch = None
    for depth, part in enumerate(loc):
        annotation = unwrap(annotation)
        members = union_members(annotation)
        if members:
            branch = branch or (tuple(path), str(part), len(loc) - depth - 1)
            annotation = next((m for m in members if getattr(unwrap(m), "__name__", None) == part), None)
            continue
        model = annotation if is_model(annotation) else None
        annotation = keys_of(model).get(str(part)) if model else element(annotation)
        path.append(part)
    return Place(tuple(path), model, annotation, branch)


def describe(err: ErrorDetails, where: Place, sourced: dict[Path, tuple[str, ...]]) -> str:
    """The sentence for one error."""
    kind = err["type"]
    ctx = err.get("ctx", {})
    shown = show(err.get("input"), where.path, sourced)
    if kind == "extra_forbidden":
        return unknown_key(str(where.path[-1]), where.model)
    if kind == "missing":
        return "missing required key"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", err["msg"]))
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {shown}"
    if kind == "literal_error":
        choices = literal_choices(where.annotation)
        got = err.get("input")
        hint = suggest(got, choices) if isinstance(got, str) and where.path not in sourced else ""
        return f"must be one of {', '.join(choices) or ctx.get('expected')}; got {shown}{hint}"
    if kind in _BOUNDS:
        name, words = _BOUNDS[kind]
        return f"must be {words} {ctx.get(name)}, got {shown}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "too_short":
        count = ctx.get("min_length")
        return "needs at least one entry" if count == 1 else f"needs at least {count} entries"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == NAME_PATTERN:
        return f"a name uses only letters, digits, '-', '_' and '.'; got {shown}"
    return str(err["msg"])


def _closest(where: Place) -> str | None:
    """The key an unknown key most likely meant, if any."""
    return closest(str(where.path[-1]), keys_of(where.model)) if where.model else None


def unknown_key(key: str, model: type[BaseModel] | None) -> str:
    """`unknown key; did you mean 'max_age'?`, else the keys that are allowed there."""
    keys = list(keys_of(model)) if model else []
    hint = suggest(key, keys)
    if hint or not keys:
        return f"unknown key{hint}"
    return f"unknown key; the keys here are: {', '.join(keys)}"


def show(value: Any, path: Path, sourced: dict[Path, tuple[str, ...]]) -> str:
    """A value as it is quoted in a message; values from environment variables are not repeated."""
    if path in sourced:
        return "the value of " + ", ".join(f"${{{name}}}" for name in sourced[path])
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return repr(shorten(value, _TEXT_LIMIT))
    return "a list" if isinstance(value, list) else ("a mapping" if isinstance(value, dict) else type(value).__name__)
