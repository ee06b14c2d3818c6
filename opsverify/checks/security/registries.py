"""Package registries: each package's latest release (npm dist-tags, Packagist p2 metadata, PyPI JSON).

Every request has the check's timeout; requests go out on a bounded thread pool through one
session. A package the registry did not answer for is returned as not checked, with why; after
GIVE_UP connection failures or timeouts a registry is not asked again in the same check.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter

from opsverify.checks import cause
from opsverify.checks.security.lockfiles import Package, normalize
from opsverify.checks.security.osv import version_key
from opsverify.checks.security.web import USER_AGENT
from opsverify.checks.trust import bundle
from opsverify.spec.secret import mask_url

DEFAULTS = {"npm": "https://registry.npmjs.org", "Packagist": "https://repo.packagist.org", "PyPI": "https://pypi.org"}
WORKERS = 16  # requests in flight at once
GIVE_UP = 3  # connection failures or timeouts after which a registry is not asked again
_ACCEPT = {"npm": "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"}
_FIELD = {"npm": "dist-tags.latest", "Packagist": "a release in packages", "PyPI": "info.version"}
_PRERELEASE = re.compile(r"^dev-|[._-]dev$|\d[._-]?(?:alpha|beta|rc|a|b)(?:[.-]?\d+)*$", re.IGNORECASE)


@dataclass
class Latest:
    """Per package: its registry's latest release; the packages not checked, with why; the registries asked."""

    found: dict[Package, str] = field(default_factory=dict)
    unchecked: dict[Package, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # ecosystem -> base URL (password masked)


class _Registry:
    """One ecosystem's registry: where it is, and whether it is still worth asking."""

    def __init__(self, ecosystem: str, base: str) -> None:
        """A registry at base URL `base` (no trailing slash)."""
        self.ecosystem, self.base = ecosystem, base.rstrip("/")
        self.where = urlsplit(self.base).netloc.rsplit("@", 1)[-1]  # host:port, never the credentials
        self.failures = 0
        self.down: str | None = None  # the reason every further package gets once GIVE_UP is reached
        self._lock = threading.Lock()

    def url(self, name: str) -> str:
        """Where a package's metadata is: npm `/@scope%2Fname`, Packagist `/p2/vendor/name.json`, PyPI JSON."""
        if self.ecosystem == "npm":
            return f"{self.base}/{quote(name, safe='@')}"
        if self.ecosystem == "Packagist":
            return f"{self.base}/p2/{quote(name.lower(), safe='/')}.json"
        return f"{self.base}/pypi/{quote(normalize('PyPI', name))}/json"

    def ask(self, session: requests.Session, name: str, timeout: float) -> tuple[str | None, str | None]:
        """(latest release, None), or (None, why the package could not be checked)."""
        if self.down:
            return None, self.down
        label = f"the {self.ecosystem} registry"
        try:
            response = session.get(self.url(name), timeout=timeout,
                                   headers={"Accept": _ACCEPT.get(self.ecosystem, "application/json")})
        except requests.RequestException as exc:
            reason = f"{label}: {cause(exc, self.where, timeout)}"
            with self._lock:
                self.failures += 1
                if self.failures >= GIVE_UP:
                    self.down = reason
            return None, reason
        if response.status_code == 404:
            return None, f"not on {label}"
        if response.status_code != 200:
            return None, f"{label} answered HTTP {response.status_code}"
        try:
            latest = _read(self.ecosystem, response.json(), name)
        except (ValueError, LookupError, TypeError, AttributeError):
            latest = None
        return (latest, None) if latest else (None, f"{label} answered without {_FIELD[self.ecosystem]}")


def _read(ecosystem: str, document: dict[str, Any], name: str) -> str | None:
    """The latest release in a registry's answer (Packagist: the newest stable one, else the newest)."""
    if ecosystem == "npm":
        return str(document["dist-tags"]["latest"])
    if ecosystem == "PyPI":
        return str(document["info"]["version"])
    listed = document["packages"]
    entries = listed.get(name.lower()) or (next(iter(listed.values())) if len(listed) == 1 else [])
    versions = [str(e["version"]).removeprefix("v") for e in entries if e.get("version")]  # present even minified
    stable = [v for v in versions if not _PRERELEASE.search(v)]
    return max(stable or versions, key=lambda v: version_key("Packagist", v), default=None)


def latest(packages: list[Package], bases: Mapping[str, str], timeout: float, ca_file: str | None) -> Latest:
    """Ask each package's registry (`bases`, else DEFAULTS) for its latest release; one request per name."""
    result = Latest()
    if not packages:
        return result
    registries = {p.ecosystem: _Registry(p.ecosystem, bases.get(p.ecosystem) or DEFAULTS[p.ecosystem])
                  for p in packages}
    result.sources = {e: mask_url(r.base) for e, r in registries.items()}
    names = list(dict.fromkeys((p.ecosystem, p.name) for p in packages))
    with requests.Session() as session, ThreadPoolExecutor(min(WORKERS, len(names))) as pool:
        adapter = HTTPAdapter(pool_connections=len(registries), pool_maxsize=WORKERS)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = USER_AGENT
        session.verify = bundle(ca_file)
        answers = dict(zip(names, pool.map(lambda key: registries[key[0]].ask(session, key[1], timeout), names),
                           strict=True))
    for package in packages:
        version, why = answers[(package.ecosystem, package.name)]
        if version is None:
            result.unchecked[package] = why or "no answer"
        else:
            result.found[package] = version
    return result
