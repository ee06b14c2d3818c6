"""Fill in what items inherit: severity and timeout (own, else the enclosing entry's, else defaults), ca_file,
body_limit, redact."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast

from opsverify.spec.models.common import Entry, Model
from opsverify.spec.models.environment import Defaults, Environment
from opsverify.spec.secret import Secret, sensitive_header
from opsverify.spec.schema import nested_models
from opsverify.spec.units import Duration, Size


@dataclass(frozen=True)
class Inherited:
    """What an entry gets when it does not set it itself."""

    severity: str
    timeout: Duration
    ca_file: str | None
    redact: tuple[str, ...]  # header names whose values are secrets, for every item that sends headers
    body_limit: Size


def resolve(env: Environment) -> Environment:
    """The environment with every Entry's severity and timeout set, every ca_file defaulted, `redact` applied."""
    defaults = env.defaults
    inherited = Inherited(defaults.severity, defaults.timeout, defaults.ca_file, env.redact, defaults.body_limit)
    return cast(Environment, _fill(env, inherited))


def _redacted(headers: dict[str, Any], redact: tuple[str, ...]) -> dict[str, Any]:
    """Headers with the values named in `redact` (or named like credentials) turned into Secrets."""
    return {k: Secret(v) if isinstance(v, str) and sensitive_header(k, redact) else v for k, v in headers.items()}


def _fill(value: Any, inherited: Inherited) -> Any:
    """A copy of `value` (a model, a tuple of models, or anything else) with inherited values filled in."""
    if isinstance(value, tuple):
        return tuple(_fill(child, inherited) for child in value)
    if not isinstance(value, Model) or isinstance(value, Defaults):
        return value
    update: dict[str, Any] = {}
    if isinstance(value, Entry):
        inherited = replace(inherited,
                            severity=value.severity if value.severity is not None else inherited.severity,
                            timeout=value.timeout if value.timeout is not None else inherited.timeout)
        update.update(severity=inherited.severity, timeout=inherited.timeout)
    if "ca_file" in type(value).model_fields:
        own = cast(Any, value).ca_file
        inherited = replace(inherited, ca_file=own if own is not None else inherited.ca_file)
        update["ca_file"] = inherited.ca_file
    headers = getattr(value, "headers", None)
    if isinstance(headers, dict):  # endpoints, pages, http metrics: any item that sends headers
        update["headers"] = _redacted(headers, inherited.redact)
    if "body_limit" in type(value).model_fields and cast(Any, value).body_limit is None:
        update["body_limit"] = inherited.body_limit
    for field in nested_models(type(value)):
        update[field.attribute] = _fill(getattr(value, field.attribute), inherited)
    return value.model_copy(update=update)
