"""Check families: plain functions that take a typed item and return a Result; shared helpers."""

from __future__ import annotations

import functools
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, TypeVar
from urllib.parse import urlsplit

from opsverify.result import Result, error, worst
from opsverify.spec.secret import Secret, scrub
from opsverify.spec.units import Duration, Size, format_bytes, format_seconds

# Setting an old TLS version on a context warns by design (tls.protocols); the plugin adds this filter.
WARNING_FILTER = "ignore:ssl.TLSVersion:DeprecationWarning"

DEFAULT_TIMEOUT = Duration(10.0, "10s")
_PORTS = {"http": 80, "https": 443, "postgresql": 5432, "postgres": 5432, "mysql": 3306,
          "mariadb": 3306, "redis": 6379, "rediss": 6379, "memcached": 11211, "mssql": 1433,
          "oracle": 1521, "smtp": 25, "ssh": 22, "paramiko": 22, "safe-ssh": 22}

T = TypeVar("T")
C = TypeVar("C", bound=Callable[..., Any])


class CheckError(Exception):
    """A check that could not be made; its message is the reason reported as `error`."""


def target_key(item: Any) -> str:
    """The "host:port" an item talks to (`sqlite:<path>`, `unix:<path>` for files), to cap concurrency."""
    if hasattr(item, "host") and hasattr(item, "port"):
        return _join(item.host, item.port)
    url = item.url.reveal() if isinstance(item.url, Secret) else str(item.url)
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0].lower()
    if scheme == "sqlite":
        return f"sqlite:{parts.path[1:] or ':memory:'}"
    if scheme == "unix":
        return f"unix:{parts.path}"
    if scheme == "local":
        return "local"
    port = parts.port or _PORTS.get(scheme)
    return _join(parts.hostname or "localhost", port) if port else parts.hostname or url


def _join(host: str, port: int) -> str:
    """host:port, with an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def timeout_of(item: Any) -> Duration:
    """The item's timeout in seconds; 10s when unset."""
    return item.timeout if getattr(item, "timeout", None) is not None else DEFAULT_TIMEOUT


def plural(count: int, noun: str) -> str:
    """`1 query`, `2 queries`, `3 sessions`."""
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun[:-1] + 'ies' if noun.endswith('y') else noun + 's'}"


ITEM_KEYS = ("severity", "timeout", "tags", "controls", "smoke")  # what the plugin reads of a check's target


def carried(attribute: str, *more: str) -> Callable[[Any, str], Any]:
    """A `__getattr__` for a check target wrapping an environment item: ITEM_KEYS (and `more`) are the item's own."""
    keys = (*ITEM_KEYS, *more)

    def __getattr__(self: Any, key: str) -> Any:
        if key in keys:
            return getattr(getattr(self, attribute), key)
        raise AttributeError(key)

    return __getattr__


def show_seconds(value: float) -> str:
    """A duration as the user wrote it (Duration), else readably: 0.42ms, 12ms, 2.4s."""
    if isinstance(value, Duration):
        return str(value)
    if 0 < value < 0.01:
        return f"{value * 1000:.2g}ms"
    return format_seconds(value)


def show_size(value: float) -> str:
    """A size as the user wrote it (Size), else in IEC units: 10MB, 3.4MiB."""
    return str(value) if isinstance(value, Size) else format_bytes(value)


def milliseconds(seconds: float) -> float:
    """Seconds as milliseconds rounded for evidence."""
    return round(seconds * 1000, 2)


def cause(exc: BaseException, where: str, timeout: float | None = None) -> str:
    """A readable cause: "connection refused on db:5432", "no answer within 2s", the driver's text."""
    chain = list(_chain(exc))
    for e in chain:
        if isinstance(e, CheckError):
            return str(e)
    for e in chain:
        if isinstance(e, ssl.SSLCertVerificationError):
            return f"certificate verify failed: {e.verify_message}"
    text = " ".join(str(e) for e in chain).lower()
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "connection refused" in text:
        return f"connection refused on {where}"
    if any(_is_timeout(e) for e in chain) or "timed out" in text or "timeout expired" in text:
        return f"no answer within {show_seconds(timeout)}" if timeout else f"no answer from {where}"
    for e in chain:
        if isinstance(e, socket.gaierror):
            return f"cannot resolve the host of {where}: {e.strerror}"
        if isinstance(e, ConnectionResetError) or isinstance(e, ssl.SSLEOFError):
            return f"connection closed by {where}"
        if isinstance(e, ssl.SSLError):
            return f"TLS handshake with {where} failed: {e.reason or e.strerror}"
        if isinstance(e, OSError) and e.strerror:
            return f"{e.strerror} ({where})"
    return _first_line(chain[-1]) or _first_line(exc) or type(exc).__name__


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps, outermost first (driver `.orig`, urllib3 `.reason`, causes)."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        inner = [getattr(e, "orig", None), getattr(e, "reason", None), e.__cause__, e.__context__]
        inner += [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]
        todo += [i for i in inner if isinstance(i, BaseException)]


def _is_timeout(e: BaseException) -> bool:
    """Whether an exception is a timeout (builtin, socket, urllib3, requests, redis...)."""
    return isinstance(e, TimeoutError) or "timeout" in type(e).__name__.lower()


def _first_line(e: BaseException) -> str:
    """An exception's message on one line; MySQL drivers' (code, message) read as "message (MySQL code)"."""
    args = getattr(e, "args", ())
    if len(args) == 2 and isinstance(args[0], int) and isinstance(args[1], str):
        return f"{_first_line(Exception(args[1]))} (MySQL {args[0]})"
    text = scrub(str(e)).strip()  # before the first line is taken: a cut never shows part of a secret
    if text.startswith("(") and ") " in text:  # SQLAlchemy prefixes "(driver.Error) "
        text = text.split(") ", 1)[1]
    return " ".join(text.splitlines()[0].split()) if text else ""


def prepare(setup: Callable[[Any], object]) -> Callable[[C], C]:
    """Declare set-up a check needs for an item (an SSL context, a driver's import), done before any probe is timed."""

    def declare(check: C) -> C:
        check.prepare = setup  # type: ignore[attr-defined]
        return check

    return declare


def prepared(check: Callable[..., Any], item: Any) -> None:
    """Do a check's declared set-up for an item; what fails here the check itself reports when it runs."""
    setup = getattr(check, "prepare", None)
    if setup is not None:
        try:
            setup(item)
        except Exception:  # noqa: BLE001 - e.g. a missing ca_file: the check's own error says so
            pass


def probe(check: Callable[..., Result]) -> Callable[..., Result]:
    """Make a check total and bounded: any exception becomes an `error` with its cause; secrets are scrubbed.

    The check runs within its deadline (`deadline.budget_of`): sockets it guards are shut down when
    that passes. Keyword arguments (such as `context`) pass through to the check.
    """
    from opsverify.checks.deadline import Deadline, budget_of  # that module builds on this one

    @functools.wraps(check)
    def run(item: T, **kwargs: Any) -> Result:
        """The check, never raising, its result scrubbed."""
        try:
            with Deadline(budget_of(run, item)):
                result = check(item, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a check never raises
            try:
                where = target_key(item)
            except Exception:  # noqa: BLE001 - a malformed URL still gets a reason
                where = "the target"
            root = list(_chain(exc))[-1]
            result = error(cause(exc, where, timeout_of(item)), evidence={"exception": type(root).__name__})
        return _scrubbed(result)

    return run


def _scrubbed(result: Result) -> Result:
    """The result with every known secret removed from its reason, limit and evidence."""
    return replace(result, reason=scrub(result.reason), evidence=_scrub_value(result.evidence),
                   limit=scrub(result.limit) if result.limit is not None else None)


def _scrub_value(value: Any) -> Any:
    """Strings scrubbed, dicts, lists and tuples walked, anything else kept."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrub_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_scrub_value(v) for v in value)
    return value


def combine(results: list[Result], **evidence: Any) -> Result:
    """Several graded results as one: the worst status, the reasons of that status joined by " | "."""
    top = worst(results)
    same = [r for r in results if r.status is top.status]
    reason = " | ".join(r.reason for r in same)
    return Result(top.status, reason, top.value, top.unit, top.limit, {**top.evidence, **evidence})
