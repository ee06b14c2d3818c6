"""${VAR}, ${VAR:-default} and $${ in string values, before validation."""

from __future__ import annotations

from opsverify.spec.interpolate import interpolate
from tests.spec.helpers import SOURCE, at, ok, one


def test_variables_defaults_and_escapes() -> None:
    """Set variables win; a default fills an unset or empty one; $${ is a literal ${; keys are left alone."""
    out = interpolate({"a": "x-${A}-y", "b": "${B:-fallback}", "c": "${EMPTY:-d}", "d": "$${A}",
                       "${A}": "key", "e": ["${A}", 3, None], "f": "${EMPTY}"},
                      {"A": "1", "EMPTY": ""})
    assert out.data == {"a": "x-1-y", "b": "fallback", "c": "d", "d": "${A}", "${A}": "key",
                        "e": ["1", 3, None], "f": ""}
    assert out.findings == []
    assert out.sourced[("a",)] == ("A",) and ("d",) not in out.sourced


def test_values_are_replaced_before_validation() -> None:
    """A number from a variable is validated as a number."""
    env = ok("""\
        environment: ${ENV_NAME:-staging}
        smtp:
          - {name: relay, host: mail, port: "${SMTP_PORT:-2525}"}
        """, {"ENV_NAME": "prod"})
    assert env.environment == "prod" and env.smtp[0].port == 2525


def test_missing_variable_names_variable_key_and_line() -> None:
    """No default and not set: one problem, not a second one about the emptied value."""
    problem = one("""\
        environment: x
        databases:
          - name: main
            url: postgresql://app:${PG_PASSWORD}@db/app
        """)
    at(problem, 4, "databases[0].url", "PG_PASSWORD", "not set", "${PG_PASSWORD:-default}")
    assert SOURCE in str(problem.file)


def test_unclosed_variable() -> None:
    """A `${` that starts no variable says how to write a literal one."""
    at(one("environment: x\ndescription: cost ${ 5\n"), 2, "description", "$${")


def test_wrong_value_from_a_variable_is_not_repeated() -> None:
    """A bad value that came from the environment is named by its variable, not printed."""
    problem = one("""\
        environment: x
        smtp:
          - {name: relay, host: mail, port: "${SMTP_PORT}"}
        """, {"SMTP_PORT": "hunter2-secret"})
    at(problem, 3, "smtp[0].port", "whole number", "${SMTP_PORT}")
    assert "hunter2" not in problem.message
