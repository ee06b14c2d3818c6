"""Pydantic field types for the environment file: units, secrets, names."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, PlainSerializer, StringConstraints

from opsverify.spec.secret import Secret, SecretUrl, reveal, sensitive_header
from opsverify.spec.units import Duration, Ratio, Size, parse_duration, parse_ratio, parse_size
from opsverify.spec.urls import BACKUP_STORES, CACHE, SCRATCH, WEB, header, host_name, one_line, with_scheme

NAME_PATTERN = r"^[A-Za-z0-9_.-]+$"
MAX_FOLDER_NAME = 64  # characters of an environment name: it names the archive's folder
MAX_TIMEOUT = Duration(86400.0, "24h")  # PostgreSQL's statement_timeout, libpq and sockets all take a day


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
    """A SecretUrl from a non-empty string of one line."""
    if isinstance(value, SecretUrl):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a URL string")
    return SecretUrl(one_line(value.strip(), "the URL"))


def _schemes(schemes: tuple[str, ...], *, driver: bool = False) -> AfterValidator:
    """A validator for a URL (plain or secret) with one of `schemes`."""
    def check(url: str | SecretUrl) -> str | SecretUrl:
        with_scheme(reveal(url), schemes, driver=driver)
        return url

    return AfterValidator(check)


def _path_or(schemes: tuple[str, ...]) -> AfterValidator:
    """A validator for a path, or a URL (anything with `://`) with one of `schemes`."""
    def check(text: str) -> str:
        if "://" in text:
            with_scheme(text, schemes)
        return text

    return AfterValidator(check)


def _regex(value: str) -> str:
    """The pattern itself, once it is known to compile."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


def _folder_name(value: str) -> str:
    """An environment name, which is also the name of its folder in the archive."""
    if len(value) > MAX_FOLDER_NAME:
        raise ValueError(f"is {len(value)} characters long; it names a folder in the archive: at most "
                         f"{MAX_FOLDER_NAME}")
    if not re.fullmatch(NAME_PATTERN, value) or value in (".", ".."):
        raise ValueError(f"{value!r} cannot name a folder in the archive: use letters, digits, '-', '_' and '.' "
                         "(and not . or .. alone)")
    return value


def _timeout(value: Duration) -> Duration:
    """A timeout no longer than MAX_TIMEOUT."""
    if value > MAX_TIMEOUT:
        raise ValueError(f"{value} is longer than {MAX_TIMEOUT}, the longest timeout")
    return value


DurationT = Annotated[Duration, BeforeValidator(lambda v: v if isinstance(v, Duration) else parse_duration(v)),
                      PlainSerializer(str)]
SizeT = Annotated[Size, BeforeValidator(lambda v: v if isinstance(v, Size) else parse_size(v)),
                  PlainSerializer(str)]
RatioT = Annotated[Ratio, BeforeValidator(lambda v: v if isinstance(v, Ratio) else parse_ratio(v)),
                   PlainSerializer(str)]
SecretT = Annotated[Secret, BeforeValidator(_secret), PlainSerializer(str)]
SecretUrlT = Annotated[SecretUrl, BeforeValidator(_secret_url), PlainSerializer(str)]
WebSecretUrlT = Annotated[SecretUrlT, _schemes(WEB)]  # may carry basic-auth credentials or a token
WebhookT = Annotated[SecretT, _schemes(WEB)]  # the whole URL is the secret
CacheUrlT = Annotated[SecretUrlT, _schemes(CACHE)]
ScratchUrlT = Annotated[SecretUrlT, _schemes(SCRATCH, driver=True)]
TimeoutT = Annotated[DurationT, AfterValidator(_timeout)]


def _headers(headers: Any) -> Any:
    """Header values named like credentials become Secrets; the rest stay plain text."""
    if not isinstance(headers, dict):
        return headers
    return {k: Secret(str(v)) if sensitive_header(str(k)) and not isinstance(v, Secret) else v
            for k, v in headers.items()}


def _one_line_headers(headers: dict[str, str | Secret]) -> dict[str, str | Secret]:
    """Header names that are tokens, values of one line (a CR or LF would inject a header)."""
    for name, value in headers.items():
        header(name, reveal(value))
    return headers


HeadersT = Annotated[dict[str, str | Secret], BeforeValidator(_headers),  # credential-like names hold a Secret
                     AfterValidator(_one_line_headers)]
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN, min_length=1)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Port = Annotated[int, Field(ge=1, le=65535)]
Count = Annotated[int, Field(ge=0)]
RegexT = Annotated[str, AfterValidator(_regex)]
WebUrl = Annotated[str, _schemes(WEB)]
BackupPath = Annotated[str, _path_or(BACKUP_STORES)]  # a glob on a host, or s3://bucket/prefix/pattern
AdvisorySource = Annotated[str, _path_or(WEB)]  # a folder or .zip of OSV JSON, or an OSV API URL
HostName = Annotated[str, AfterValidator(host_name)]
FolderName = Annotated[str, AfterValidator(_folder_name)]

# Numbers are accepted where text is meant (`owner: 33`, `approved_by: 42`): YAML decides types by look.
STRICT = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True, populate_by_name=True,
                    coerce_numbers_to_str=True)
