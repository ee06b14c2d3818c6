"""Security posture: what the `security:` section turns into, one check item per URL and header, path, port scan.

The verify tests take their items from the functions here; each item carries the section (for
severity, cadence, timeout and ca_file) and what it is about, and its `name` is the test id:
`app.example.com-content-security-policy`, `app.example.com/.env`, `app.example.com`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from opsverify.spec import Environment
from opsverify.spec.models.health import Tls
from opsverify.spec.models.security import DependencyAudit, Security, site_name
from opsverify.spec.secret import SecretUrl
from opsverify.spec.units import Duration

RECOMMENDED = ("strict-transport-security", "content-security-policy", "x-frame-options",
               "x-content-type-options", "referrer-policy")
MIN_TLS_VERSION = "TLSv1.2"  # for base URLs that no `tls:` item with min_version covers


@dataclass(frozen=True)
class _Part:
    """What every security item shares: the section's severity, cadence, tags and timeout."""

    security: Security

    @property
    def severity(self) -> str | None:
        """The section's severity."""
        return self.security.severity

    @property
    def cadence(self) -> str | None:
        """The section's cadence, if it sets one (else the check's default)."""
        return self.security.cadence

    @property
    def smoke(self) -> bool:
        """Whether the section is tagged smoke."""
        return self.security.smoke

    @property
    def timeout(self) -> Duration | None:
        """The timeout of each request."""
        return self.security.timeout

    @property
    def ca_file(self) -> str | None:
        """Extra trusted CAs for HTTPS."""
        return self.security.ca_file


@dataclass(frozen=True)
class Site(_Part):
    """One base URL, and optionally what about it is checked (a header, a cookie, a path)."""

    url: str
    subject: str = ""
    joiner: str = "-"

    def __post_init__(self) -> None:
        """A password in the base URL (a basic-auth staging site) is remembered, so every reason masks it."""
        SecretUrl(self.url)

    @property
    def name(self) -> str:
        """The test id: `app.example.com`, `app.example.com-referrer-policy`, `app.example.com/.env`."""
        return site_name(self.url) + (self.joiner + self.subject if self.subject else "")

    def at(self, path: str) -> str:
        """The URL of a path on this site (below the base URL's own path)."""
        return self.url.rstrip("/") + "/" + path.lstrip("/")


@dataclass(frozen=True)
class PortScan(_Part):
    """One host of `allowed_ports`: the only ports that may answer there."""

    host: str
    allowed: tuple[int, ...]

    @property
    def name(self) -> str:
        """The test id: the host as written."""
        return self.host

    @property
    def url(self) -> str:
        """Where the scan goes, for the per-target concurrency limit."""
        return f"tcp://{self.host}"


@dataclass(frozen=True)
class Audit(_Part):
    """One `dependency_audit` entry (its own severity, cadence and timeout win)."""

    audit: DependencyAudit

    @property
    def name(self) -> str:
        """The test id: `web1:/var/www/app/composer.lock`."""
        return self.audit.name

    @property
    def severity(self) -> str | None:
        """The entry's severity."""
        return self.audit.severity

    @property
    def cadence(self) -> str | None:
        """The entry's cadence, else the section's."""
        return self.audit.cadence or self.security.cadence

    @property
    def smoke(self) -> bool:
        """Whether the entry is tagged smoke."""
        return self.audit.smoke

    @property
    def timeout(self) -> Duration | None:
        """The timeout of each read or request."""
        return self.audit.timeout

    @property
    def url(self) -> str:
        """Where the lockfile is, for the per-target concurrency limit."""
        return f"file://{self.audit.host or 'localhost'}{self.audit.lockfile}"


def sites(env: Environment) -> list[Site]:
    """One item per base URL."""
    return [Site(env.security, url) for url in env.security.base_urls] if env.security else []


def header_items(env: Environment) -> list[Site]:
    """One item per base URL and required header (lower-case names)."""
    if env.security is None:
        return []
    wanted = env.security.headers
    names = RECOMMENDED if wanted == "recommended" else tuple(dict.fromkeys(h.lower() for h in wanted))
    return [Site(env.security, url, name) for url in env.security.base_urls for name in names]


def cookie_items(env: Environment) -> list[Site]:
    """One item per base URL and session cookie name."""
    if env.security is None:
        return []
    return [Site(env.security, url, cookie) for url in env.security.base_urls
            for cookie in env.security.session_cookies]


def exposure_items(env: Environment, default: tuple[str, ...]) -> list[Site]:
    """One item per base URL and exposed path (`default` in a list stands for the default paths)."""
    if env.security is None:
        return []
    listed = env.security.exposed_paths
    paths = [p for entry in ((listed,) if isinstance(listed, str) else listed)
             for p in (default if entry == "default" else ("/" + entry.lstrip("/"),))]
    return [Site(env.security, url, path, joiner="") for url in env.security.base_urls
            for path in dict.fromkeys(paths)]


def debug_items(env: Environment) -> list[Site]:
    """The base URLs, when `debug_pages` is on."""
    return sites(env) if env.security and env.security.debug_pages else []


def redirect_items(env: Environment) -> list[Site]:
    """The base URLs, when `https_redirect` is on."""
    return sites(env) if env.security and env.security.https_redirect else []


def port_items(env: Environment) -> list[PortScan]:
    """One item per host named in `allowed_ports`; no other host is ever scanned."""
    if env.security is None:
        return []
    return [PortScan(env.security, host, tuple(ports)) for host, ports in env.security.allowed_ports.items()]


def audit_items(env: Environment) -> list[Audit]:
    """One item per `dependency_audit` entry."""
    if env.security is None:
        return []
    return [Audit(env.security, audit) for audit in env.security.dependency_audit]


def freshness_items(env: Environment) -> list[Audit]:
    """The `dependency_audit` entries that set an outdated-packages limit (same ids as the audit's)."""
    return [item for item in audit_items(env) if item.audit.checks_freshness]


def tls_items(env: Environment) -> list[Tls]:
    """A protocol check (minimum TLSv1.2) per HTTPS base URL whose host and port no `tls:` min_version covers."""
    if env.security is None:
        return []
    covered = {(t.host.lower(), t.port) for t in env.tls if t.min_version}
    found: dict[tuple[str, int], Tls] = {}
    for url in env.security.base_urls:
        parts = urlsplit(url)
        key = ((parts.hostname or "").lower(), parts.port or 443)
        if parts.scheme != "https" or key in covered or key in found:
            continue
        security = env.security
        found[key] = Tls.model_construct(
            name=site_name(f"https://{parts.netloc}"), host=key[0], port=key[1], min_version=MIN_TLS_VERSION,
            min_days_valid=None, warn_min_days_valid=None, verify_chain=True, ca_file=security.ca_file,
            severity=security.severity, cadence=security.cadence, tags=security.tags, controls=security.controls,
            timeout=security.timeout)
    return list(found.values())
