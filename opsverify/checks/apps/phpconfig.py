"""Laravel's cached config (`php artisan config:cache`): a PHP `var_export` array read into Python values.

Only literals are read: arrays, quoted strings, numbers, true/false/NULL. An object or enum case
(`\\Foo::__set_state(array (...))`, `\\App\\Level::Debug`) is kept as its class text; nothing is evaluated.
"""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<array>(?:\(object\)\s*)?array\s*\()
    | (?P<object>\\?[A-Za-z_][\w\\]*::__set_state\s*\()
    | (?P<const>\\?[A-Za-z_][\w\\]*::\w+)
    | (?P<string>'(?:[^'\\]|\\.)*')
    | (?P<number>-?(?:\d+\.\d*(?:E[+-]?\d+)?|\d+(?:E[+-]?\d+)?|INF)|NAN)
    | (?P<word>true|false|null)
    | (?P<punct>=>|,|\)|;)
    )""", re.X | re.I | re.S)
_WORDS = {"true": True, "false": False, "null": None}


class NotPhpConfig(ValueError):
    """Text that is not a `return array (...);` of literals."""


def parse(text: str) -> Any:
    """The value a config:cache file returns."""
    body = text.lstrip()
    if not body.startswith("<?php"):
        raise NotPhpConfig("it does not start with <?php")
    match = re.match(r"<\?php\s+return\s+", body)
    if match is None:
        raise NotPhpConfig("it does not `return` an array")
    tokens = _Tokens(body, match.end())
    value = tokens.value()
    tokens.expect(";")
    return value


def literal(value: Any) -> str:
    """A value written back as PHP writes it: true, NULL, 'production', 3."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return str(value)


def dig(config: Any, *keys: str) -> Any:
    """config['a']['b']…, or None where a key is missing or a value is not an array."""
    for key in keys:
        if not isinstance(config, dict):
            return None
        config = config.get(key)
    return config


class _Tokens:
    """A cursor over var_export text."""

    def __init__(self, text: str, at: int) -> None:
        self.text, self.at = text, at

    def next(self) -> tuple[str, str]:
        """The next token's kind and text."""
        match = _TOKEN.match(self.text, self.at)
        if match is None or match.lastgroup is None:
            shown = self.text[self.at:self.at + 30].strip() or "the end of the file"
            raise NotPhpConfig(f"unexpected {shown!r}")
        self.at = match.end()
        return match.lastgroup, match[match.lastgroup]

    def peek(self) -> str:
        """The next token's text, without moving."""
        at = self.at
        try:
            return self.next()[1]
        finally:
            self.at = at

    def expect(self, text: str) -> None:
        """Move past this punctuation or fail."""
        kind, found = self.next()
        if found != text:
            raise NotPhpConfig(f"expected {text!r}, found {found!r}")

    def value(self) -> Any:
        """One value: an array (as a dict), a literal, or an object's class text."""
        kind, found = self.next()
        if kind == "array":
            return self.array()
        if kind == "object":
            self.value()  # the state array, read and dropped
            self.expect(")")
            return found[:found.index("::")]
        if kind == "string":
            return re.sub(r"\\([\\'])", r"\1", found[1:-1])
        if kind == "number":
            return float(found) if re.search(r"[.EIN]", found, re.I) else int(found)
        if kind == "word":
            return _WORDS[found.lower()]
        if kind == "const":
            return found
        raise NotPhpConfig(f"unexpected {found!r}")

    def array(self) -> dict[Any, Any]:
        """`key => value,` pairs up to the closing parenthesis."""
        items: dict[Any, Any] = {}
        while self.peek() != ")":
            key = self.value()
            self.expect("=>")
            items[key] = self.value()
            if self.peek() == ",":
                self.next()
        self.next()
        return items
