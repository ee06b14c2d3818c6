"""Check plain data against the models, the unique names, the cross-references and what production refuses;
findings, never tracebacks."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from opsverify.spec.errors import Finding, Path
from opsverify.spec.messages import friendly
from opsverify.spec.models.environment import Environment
from opsverify.spec.production import writes_in_production
from opsverify.spec.references import dangling_references, duplicate_names


def validate(data: dict[str, Any], lines: dict[Path, int],
             sourced: dict[Path, tuple[str, ...]]) -> tuple[Environment | None, list[Finding]]:
    """The Environment, or None with every finding (references are checked once the rest is valid)."""
    findings = duplicate_names(Environment, data, lines)
    errors = None
    try:
        env = Environment.model_validate(data)
    except ValidationError as exc:  # its text repeats input values; only the structured errors are kept
        errors = exc.errors(include_url=False)
    if errors is not None:
        return None, findings + friendly(errors, Environment, sourced)
    findings += dangling_references(env) + writes_in_production(env)
    return (None if findings else env), findings
