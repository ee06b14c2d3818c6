"""YAML is read with the line of every key, YAML 1.2 scalars, merges, and no duplicate keys."""

from __future__ import annotations

import datetime
import time
from textwrap import dedent

import pytest

from opsverify.spec import SpecError
from opsverify.spec.yamlfile import parse
from tests.spec.helpers import bomb


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


def test_an_alias_bomb_is_refused_before_it_is_expanded() -> None:
    """534 bytes that expand to 10^9 values took > 6 GB; now one problem naming the line, without building."""
    text = bomb(9)
    assert len(text) < 600
    start = time.monotonic()
    with pytest.raises(SpecError) as info:
        parse(text, "f.yml")
    assert time.monotonic() - start < 2  # in practice well under a millisecond
    (problem,) = info.value.problems
    assert (problem.line, problem.key) == (6, "a4[7]"), str(problem)  # where the repeats pass 100,000
    assert problem.message.startswith("aliases repeat 23,456,790,101 values in this file, more than the 100,000 "
                                      "allowed (a YAML alias bomb?)"), problem.message


@pytest.mark.parametrize("hidden", [False, True])
def test_a_merge_key_bomb_is_refused(hidden: bool) -> None:
    """The same with `<<:` merges, also when the anchors sit where nothing is built (under an unknown tag)."""
    text = bomb(9, merge=True)
    if hidden:
        body = text.split("\n")[1:-2]
        text = "environment: x\nhidden: !unknown\n" + "".join(f"  {line}\n" for line in body) + "d: {<<: *a9}\n"
    with pytest.raises(SpecError) as info:
        parse(text, "f.yml")
    assert "alias bomb" in info.value.problems[0].message, str(info.value)


def test_anchors_and_merge_keys_in_ordinary_use_still_work() -> None:
    """300 items merging shared defaults repeat 3,600 values: far under the bound."""
    items = "".join(f"  - {{<<: *defaults, name: e{n}}}\n" for n in range(300))
    text = "defaults: &defaults {severity: P1, timeout: 2s, tags: [smoke, api], cadence: daily, controls: [a]}\n"
    doc = parse(text + "endpoints:\n" + items, "f.yml")
    assert doc.data["endpoints"][299] == {"severity": "P1", "timeout": "2s", "tags": ["smoke", "api"],
                                          "cadence": "daily", "controls": ["a"], "name": "e299"}


@pytest.mark.parametrize("flow", [False, True])
def test_nesting_deeper_than_100_levels_is_a_spec_error(flow: bool) -> None:
    """500 levels used to end in a RecursionError traceback (libyaml itself stops only at 1000)."""
    text = ("a: " + "[" * 500 + "]" * 500 + "\n") if flow else \
        "".join(" " * i + f"k{i}:\n" for i in range(500)) + " " * 500 + "x: 1\n"
    with pytest.raises(SpecError) as info:
        parse(text, "f.yml")
    (problem,) = info.value.problems
    assert problem.message == "nested more than 100 levels deep", str(problem)
    parse("".join(" " * i + f"k{i}:\n" for i in range(40)) + " " * 40 + "x: 1\n", "f.yml")  # 40 is fine


def test_a_chain_of_aliases_counts_as_deep_as_it_nests() -> None:
    """150 anchors each holding an alias of the one before: 150 levels once built, though each is written flat."""
    text = "a0: &a0 {k: x}\n" + "".join(f"a{n}: &a{n} {{k: *a{n - 1}}}\n" for n in range(1, 150))
    with pytest.raises(SpecError) as info:
        parse(text, "f.yml")
    (problem,) = info.value.problems
    assert (problem.line, problem.key, problem.message) == (99, "a98.k", "nested more than 100 levels deep")
