"""Names unique within each list of items, and references between sections that must name something real."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from opsverify.spec.errors import Finding, Path, line_of, suggest
from opsverify.spec.models.common import Item, Listed
from opsverify.spec.schema import nested_models

# where a name is used -> the section it must name an item of ("*" stands for every index of a list)
REFERENCES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("backups", "*", "host"), "hosts"),
    (("backups", "*", "restore", "source"), "databases"),
    (("metrics", "*", "database"), "databases"),
    (("security", "dependency_audit", "*", "host"), "hosts"),
    (("compliance", "access_review", "database"), "databases"),
    (("compliance", "log_retention", "*", "host"), "hosts"),
    (("notify", "*", "smtp"), "smtp"),
    (("apps", "*", "host"), "hosts"),
    (("backups", "*", "before_release", "host"), "hosts"),
    (("backups", "*", "after_change", "host"), "hosts"),
    (("backups", "*", "copies", "*", "host"), "hosts"),
    (("apps", "*", "database"), "databases"),
)
# where a key is used -> the mapping section it needs (its region, credentials, ...)
NEEDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("metrics", "*", "cloudwatch"), "aws"),
)


def duplicate_names(model: type[BaseModel], data: Any, lines: dict[Path, int], path: Path = ()) -> list[Finding]:
    """Every repeated `name` in every list of items, read from the raw data so it is found with other errors."""
    if not isinstance(data, dict):
        return []
    found: list[Finding] = []
    for field in nested_models(model):
        value, here = data.get(field.key), path + (field.key,)
        if not field.many:
            found += duplicate_names(field.model, value, lines, here)
        elif isinstance(value, list):
            if issubclass(field.model, (Item, Listed)):
                found += _repeats(value, here, lines)
            for index, child in enumerate(value):
                found += duplicate_names(field.model, child, lines, here + (index,))
    return found


def _repeats(items: list[Any], path: Path, lines: dict[Path, int]) -> list[Finding]:
    """Findings for names used twice in one list, each naming the line of the first use."""
    first: dict[str, Path] = {}
    found: list[Finding] = []
    for index, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str):
            continue
        here = path + (index, "name")
        if name in first:
            found.append((here, f"duplicate name {name!r} (also on line {line_of(lines, first[name])}); "
                                "names are test ids and must be unique in a list"))
        first.setdefault(name, here)
    return found


def dangling_references(env: BaseModel) -> list[Finding]:
    """References naming no item of their section (REFERENCES); keys whose section is missing (NEEDS)."""
    found: list[Finding] = []
    for pattern, section in REFERENCES:
        names = [item.name for item in getattr(env, section)]
        for path, value in _values(env, pattern, ()):
            if value is not None and value not in names:
                known = f"; {section} has {', '.join(names)}" if names else f"; the file has no {section}"
                found.append((path, f"there is no {section} entry named {value!r}{suggest(value, names) or known}"))
    for pattern, section in NEEDS:
        if getattr(env, section) is None:
            found += [(path, f"needs the `{section}:` section (region, credentials); the file has none")
                      for path, value in _values(env, pattern, ()) if value is not None]
    return found


def _values(obj: Any, pattern: tuple[str, ...], path: Path) -> Iterator[tuple[Path, Any]]:
    """The values at every path matching `pattern` under `obj`."""
    if not pattern:
        yield path, obj
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        for index, child in enumerate(obj):
            yield from _values(child, rest, path + (index,))
    elif obj is not None:
        yield from _values(getattr(obj, head), rest, path + (head,))
