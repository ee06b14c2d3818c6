"""Every kind of mistake is a SpecError naming the file, the line and the key, in plain words."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsverify.spec import SpecError, load
from tests.spec.helpers import at, fails, ok, one

ENDPOINT = """\
    environment: staging
    endpoints:
      - name: api
        url: https://app.example.com/health
        expect:
          {key}: {value}
    """


def endpoint(key: str, value: str) -> str:
    """An environment with one endpoint whose `expect` has one key (on line 6)."""
    return ENDPOINT.replace("{key}", key).replace("{value}", value)


def test_misspelt_key_suggests_the_near_miss() -> None:
    """`max_tme` -> did you mean 'max_time'?"""
    at(one(endpoint("max_tme", "2s")), 6, "endpoints[0].expect.max_tme", "unknown key", "did you mean 'max_time'?")


def test_misspelt_required_key_is_reported_once() -> None:
    """`max_agee` is an unknown key with a suggestion, not also a missing `max_age`."""
    problem = one("""\
        environment: x
        backups:
          - name: nightly
            path: /var/backups/*.gz
            max_agee: 26h
        """)
    at(problem, 5, "backups[0].max_agee", "did you mean 'max_age'?")


def test_unknown_key_without_a_near_miss_lists_the_keys() -> None:
    """Nothing close: the allowed keys are listed."""
    at(one("environment: x\nschedule: {zzz: 1}\n"), 2, "schedule.zzz", "unknown key", "timezone", "maintenance_window")


def test_unknown_top_level_section() -> None:
    """A misspelt section name is found too."""
    at(one("environment: x\nendpionts: []\n"), 2, "endpionts", "did you mean 'endpoints'?")


def test_bad_unit_uses_the_unit_message() -> None:
    """The ValueError text from units, without pydantic's prefix."""
    problem = one(endpoint("max_time", "2 seconds"))
    at(problem, 6, "endpoints[0].expect.max_time", "'2 seconds' is not a duration", "250ms")
    assert "Value error" not in problem.message


def test_wrong_type() -> None:
    """expected a whole number, got 'abc'."""
    at(one(endpoint("status", "abc")), 6, "endpoints[0].expect.status", "expected a whole number, got 'abc'")


def test_wrong_type_inside_a_list_points_at_the_entry() -> None:
    """In `status: [200, x]` the second entry is the problem."""
    at(one(endpoint("status", "[200, x]")), 6, "endpoints[0].expect.status[1]", "whole number, got 'x'")


def test_bad_literal_lists_the_choices() -> None:
    """severity must be one of P1, P2, P3, P4."""
    problem = one("environment: x\ntls:\n  - {name: site, host: example.com, severity: P5}\n")
    at(problem, 3, "tls[0].severity", "must be one of P1, P2, P3, P4", "got 'P5'")


def test_bad_literal_with_a_near_miss() -> None:
    """`pg-dump` -> did you mean 'pg_dump'?"""
    problem = one("environment: x\nbackups:\n  - {name: b, path: /b, max_age: 1d, format: pg-dump}\n")
    at(problem, 3, "backups[0].format", "did you mean 'pg_dump'?")


def test_timeouts_must_be_positive() -> None:
    """A zero timeout would make every check an error."""
    at(one("environment: x\ndefaults: {timeout: 0s}\n"), 2, "defaults.timeout", "more than 0")


def test_yaml_words_for_booleans_are_understood() -> None:
    """yes/no/on/off stay text for YAML, and boolean keys still accept them."""
    env = ok("environment: 2024\nproduction: yes\ntls: [{name: t, host: h, verify_chain: off}]\n")
    assert (env.environment, env.production, env.tls[0].verify_chain) == ("2024", True, False)


def test_missing_required_key() -> None:
    """A missing key is reported on its item's line."""
    problem = one("environment: x\ntls:\n  - name: site\n    port: 443\n")
    at(problem, 3, "tls[0].host", "missing required key")


def test_missing_environment_name() -> None:
    """`environment` is required."""
    at(one("description: no name\n"), 1, "environment", "missing required key")


def test_bad_name() -> None:
    """Names are test ids: letters, digits, -, _ and . only."""
    at(one("environment: x\ntls:\n  - {name: my site, host: h}\n"), 3, "tls[0].name", "only letters", "'my site'")


def test_duplicate_names_name_both_lines() -> None:
    """In a top-level section and in a nested list."""
    err = fails("""\
        environment: x
        tls:
          - {name: site, host: a.example.com}
          - {name: site, host: b.example.com}
        hosts:
          - name: web1
            logs:
              - {name: errors, path: /a.log, pattern: ERROR, max: 1}
              - {name: errors, path: /b.log, pattern: ERROR, max: 1}
        """)
    first, second = err.problems
    at(first, 4, "tls[1].name", "duplicate name 'site'", "also on line 3")
    at(second, 9, "hosts[0].logs[1].name", "duplicate name 'errors'", "also on line 8")


def test_duplicate_journey_names() -> None:
    """Lists of items inside a mapping section are checked too."""
    problem = one("""\
        environment: x
        loadtests:
          host: https://staging.example.com
          journeys:
            - {name: browse, steps: [{get: /}]}
            - {name: browse, steps: [{get: /products}]}
          profiles: {load: {users: 10, duration: 1m}}
        """)
    at(problem, 6, "loadtests.journeys[1].name", "duplicate name 'browse'", "also on line 5")


def test_duplicate_names_are_reported_with_other_errors() -> None:
    """Found from the raw data, so they come in the same message as a wrong type."""
    err = fails("""\
        environment: x
        tls:
          - {name: site, host: a.example.com, port: https}
          - {name: site, host: b.example.com}
        """)
    assert [p.key for p in err.problems] == ["tls[0].port", "tls[1].name"]


@pytest.mark.parametrize("yaml, line, key, words", [
    ("backups:\n  - {name: b, path: /b, max_age: 1d, host: db9}\n", 4, "backups[0].host", "no hosts entry named 'db9'"),
    ("metrics:\n  - {name: m, database: mian, sql: SELECT 1, max: 1}\n", 4, "metrics[0].database",
     "did you mean 'main'?"),
    ("backups:\n  - name: b\n    path: /b\n    max_age: 1d\n    restore: {into: 'sqlite://', source: other}\n", 7,
     "backups[0].restore.source", "databases has main"),
    ("security:\n  dependency_audit:\n    - {lockfile: /a/composer.lock, host: web2}\n", 5,
     "security.dependency_audit[0].host", "'web2'"),
    ("compliance:\n  access_review: {database: nope, sql: SELECT 1}\n", 4, "compliance.access_review.database",
     "databases"),
    ("compliance:\n  log_retention:\n    - {path: /var/log, host: web9, min_days: 1}\n", 5,
     "compliance.log_retention[0].host", "'web9'"),
    ("notify:\n  - {name: mail, email: ops@example.com, smtp: relay}\n", 4, "notify[0].smtp", "the file has no smtp"),
])
def test_unknown_cross_reference(yaml: str, line: int, key: str, words: str) -> None:
    """A reference to another section must name an item that exists there."""
    head = "environment: x\ndatabases: [{name: main, url: 'sqlite://'}]\n"
    at(one(head + yaml), line, key, words)


def test_duplicate_yaml_key() -> None:
    """The second occurrence is the problem, and the first line is named."""
    at(one("environment: x\ndescription: a\ndescription: b\n"), 3, "description", "duplicate key", "also on line 2")


def test_yaml_syntax_error_has_its_line() -> None:
    """Unbalanced brackets."""
    at(one("environment: x\ntls: [{name: a, host: b}\nsmtp: []\n"), 3, "", "not valid YAML")


def test_not_a_mapping() -> None:
    """A list at the top is not an environment file."""
    at(one("- environment: x\n"), 1, "", "the file is a list")


def test_file_missing(tmp_path: Path) -> None:
    """A path that does not exist."""
    with pytest.raises(SpecError) as info:
        load(tmp_path / "nope.yml")
    assert info.value.problems[0].message == "the file does not exist"
    assert str(tmp_path / "nope.yml") in str(info.value)


@pytest.mark.parametrize("content, words", [(None, "is a folder"), (b"environment: \xff\n", "not UTF-8")])
def test_unreadable_file(tmp_path: Path, content: bytes | None, words: str) -> None:
    """A directory, or bytes that are not UTF-8."""
    path = tmp_path / "env.yml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(SpecError, match=words):
        load(path)


def test_message_is_one_paragraph_naming_the_file() -> None:
    """File first, then one indented line per problem, in line order."""
    text = str(fails("environment: x\ntls:\n  - {name: a, host: b, port: x}\n"
                     "  - {name: c, host: d, min_days_valid: many, verify_chain: maybe}\n"))
    lines = text.splitlines()
    assert lines[0] == "The environment file env.yml has 3 problems; nothing was checked:"
    assert lines[1] == "  line 3, tls[0].port: expected a whole number, got 'x'"
    assert [line.split(",")[0] for line in lines[2:]] == ["  line 4", "  line 4"]
    assert "Traceback" not in text


def test_many_problems_are_capped() -> None:
    """At most 15 are listed, then how many more."""
    items = "".join(f"  - {{name: t{i}, host: h, port: x}}\n" for i in range(20))
    err = fails("environment: x\ntls:\n" + items)
    assert len(err.problems) == 20
    assert str(err).splitlines()[-1] == "  ... and 5 more"
    assert len(str(err).splitlines()) == 17
