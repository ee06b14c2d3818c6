"""After loading, every entry has a severity and a timeout, and every ca_file its default."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from opsverify.spec import load
from opsverify.spec.models.common import Entry
from tests.spec.helpers import ok

PRODUCTION = "fixtures/environments/production.yml"


def walk(value: Any) -> Iterator[BaseModel]:
    """Every model inside a model, depth first."""
    if isinstance(value, tuple):
        for child in value:
            yield from walk(child)
    elif isinstance(value, BaseModel):
        yield value
        for name in type(value).model_fields:
            yield from walk(getattr(value, name))


def test_built_in_defaults() -> None:
    """Without a defaults section: P2 and 10s."""
    env = ok("environment: x\ntls: [{name: site, host: example.com}]\n")
    assert (env.tls[0].severity, str(env.tls[0].timeout), env.tls[0].ca_file) == ("P2", "10s", None)


def test_defaults_section_and_own_values() -> None:
    """An item's own value wins over defaults; defaults win over the built-in ones."""
    env = ok("""\
        environment: x
        defaults: {severity: P3, timeout: 30s, ca_file: /etc/ssl/private-ca.pem}
        tls:
          - {name: a, host: a.example.com}
          - {name: b, host: b.example.com, severity: P1, timeout: 2s, ca_file: /b.pem}
        smtp:
          - {name: relay, host: mail}
        """)
    a, b = env.tls
    assert (a.severity, float(a.timeout), a.ca_file) == ("P3", 30.0, "/etc/ssl/private-ca.pem")
    assert (b.severity, float(b.timeout), b.ca_file) == ("P1", 2.0, "/b.pem")
    assert env.smtp[0].ca_file == "/etc/ssl/private-ca.pem"


def test_nested_entries_inherit_from_their_parent() -> None:
    """A host's files and logs, and the security section's audits, take the enclosing entry's severity."""
    env = ok("""\
        environment: x
        hosts:
          - name: web1
            severity: P1
            timeout: 1m
            files: [{name: env, path: /app/.env}, {name: key, path: /app/key, severity: P4}]
        security:
          severity: P3
          dependency_audit: [{lockfile: /app/composer.lock}]
        """)
    env_file, key_file = env.hosts[0].files
    assert (env_file.severity, str(env_file.timeout), key_file.severity) == ("P1", "1m", "P4")
    assert env.security.dependency_audit[0].severity == "P3"


def test_nothing_is_left_unresolved_in_the_production_example() -> None:
    """Downstream code can rely on severity and timeout never being None."""
    env = load(PRODUCTION, environ={})
    entries = [model for model in walk(env) if isinstance(model, Entry)]
    assert len(entries) > 30
    assert all(e.severity is not None and e.timeout is not None for e in entries)
    with_ca = [m for m in walk(env) if "ca_file" in type(m).model_fields and type(m).__name__ != "Defaults"]
    assert with_ca and all(m.ca_file for m in with_ca)


def test_body_limit_is_the_items_else_the_defaults_else_10mib() -> None:
    """How much of an HTTP body is read: the endpoint's body_limit, else defaults.body_limit, else 10MiB."""
    built_in = ok("environment: x\nendpoints: [{name: a, url: 'https://a.example.com/'}]\n")
    assert str(built_in.endpoints[0].body_limit) == "10MiB" and built_in.endpoints[0].body_limit == 10 * 2**20
    env = ok("""\
        environment: x
        defaults: {body_limit: 1MiB}
        endpoints:
          - {name: a, url: 'https://a.example.com/'}
          - {name: b, url: 'https://b.example.com/', body_limit: 64KiB}
        """)
    assert [e.body_limit for e in env.endpoints] == [2**20, 64 * 2**10]
