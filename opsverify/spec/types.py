"""Pydantic field types for the environment file: units, secrets, names."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, PlainSerializer, StringConstraints

from opsverify.spec.secret import Secret, SecretUrl, sensitive_header
from opsverify.spec.units import Duration, Ratio, Size, parse_duration, parse_ratio, parse_size

NAME_PATTERN = r"^[A-Za-z0-9_.-]+$"


def _secret(value: Any) -> Secret:
    """A Secret from text, or from a whole number (as YAML reads an all-digit password)."""
    if isinstance(value, Secret):
        return value
    if isinstance(value, float):
        raise ValueError("YAML read this as a decimal number, which may not be what you wrote; put it in quotes")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError("must be text")
    return Secret(value)


def _secret_url(value: Any) -> SecretUrl:
    """A SecretUrl from a non-empty string."""
    if isinstance(value, SecretUrl):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a URL string")
    return SecretUrl(value.strip())


def _regex(value: str) -> str:
    """The pattern itself, once it is known to compile."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


def _web_url(value: str) -> str:
    """An http(s) URL with a host."""
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError(f"{value!r} is not an http:// or https:// URL")
    return value


DurationT = Annotated[Duration, BeforeValidator(lambda v: v if isinstance(v, Duration) else parse_duration(v)),
                      PlainSerializer(str)]
SizeT = Annotated[Size, BeforeValidator(lambda v: v if isinstance(v, Size) else parse_size(v)),
                  PlainSerializer(str)]
RatioT = Annotated[Ratio, BeforeValidator(lambda v: v if isinstance(v, Ratio) else parse_ratio(v)),
                   PlainSerializer(str)]
SecretT = Annotated[Secret, BeforeValidator(_secret), PlainSerializer(str)]
SecretUrlT = Annotated[SecretUrl, BeforeValidator(_secret_url), PlainSerializer(str)]


def _headers(headers: Any) -> Any:
    """Header values named like credentials become Secrets; the rest stay plain text."""
    if not isinstance(headers, dict):
        return headers
    return {k: Secret(str(v)) if sensitive_header(str(k)) and not isinstance(v, Secret) else v
            for k, v in headers.items()}


HeadersT = Annotated[dict[str, str | Secret], BeforeValidator(_headers)]  # credential-like names hold a Secret
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN, min_length=1)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Port = Annotated[int, Field(ge=1, le=65535)]
Count = Annotated[int, Field(ge=0)]
RegexT = Annotated[str, AfterValidator(_regex)]
WebUrl = Annotated[str, AfterValidator(_web_url)]

# Numbers are accepted where text is meant (`owner: 33`, `approved_by: 42`): YAML decides types by look.
STRICT = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True, populate_by_name=True,
                    coerce_numbers_to_str=True)
