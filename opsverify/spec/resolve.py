"""Fill in what items inherit: severity and timeout (own, else the enclosing entry's, else defaults), ca_file, body_limit."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast

from opsverify.spec.models.common import Entry, Model
from opsverify.spec.models.environment import Defaults, Environment
from opsverify.spec.models.health import Endpoint
from opsverify.spec.models.pages import Page
from opsverify.spec.secret import Secret, sensitive_header
from opsverify.spec.schema import nested_models
from opsverify.spec.units import Duration, Size


@dataclass(frozen=True)
class Inherited:
    """What an entry gets when it does not set it itself."""

    severity: str
    timeout: Duration
    ca_file: str | None
    body_limit: Size


def resolve(env: Environment) -> Environment:
    """The environment with every Entry's severity and timeout set and every ca_file defaulted."""
    defaults = env.defaults
    inherited = Inherited(defaults.severity, defaults.timeout, defaults.ca_file, defaults.body_limit)
    filled = cast(Environment, _fill(env, inherited))
    return filled.model_copy(update={"endpoints": tuple(_redact(e, env.redact) for e in filled.endpoints),
                                     "pages": tuple(_redact(p, env.redact) for p in filled.pages)})


def _redact(endpoint: Endpoint | Page, redact: tuple[str, ...]) -> Any:
    """The endpoint (or page) with header values named in `redact` turned into Secrets."""
    headers = {k: Secret(v) if isinstance(v, str) and sensitive_header(k, redact) else v
               for k, v in endpoint.headers.items()}
    return endpoint.model_copy(update={"headers": headers})


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
    if "body_limit" in type(value).model_fields and cast(Any, value).body_limit is None:
        update["body_limit"] = inherited.body_limit
    for field in nested_models(type(value)):
        update[field.attribute] = _fill(getattr(value, field.attribute), inherited)
    return value.model_copy(update=update)
