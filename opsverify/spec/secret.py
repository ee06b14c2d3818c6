"""Values that must never be printed: tokens, passwords, and URLs that carry them."""

from __future__ import annotations

import re
import threading
from urllib.parse import unquote, urlsplit

MASK = "***"
# MongoDB's authSource (a database name) and authMechanism (SCRAM-SHA-256) are not secrets
_SECRET_PARAM = re.compile(r"(^|&)((?!(?:authSource|authMechanism)=)"
                           r"[^=&]*(?:token|key|secret|pass|pwd|auth|sig|credential)[^=&]*)=([^&]*)", re.IGNORECASE)
_known: set[str] = set()
_lock = threading.Lock()


class Secret:
    """A string whose `str` and `repr` are masked; `reveal()` gives the real value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        for part in self._secret_parts():
            remember(part)

    def _secret_parts(self) -> list[str]:
        """What `scrub` must remove from any text: the whole value, and the credential after a scheme word."""
        scheme, _, credential = self._value.partition(" ")
        return [self._value, credential] if credential and scheme.isalpha() else [self._value]

    def reveal(self) -> str:
        """The real value, for the one place that sends it (a header, a login)."""
        return self._value

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


class SecretUrl(Secret):
    """A URL whose password (and query values named like secrets) print as `***`."""

    __slots__ = ()

    def _secret_parts(self) -> list[str]:
        """Only the password and secret-named query values: the rest of the URL may be shown."""
        parts = urlsplit(self._value)
        values = [parts.password or ""] + [m.group(3) for m in _SECRET_PARAM.finditer(parts.query)]
        return values + [unquote(v) for v in values]  # drivers may print the decoded form

    def __str__(self) -> str:
        return mask_url(self._value)

    def __repr__(self) -> str:
        return f"SecretUrl({mask_url(self._value)!r})"


SENSITIVE_HEADERS = ("authorization", "proxy-authorization", "cookie", "x-api-key", "x-auth-token")
SENSITIVE_WORDS = ("token", "secret", "password", "passwd", "apikey", "api-key", "api_key", "auth", "session")


def sensitive_header(name: str, redact: tuple[str, ...] = ()) -> bool:
    """Whether a header's value is a secret: well-known credential headers, secret-sounding names, `redact`."""
    lowered = name.lower()
    return (lowered in SENSITIVE_HEADERS or any(word in lowered for word in SENSITIVE_WORDS)
            or lowered in {r.lower() for r in redact})


def reveal(value: str | Secret) -> str:
    """The real text of a value that may or may not be a Secret."""
    return value.reveal() if isinstance(value, Secret) else value


def mask_url(url: str) -> str:
    """The URL with its password, and query values named like secrets (token, key, sig...), as `***`.

    Everything else is left exactly as written (`sqlite:////abs/path` keeps its four slashes).
    """
    parts = urlsplit(url)
    if parts.query:
        query = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}{m.group(2)}={MASK}", parts.query)
        url = url.replace(f"?{parts.query}", f"?{query}", 1)
    if parts.password is not None:
        hosts = parts.netloc.rpartition("@")[2]  # as written: one host, or MongoDB's h1:27017,h2:27017
        url = url.replace(parts.netloc, f"{parts.username}:{MASK}@{hosts}", 1)
    return url


def remember(value: str) -> None:
    """Register a secret value so `scrub` removes it from any text."""
    if value and len(value) >= 4:
        with _lock:
            _known.add(value)


def scrub(text: str) -> str:
    """Replace every known secret value in `text` with `***`: the last line of defence."""
    with _lock:
        values = sorted(_known, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    return text
