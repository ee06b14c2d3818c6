"""load() and loads(): environment file -> YAML with lines -> ${VAR} -> validation -> defaults filled in."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping

from opsverify.spec.errors import Problem, SpecError, problem
from opsverify.spec.interpolate import interpolate
from opsverify.spec.models.environment import Environment
from opsverify.spec.resolve import resolve
from opsverify.spec.units import format_bytes
from opsverify.spec.validate import validate
from opsverify.spec.yamlfile import parse

MAX_BYTES = 64 * 2**20  # an environment file is kilobytes; a 10 MB one (173,000 endpoints) still loads
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def load(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> Environment:
    """Read and validate an environment file; SpecError (never a traceback) when it cannot be used.

    The Environment's `source_sha256` is the SHA-256 of the very bytes that were parsed.
    """
    source = str(path)
    data = read(source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError([Problem(source, None, "", f"not UTF-8 text (byte {exc.start})")]) from None
    return _checked(text, source, environ, hashlib.sha256(data).hexdigest())


def read(source: str) -> bytes:
    """The bytes of a regular file of at most MAX_BYTES; a FIFO, a device or a folder is refused without waiting."""
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO without a writer: no wait
    except FileNotFoundError:
        raise SpecError([Problem(source, None, "", "the file does not exist")]) from None
    except OSError as exc:
        raise SpecError([Problem(source, None, "", f"cannot be read: {exc.strerror or exc}")]) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "something else")
            raise SpecError([Problem(source, None, "", f"is {kind}; only a regular file is read")])
        with os.fdopen(fd, "rb", closefd=False) as file:
            data = file.read(MAX_BYTES + 1) if info.st_size <= MAX_BYTES else b""
    except OSError as exc:
        raise SpecError([Problem(source, None, "", f"cannot be read: {exc.strerror or exc}")]) from None
    finally:
        os.close(fd)
    if info.st_size > MAX_BYTES or len(data) > MAX_BYTES:  # the size, or a file that grew while it was read
        raise SpecError([Problem(source, None, "", f"is {format_bytes(max(info.st_size, len(data)))}; an "
                                                   f"environment file may be at most {format_bytes(MAX_BYTES)}")])
    return data


def loads(text: str, source: str = "<string>", environ: Mapping[str, str] | None = None) -> Environment:
    """Validate environment-file text; `source` names it in messages; ${VAR} comes from `environ` (os.environ)."""
    return _checked(text, source, environ, hashlib.sha256(text.encode("utf-8")).hexdigest())


def _checked(text: str, source: str, environ: Mapping[str, str] | None, sha256: str) -> Environment:
    """The validated Environment of `text`, carrying the SHA-256 of its bytes."""
    document = parse(text, source)
    expanded = interpolate(document.data, os.environ if environ is None else environ)
    broken = [path for path, _ in expanded.findings]
    env, findings = validate(expanded.data, document.lines, expanded.sourced)
    findings = expanded.findings + [(path, message) for path, message in findings
                                    if not any(path[:len(b)] == b for b in broken)]
    if env is None or findings:
        raise SpecError([problem(source, document.lines, finding) for finding in findings])
    return resolve(env).with_source(sha256)
