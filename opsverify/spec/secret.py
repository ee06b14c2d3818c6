"""Values that must never be printed: tokens, passwords, URLs that carry them, and the registry that masks them."""

from __future__ import annotations

import base64
import html
import json
import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, quote_plus, unquote, urlsplit

MASK = "***"
CUT = "…"  # ends a shortened text
MIN_LENGTH = 4  # shorter values are not masked: they would hide ordinary words
_URI_SAFE = "!#$%&'()*+,/:;=?@[]~"  # what requests leaves unescaped when it quotes a URL (requote_uri)
# MongoDB's authSource (a database name) and authMechanism (SCRAM-SHA-256) are not secrets; `code` is OAuth's
_SECRET_PARAM = re.compile(r"(^|&)((?!(?:authSource|authMechanism)=)(?:[^=&]*(?:token|key|secret|pass|pwd|auth|sig|"
                           r"credential|jwt|session)[^=&]*|code))=([^&]*)", re.IGNORECASE)


class Secret:
    """A string whose `str` and `repr` are masked; `reveal()` gives the real value.

    Surrounding whitespace is no part of a secret (a token read from a file ends in a newline): it is
    dropped, and both the value as given and the trimmed value are masked wherever they show.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value.strip()
        for part in self._secret_parts(value):
            remember(part)

    def _secret_parts(self, given: str) -> list[str]:
        """What `scrub` must remove from any text: the value (as given and trimmed), the credential after a scheme word."""
        scheme, _, credential = self._value.partition(" ")
        return [given, self._value] + ([credential] if credential and scheme.isalpha() else [])

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
    """A URL whose password (and query values named like secrets) print as `***`.

    The password is the one every reader of the URL finds: urllib's (requests, redis-py) and the
    driver's own parser (SQLAlchemy's reads `postgresql://u:pa/ss#1@host/db`, slash and hash included).
    """

    __slots__ = ()

    def _secret_parts(self, given: str) -> list[str]:
        """Only the password and secret-named query values: the rest of the URL may be shown."""
        readings = [_urllib(self._value)]
        reader = _driver_reader(self._value)
        if reader is not None:
            try:
                readings.append(reader(self._value))
            except Exception:  # noqa: BLE001 - a URL its driver refuses is refused at run time; urllib's reading stands
                pass
        for user, password, _ in readings:
            if user and password:
                remember_login(user, password)  # Basic auth and SMTP AUTH send both, base64-encoded
        values = [v for _, password, query in readings for v in (password, *query) if v]
        return values + [unquote(v) for v in values]  # drivers may print the decoded form

    def __str__(self) -> str:
        return mask_url(self._value)

    def __repr__(self) -> str:
        return f"SecretUrl({mask_url(self._value)!r})"


Reading = tuple[str, str, list[str]]  # user, password, secret-named query values (decoded; "" when absent)


def _urllib(url: str) -> Reading:
    """How urllib reads a URL (requests and redis-py use it): the authority ends at the first `/`, `?` or `#`."""
    parts = urlsplit(url)
    query = [m.group(3) for m in _SECRET_PARAM.finditer(parts.query)]
    return unquote(parts.username or ""), unquote(parts.password or ""), query


def _sqlalchemy(url: str) -> Reading:
    """How SQLAlchemy reads a database URL: the password runs to the first `@`, whatever it holds."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    query = [v for k, values in parsed.query.items() if secret_name(k)
             for v in (values if isinstance(values, tuple) else (values,))]
    return parsed.username or "", parsed.password or "", query


def _pymongo(url: str) -> Reading:
    """How PyMongo reads a MongoDB URL (mongodb+srv:// read as mongodb://: no DNS lookup for its hosts)."""
    from pymongo.uri_parser import parse_uri

    parsed: dict[str, Any] = parse_uri("mongodb://" + url.partition("://")[2], validate=False)
    query = [str(v) for k, v in parsed["options"].items() if secret_name(k)]
    return parsed["username"] or "", parsed["password"] or "", query


def _driver_reader(url: str) -> Callable[[str], Reading] | None:
    """The parser of the library that uses the URL, when it is not urllib: PyMongo's, else SQLAlchemy's."""
    scheme = url.partition("://")[0].lower()
    if scheme in ("http", "https", "redis", "rediss", "unix", "") or "://" not in url:
        return None
    return _pymongo if scheme.startswith("mongodb") else _sqlalchemy


def secret_name(name: str) -> bool:
    """Whether a query parameter's name says its value is a secret (token, api_key, sig, jwt, code...)."""
    return _SECRET_PARAM.fullmatch(f"{name}=") is not None


SENSITIVE_HEADERS = ("authorization", "proxy-authorization", "cookie", "x-api-key", "x-auth-token")
SENSITIVE_WORDS = ("token", "secret", "password", "passwd", "apikey", "api-key", "api_key", "auth", "session", "jwt")


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

    Everything else is left as written (`sqlite:////abs/path` keeps its four slashes); a database URL
    with a password is shown as SQLAlchemy renders it with the password hidden.
    """
    if _driver_reader(url) is _sqlalchemy:
        url = _sqlalchemy_masked(url)
    parts = urlsplit(url)
    if parts.query:
        query = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}{m.group(2)}={MASK}", parts.query)
        url = url.replace(f"?{parts.query}", f"?{query}", 1)
    if parts.password is not None:
        hosts = parts.netloc.rpartition("@")[2]  # as written: one host, or MongoDB's h1:27017,h2:27017
        url = url.replace(parts.netloc, f"{parts.username}:{MASK}@{hosts}", 1)
    return url


def _sqlalchemy_masked(url: str) -> str:
    """A database URL whose password SQLAlchemy finds, rendered by SQLAlchemy with `***` for it; else as written."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy reads: urllib's masking applies
        return url
    return url if parsed.password is None else parsed.render_as_string(hide_password=True)


_lock = threading.Lock()
_known: set[str] = set()
_forms: tuple[str, ...] = ()  # a snapshot of _known that scrub reads without the lock


def remember(value: str) -> None:
    """Register a secret value: `scrub` removes it, and every form of it, from any text."""
    if len(value.strip()) >= MIN_LENGTH:
        _add(forms(value))


def remember_login(user: str, password: str) -> None:
    """Register a password, and the user and password sent together, base64-encoded: HTTP Basic, SMTP AUTH PLAIN."""
    remember(password)
    if len(password.strip()) >= MIN_LENGTH:
        _add(_base64(f"{user}:{password}") | _base64(f"\0{user}\0{password}"))


def forms(value: str) -> set[str]:
    """How a value may show in text: as is, escaped (repr, JSON, HTML), percent-encoded and base64-encoded, each of
    the value as given and trimmed. Forms are trimmed too: a match never takes the whitespace around it."""
    found: set[str] = set()
    for text in {value, value.strip()}:
        found |= {text, repr(text)[1:-1], json.dumps(text)[1:-1], html.escape(text), quote(text, safe=""),
                  quote(text, safe=_URI_SAFE), quote_plus(text)} | _base64(text)
    return {form.strip() for form in found if len(form.strip()) >= MIN_LENGTH}


def _base64(text: str) -> set[str]:
    """Standard and URL-safe base64 of the UTF-8 (and Latin-1) bytes, without padding: padded text matches too."""
    found = set()
    for encoding in ("utf-8", "latin-1"):
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError:
            continue
        found |= {base64.b64encode(data).decode().rstrip("="), base64.urlsafe_b64encode(data).decode().rstrip("=")}
    return found


def _add(new: set[str]) -> None:
    """Add forms to the registry and publish the new snapshot."""
    global _forms
    with _lock:
        if not new <= _known:
            _known.update(new)
            _forms = tuple(_known)


def scrub(text: str) -> str:
    """Every known secret in `text`, in any of its forms, replaced by `***`: the last line of defence.

    Overlapping matches (two secrets sharing characters) are masked as one, so no piece of either shows.
    """
    spans = []
    for form in _forms:
        at = text.find(form)
        while at >= 0:
            spans.append((at, at + len(form)))
            at = text.find(form, at + 1)
    if not spans:
        return text
    pieces, done = [], 0  # done: where the text shown or masked so far ends
    for start, end in sorted(spans):
        if start >= done:
            pieces += [text[done:start], MASK]
        done = max(done, end)
    return "".join(pieces) + text[done:]


def shorten(text: str, limit: int, *, whole: bool = True) -> str:
    """`text` scrubbed, then cut to `limit` characters ending in "…": a cut never shows part of a secret.

    Every truncation of text from outside (a body, a reply, a log line) goes through here. `whole=False`
    says `text` was already cut before it came here: a beginning of a secret (MIN_LENGTH characters or
    more) at its end is masked too.
    """
    clean = scrub(text)
    if not whole:
        clean = _mask_cut_secret(clean)
    return clean if len(clean) <= limit else clean[:limit - len(CUT)] + CUT


def _mask_cut_secret(text: str) -> str:
    """The text with its end masked when the end is the beginning of a known secret form."""
    longest = 0
    for form in _forms:
        for size in range(min(len(form) - 1, len(text)), max(longest, MIN_LENGTH - 1), -1):
            if text.endswith(form[:size]):
                longest = size
                break
    return text[:len(text) - longest] + MASK if longest else text
