"""One line about an environment, for `opsverify check-env`."""

from __future__ import annotations

from opsverify.spec.models.common import Model
from opsverify.spec.models.environment import Environment

SETTINGS = ("redact",)  # lists that configure the run rather than name things to check


def summary(env: Environment) -> str:
    """`production (production: true): 3 endpoints, 2 tls, ...; with security, schedule`."""
    values = [(key, getattr(env, key)) for key in Environment.model_fields if key not in SETTINGS]
    counts = [f"{len(value)} {key}" for key, value in values if isinstance(value, tuple) and value]
    sections = [key for key, value in values if isinstance(value, Model) and key != "defaults"]
    flag = " (production: true)" if env.production else ""
    text = f"{env.environment}{flag}: " + (", ".join(counts) or "no items")
    return text + (f"; with {', '.join(sections)}" if sections else "")
