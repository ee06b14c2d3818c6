"""What a URL, a host name or a header may hold, per kind of item: its schemes, a host, and one line of text.

Messages name the scheme or the position of a bad character, never the value: it may carry a secret.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

WEB = ("http", "https")
SQL = ("postgresql", "mysql", "mariadb", "sqlite", "mssql", "oracle")  # SQLAlchemy's own dialects
SCRATCH = ("postgresql", "mysql", "mariadb", "sqlite")  # what a restore drill restores into
CACHE = ("redis", "rediss", "unix", "memcached")
BACKUP_STORES = ("s3",)  # a backup path is a glob, or one of these URLs
_WORDS = {WEB: "an http:// or https:// URL", CACHE: "a redis://, rediss://, unix:// or memcached:// URL",
          BACKUP_STORES: "a path or an s3:// URL"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NAMED = {"\r": "CR", "\n": "LF", "\x00": "NUL", "\t": "TAB", "\x7f": "DEL"}
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP header name (RFC 9110 token)
_HOST = re.compile(r"[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")


def one_line(text: str, what: str) -> str:
    """`text`, unless it holds a control character (CR, LF, NUL, …) that would split or cut a request."""
    found = _CONTROL.search(text)
    if found:
        char = found.group()
        raise ValueError(f"{what} contains a control character ({_NAMED.get(char, f'0x{ord(char):02x}')} at "
                         f"character {found.start() + 1}); it must be one line of text")
    return text


def with_scheme(text: str, schemes: tuple[str, ...], *, driver: bool = False) -> str:
    """`text`, when it is one line with one of `schemes` (`scheme+driver` when `driver`), web URLs with a host."""
    one_line(text, "the URL")
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise ValueError(f"is not a URL: {exc}") from None
    scheme = parts.scheme.lower()
    if (scheme.partition("+")[0] if driver else scheme) not in schemes:
        raise ValueError(f"is not {_words(schemes, driver)}: "
                         + (f"it starts with {scheme}:" if scheme else "it has no scheme"))
    if schemes == WEB and not parts.hostname:
        raise ValueError(f"is not {_words(schemes, driver)}: it names no host")
    return text


def host_name(text: str) -> str:
    """A host name or an IP address (smtp.example.com, 10.0.0.5, ::1), without a scheme, port or path."""
    one_line(text, "the host")
    if not _HOST.fullmatch(text):
        raise ValueError("is not a host name or address (like smtp.example.com or 10.0.0.5): "
                         + ("write the host alone, without a scheme" if "://" in text else
                            "it may hold only letters, digits, '.', '-', '_' (and ':' in an IPv6 address)"))
    return text


def header(name: str, value: str) -> None:
    """Raise ValueError unless `name` is an HTTP header name and `value` one line."""
    if not _TOKEN.fullmatch(name):
        raise ValueError(f"{name!r} is not a header name (letters, digits and !#$%&'*+.^_`|~-)")
    one_line(value, f"the value of header {name}")


def _words(schemes: tuple[str, ...], driver: bool) -> str:
    """How the allowed schemes are said in a message."""
    if schemes in _WORDS:
        return _WORDS[schemes]
    listed = ", ".join(f"{s}://" for s in schemes[:-1]) + f" or {schemes[-1]}://"
    return f"a SQLAlchemy URL ({listed}{', with +driver if needed' if driver else ''})"
