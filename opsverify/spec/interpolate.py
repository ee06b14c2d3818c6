"""`${VAR}` and `${VAR:-default}` in string values, replaced from the environment; `$${` is a literal `${`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opsverify.spec.errors import Finding, Path

_TOKEN = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}|\$\{")


@dataclass
class Interpolated:
    """The data with variables replaced, what went wrong, and which values came from which variables."""

    data: Any
    findings: list[Finding] = field(default_factory=list)
    sourced: dict[Path, tuple[str, ...]] = field(default_factory=dict)


def interpolate(data: Any, environ: Mapping[str, str]) -> Interpolated:
    """Replace variables in every string value (never in keys) of plain YAML data."""
    out = Interpolated(None)
    out.data = _walk(data, (), environ, out)
    return out


def _walk(value: Any, path: Path, environ: Mapping[str, str], out: Interpolated) -> Any:
    """A copy of `value` with every string expanded."""
    if isinstance(value, dict):
        return {key: _walk(child, path + (key,), environ, out) for key, child in value.items()}
    if isinstance(value, list):
        return [_walk(child, path + (index,), environ, out) for index, child in enumerate(value)]
    if isinstance(value, str) and "${" in value:
        return _expand(value, path, environ, out)
    return value


def _expand(text: str, path: Path, environ: Mapping[str, str], out: Interpolated) -> str:
    """One string with its variables replaced; missing ones become findings."""
    used: list[str] = []

    def replace(match: re.Match[str]) -> str:
        """The text for one `$${`, `${VAR}` or `${VAR:-default}`."""
        name, has_default, default = match.groups()
        if match.group(0) == "$${":
            return "${"
        if name is None:
            out.findings.append((path, "'${' must start ${VAR} or ${VAR:-default} (write $${ for a literal ${)"))
            return ""
        used.append(name)
        value = environ.get(name)
        if has_default is not None:
            return value or default  # like the shell: the default also replaces an empty value
        if value is None:
            out.findings.append((path, f"environment variable {name} is not set and ${{{name}}} has no default "
                                       f"(set it, or write ${{{name}:-default}})"))
            return ""
        return value

    result = _TOKEN.sub(replace, text)
    if used:
        out.sourced[path] = tuple(used)
    return result
