"""The demo's environment file: the packaged template with its ${DEMO_...} placeholders filled in."""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path

PLACEHOLDERS = ("DEMO_HTTP_URL", "DEMO_HTTPS_URL", "DEMO_HOST", "DEMO_HTTPS_PORT", "DEMO_DIR", "DEMO_CA_FILE",
                "DEMO_HTTP_PORT", "DEMO_SPARE_PORT")


def template() -> str:
    """The template as shipped in the package."""
    return files("opsverify.demo").joinpath("environment.yml").read_text(encoding="utf-8")


def render(values: Mapping[str, str]) -> str:
    """The template with exactly the demo placeholders replaced by plain substitution."""
    missing = sorted(set(PLACEHOLDERS) - values.keys())
    if missing:
        raise ValueError(f"no value for {', '.join(missing)}")
    text = template()
    for name in PLACEHOLDERS:
        text = text.replace("${" + name + "}", values[name])
    return text


def write(path: Path, values: Mapping[str, str]) -> Path:
    """Write the rendered environment file to path and return it."""
    path.write_text(render(values), encoding="utf-8")
    return path
