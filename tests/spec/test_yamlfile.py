"""YAML is read with the line of every key, YAML 1.2 scalars, merges, and no duplicate keys."""

from __future__ import annotations

import datetime
from textwrap import dedent

import pytest

from opsverify.spec import SpecError
from opsverify.spec.yamlfile import parse


def test_lines_of_keys_and_list_items() -> None:
    """Each key path maps to the line the key (or list item) is on."""
    doc = parse(dedent("""\
        environment: x
        endpoints:
          - name: a
            expect:
              max_time: 2s
        """), "f.yml")
    assert doc.lines[("environment",)] == 1
    assert doc.lines[("endpoints", 0)] == 3
    assert doc.lines[("endpoints", 0, "expect", "max_time")] == 5


def test_scalars_keep_what_they_look_like() -> None:
    """`no`, `on`, `10:00` and `0640` are not false, true, 600 and 416; true, numbers and dates still are."""
    doc = parse(dedent("""\
        a: no
        on: yes
        b: 10:00
        c: 0640
        d: true
        e: 1.5
        f: 2027-01-31
        g: ~
        h: -3
        """), "f.yml")
    assert doc.data == {"a": "no", "on": "yes", "b": "10:00", "c": "0640", "d": True, "e": 1.5,
                        "f": datetime.date(2027, 1, 31), "g": None, "h": -3}


def test_merge_keys_let_the_mapping_win() -> None:
    """`<<: *anchor` copies keys in; the mapping's own keys override them, without a duplicate-key error."""
    doc = parse("base: &b {x: 1, y: 2}\nitem:\n  <<: *b\n  y: 3\n", "f.yml")
    assert doc.data["item"] == {"x": 1, "y": 3}


@pytest.mark.parametrize("text, line, words", [
    ("a: 1\nb: [1, 2\n", 3, "not valid YAML"),
    ("a: 1\n\tb: 2\n", 2, "not valid YAML"),
    ("a: 1\n---\nb: 2\n", 2, "single document"),
    ("- 1\n- 2\n", 1, "the file is a list"),
    ("just words\n", 1, "single value"),
    ("", None, "the file is empty"),
    ("a: &x [*x]\n", 1, "refers to the value that contains it"),
    ("a: !Ref b\n", 1, "!Ref"),
    ("? [a]\n: 1\n", 1, "plain word"),
    ("a: 1\nb: \x00\n", 2, "#x0000"),
])
def test_unreadable_yaml_is_a_spec_error_with_its_line(text: str, line: int | None, words: str) -> None:
    """Syntax errors, several documents, non-mappings, recursive aliases and unknown tags."""
    with pytest.raises(SpecError) as info:
        parse(text, "f.yml")
    (problem,) = info.value.problems
    assert (problem.file, problem.line) == ("f.yml", line)
    assert words in problem.message
