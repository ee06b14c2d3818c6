"""The web posture of the public base URLs, open ports, and dependency audits."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import PlainValidator

from opsverify.spec.models.common import Entry, Listed, located
from opsverify.spec.types import AdvisorySource, Count, Name, Port, WebSecretUrlT, WebUrl


def keyword_or_list(keyword: str, what: str) -> Callable[[Any], str | tuple[str, ...]]:
    """A validator for `keyword` or a list of non-empty strings (`what` names them in the message)."""

    def check(value: Any) -> str | tuple[str, ...]:
        """The keyword itself, or the list as a tuple."""
        if value == keyword:
            return keyword
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) and v.strip() for v in value):
            return tuple(v.strip() for v in value)
        raise ValueError(f"must be {keyword!r} or a list of {what}")

    return check


def _scan_ports(value: Any) -> str | tuple[int | str, ...]:
    """`default`, or a non-empty list of ports, `FROM-TO` ranges and `default` (the default set)."""
    if value == "default":
        return "default"
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError("must be 'default' or a list of ports and ranges like 8000-8100")
    out: list[int | str] = []
    for entry in value:
        text = str(entry).strip() if isinstance(entry, (int, str)) and not isinstance(entry, bool) else ""
        bounds = re.fullmatch(r"(\d{1,5})(?:\s*-\s*(\d{1,5}))?", text)
        if text == "default":
            out.append(text)
        elif bounds and 1 <= int(bounds[1]) <= int(bounds[2] or bounds[1]) <= 65535:
            out.append(int(text) if bounds[2] is None else f"{int(bounds[1])}-{int(bounds[2])}")
        else:
            raise ValueError(f"{entry!r} is not a port (1-65535) or a range like 8000-8100")
    return tuple(out)


Headers = Annotated[str | tuple[str, ...], PlainValidator(keyword_or_list("recommended", "header names"))]
Paths = Annotated[str | tuple[str, ...], PlainValidator(keyword_or_list("default", "paths"))]
ScanPorts = Annotated[str | tuple[int | str, ...], PlainValidator(_scan_ports)]


def site_name(url: str) -> str:
    """The id of a base URL in test ids: its host and path, `app.example.com` or `example.com/shop`."""
    parts = urlsplit(url)
    return (parts.netloc.rsplit("@", 1)[-1] + parts.path).rstrip("/")


class DependencyAudit(Listed):
    """A lockfile on a host: known vulnerabilities at or below `max_severity`; optionally, how far behind it may be."""

    lockfile: str  # composer.lock, package-lock.json, requirements.txt, poetry.lock
    host: Name | None = None  # a name from `hosts`; None: the local machine
    max_severity: Literal["low", "medium", "high", "critical"] = "medium"
    advisories: AdvisorySource | None = None  # a folder or .zip of OSV JSON, or an OSV API URL; None: https://api.osv.dev
    max_outdated: Count | None = None  # packages whose locked version is behind the registry's latest release
    warn_max_outdated: Count | None = None
    max_major_behind: Count | None = None  # packages a whole major version or more behind
    registries: dict[Literal["npm", "Packagist", "PyPI"], WebSecretUrlT] = {}  # ecosystem -> base URL (a mirror)

    @property
    def own_id(self) -> str:
        """`web1:/var/www/app/composer.lock`."""
        return located(self.host, self.lockfile)

    @property
    def checks_freshness(self) -> bool:
        """Whether it sets an outdated-packages limit (then `test_dependency_freshness` runs on it)."""
        return any(v is not None for v in (self.max_outdated, self.warn_max_outdated, self.max_major_behind))


class Security(Entry):
    """Headers, cookies, exposed paths, debug pages, redirects, ports and dependency audits."""

    base_urls: tuple[WebUrl, ...] = ()
    headers: Headers = "recommended"  # or a list of header names
    session_cookies: tuple[str, ...] = ()  # must be Secure, HttpOnly, SameSite
    exposed_paths: Paths = "default"  # or a list of paths
    debug_pages: bool = True
    https_redirect: bool = True
    allowed_ports: dict[str, tuple[Port, ...]] = {}  # host name -> the only open ports
    scan_ports: ScanPorts = "default"  # ports 1-1024 and well-known data ports, or a list of ports and ranges
    dependency_audit: tuple[DependencyAudit, ...] = ()
    ca_file: str | None = None
