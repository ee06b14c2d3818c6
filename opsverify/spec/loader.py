"""load() and loads(): environment file -> YAML with lines -> ${VAR} -> validation -> defaults filled in."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Mapping
from pathlib import Path as FilePath

from opsverify.spec.errors import Problem, SpecError, problem
from opsverify.spec.interpolate import interpolate
from opsverify.spec.models.environment import Environment
from opsverify.spec.resolve import resolve
from opsverify.spec.validate import validate
from opsverify.spec.yamlfile import parse


def load(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> Environment:
    """Read and validate an environment file; SpecError (never a traceback) when it cannot be used."""
    return load_hashed(path, environ)[0]


def load_hashed(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> tuple[Environment, str]:
    """load(), and the SHA-256 of the very bytes it read (a run records those, whatever happens to the file later)."""
    source = str(path)
    try:
        data = FilePath(path).read_bytes()
        text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").read()  # decoded as read_text() would
    except FileNotFoundError:
        raise SpecError([Problem(source, None, "", "the file does not exist")]) from None
    except UnicodeDecodeError as exc:
        raise SpecError([Problem(source, None, "", f"not UTF-8 text (byte {exc.start})")]) from None
    except OSError as exc:
        raise SpecError([Problem(source, None, "", f"cannot be read: {exc.strerror or exc}")]) from None
    return loads(text, source=source, environ=environ), hashlib.sha256(data).hexdigest()


def loads(text: str, source: str = "<string>", environ: Mapping[str, str] | None = None) -> Environment:
    """Validate environment-file text; `source` names it in messages; ${VAR} comes from `environ` (os.environ)."""
    document = parse(text, source)
    expanded = interpolate(document.data, os.environ if environ is None else environ)
    broken = [path for path, _ in expanded.findings]
    env, findings = validate(expanded.data, document.lines, expanded.sourced)
    findings = expanded.findings + [(path, message) for path, message in findings
                                    if not any(path[:len(b)] == b for b in broken)]
    if env is None or findings:
        raise SpecError([problem(source, document.lines, finding) for finding in findings])
    return resolve(env)
