"""Read YAML into plain values plus the line of every key, refusing duplicate keys.

Scalars follow YAML 1.2's core schema, so that `no`, `on` and `10:00` stay what they look like
(YAML 1.1 reads them as false, true and 600); a number with a leading zero (`0640`, `007`) stays text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from opsverify.spec.errors import Finding, Path, SpecError, problem

_KEPT = {"tag:yaml.org,2002:merge", "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp"}
_MERGE = "tag:yaml.org,2002:merge"
_COLLECTIONS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
MAX_DEPTH = 100  # levels of nesting: an environment file needs about ten, Python's stack allows a few hundred
MAX_REPEATED = 100_000  # values that aliases and merge keys (`<<: *defaults`) may repeat, in all


class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]  # libyaml when built
    """PyYAML's safe loader with YAML 1.2 booleans and floats, and decimal integers only."""

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {}  # filled below


for _first, _resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items():
    for _tag, _regexp in _resolvers:
        if _tag in _KEPT:
            Loader.add_implicit_resolver(_tag, _regexp, [_first])
Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                             list("tTfF"))
Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"),
                             list("-+0123456789"))
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))


@dataclass(frozen=True)
class Document:
    """A parsed file: its plain data and the line of every key path in it."""

    source: str
    data: dict[str, Any]
    lines: dict[Path, int]


def parse(text: str, source: str) -> Document:
    """Parse YAML text into a Document, or raise SpecError with the line of each problem."""
    lines: dict[Path, int] = {}
    findings: list[Finding] = []
    data = None
    try:
        loader = Loader(text)
        try:
            root = loader.get_single_node()
            if root is not None:
                lines[()] = root.start_mark.line + 1
                findings += _bounds(root, lines)
                if not findings:
                    data = _build(loader, root, (), lines, findings, set())
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        words = ", ".join(part for part in (exc.context, exc.problem) if part)
        lines, findings = ({(): mark.line + 1} if mark else {}), [((), f"not valid YAML: {words}")]
    except yaml.reader.ReaderError as exc:
        lines = {(): text.count("\n", 0, exc.position) + 1}
        findings = [((), f"not valid YAML: character #x{exc.character:04x} is not allowed")]
    if not findings and not isinstance(data, dict):
        what = "empty" if data is None else ("a list" if isinstance(data, list) else "a single value")
        findings.append(((), f"the file is {what}; it must be a mapping of keys, starting with `environment: NAME`"))
    if findings or not isinstance(data, dict):
        raise SpecError([problem(source, lines, finding) for finding in findings])
    return Document(source, data, lines)


class _TooDeep(Exception):
    """A value nested deeper than MAX_DEPTH; carries its key path."""


def _bounds(root: Node, lines: dict[Path, int]) -> list[Finding]:
    """A finding when the file nests deeper than MAX_DEPTH or its aliases repeat more than MAX_REPEATED values.

    Counted on the node graph before anything is built, each distinct node once: a "billion laughs" file of a
    few hundred bytes is refused in milliseconds instead of being expanded. Records the line of every key seen.
    """
    counted: dict[int, tuple[int, int]] = {}  # id(node) -> values it stands for, levels below it ((0, 0): counting)
    repeated, crossed = 0, None

    def count(node: Node, path: Path, depth: int) -> tuple[int, int]:
        nonlocal repeated, crossed
        known = counted.get(id(node))
        if known is not None:  # an alias, or a merge, of a node already counted (or of its own container)
            if depth + known[1] > MAX_DEPTH:  # a chain of aliases nests as deep as it is long
                raise _TooDeep(path)
            repeated += known[0]
            if crossed is None and repeated > MAX_REPEATED:
                crossed = path
            return known
        if depth > MAX_DEPTH:
            raise _TooDeep(path)
        counted[id(node)] = (0, 0)
        children: list[tuple[Node, Path]] = []
        if isinstance(node, SequenceNode):
            children = [(child, path + (index,)) for index, child in enumerate(node.value)]
        elif isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                inner = path + (key_node.value,) if isinstance(key_node, ScalarNode) else path
                lines.setdefault(inner, key_node.start_mark.line + 1)
                children += [(key_node, inner), (value_node, inner)]
        below = [count(child, where, depth + 1) for child, where in children]
        counted[id(node)] = (1 + sum(size for size, _ in below), 1 + max((levels for _, levels in below), default=0))
        return counted[id(node)]

    try:
        count(root, (), 0)
    except _TooDeep as deep:
        return [(deep.args[0], f"nested more than {MAX_DEPTH} levels deep")]
    if crossed is None:
        return []
    return [(crossed, f"aliases repeat {repeated:,} values in this file, more than the {MAX_REPEATED:,} allowed "
                      "(a YAML alias bomb?); reuse an anchor fewer times, or write the values out")]


def _build(loader: Loader, node: Node, path: Path, lines: dict[Path, int], findings: list[Finding],
           stack: set[int]) -> Any:
    """The plain value of a node; records lines and findings on the way."""
    if id(node) in stack:
        findings.append((path, "this alias refers to the value that contains it"))
        return None
    if isinstance(node, ScalarNode):
        try:
            return loader.construct_object(node)
        except ValueError:  # looks like a date but is none (2027-13-01): the field's own check words it
            return node.value
        except yaml.YAMLError as exc:
            findings.append((path, f"cannot read this value: {str(exc).splitlines()[0]}"))
            return None
    if node.tag not in _COLLECTIONS:
        findings.append((path, f"unsupported YAML tag {node.tag}"))
        return None
    stack = stack | {id(node)}
    if isinstance(node, SequenceNode):
        out = []
        for index, child in enumerate(node.value):
            lines[path + (index,)] = child.start_mark.line + 1
            out.append(_build(loader, child, path + (index,), lines, findings, stack))
        return out
    return _build_mapping(loader, node, path, lines, findings, stack)


def _build_mapping(loader: Loader, node: MappingNode, path: Path, lines: dict[Path, int],
                   findings: list[Finding], stack: set[int]) -> dict[str, Any]:
    """A mapping with its keys as written (always strings); duplicate keys are findings."""
    seen: dict[str, int] = {}
    for key_node, _ in node.value:
        if isinstance(key_node, ScalarNode) and key_node.tag != _MERGE:
            line = key_node.start_mark.line + 1
            if key_node.value in seen:
                findings.append((path + (key_node.value,),
                                 f"duplicate key {key_node.value!r} (also on line {seen[key_node.value]})"))
            seen.setdefault(key_node.value, line)
    try:
        loader.flatten_mapping(node)  # applies `<<: *anchor` merges; the mapping's own keys win
    except yaml.MarkedYAMLError as exc:
        findings.append((path, f"cannot merge here: {exc.problem}"))
        return {}
    out: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode):
            findings.append((path, "a key must be a plain word, not a list or a mapping"))
            continue
        key = key_node.value
        lines[path + (key,)] = key_node.start_mark.line + 1
        out[key] = _build(loader, value_node, path + (key,), lines, findings, stack)
    return out
