"""Plain http:// of a base URL must redirect to https:// (on the base URL's own port, then the default)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import requests

from opsverify.checks import CheckError, cause, probe, timeout_of
from opsverify.checks.security import Site
from opsverify.checks.security.web import MAX_REDIRECTS, get
from opsverify.result import Result, failed, passed, warning


def http_url(url: str) -> str:
    """The http:// twin of a base URL: same host, port and path."""
    parts = urlsplit(url)
    return urlunsplit(("http", parts.netloc, parts.path or "/", parts.query, ""))


@probe
def https_redirect(site: Site) -> Result:
    """The first answer to http:// redirects to https:// on the same host, and the chain ends on https."""
    start = http_url(site.url)
    host = urlsplit(start).hostname
    try:
        get(site, start, follow=False)
    except requests.ConnectionError as exc:
        reason = cause(exc, urlsplit(start).netloc, timeout_of(site))
        if reason.startswith("connection refused"):
            return passed(f"nothing answers plain http at {start} ({reason}), so nothing is served unencrypted")
        raise
    try:
        page = get(site, start)  # now the whole chain: a refused or untrusted https hop is an error
    except requests.TooManyRedirects:
        return failed(f"{start} redirects more than {MAX_REDIRECTS} times")
    except requests.ConnectionError as exc:
        hop = exc.request.url if exc.request is not None else start
        if hop == start:
            raise
        reason = cause(exc, urlsplit(hop).netloc, timeout_of(site))
        raise CheckError(f"{start} redirects to {hop}, which cannot be reached: {reason}") from exc
    chain = [*page.hops, (page.status, page.url)]
    evidence = {"chain": [f"{status} {url}" for status, url in chain]}
    if not page.hops:
        return failed(f"{start} answered {page.status} without redirecting to https", evidence=evidence)
    first_status, first_target = page.hops[0][0], chain[1][1]
    target = urlsplit(first_target)
    final = urlsplit(page.url)
    if final.scheme != "https":
        return failed(f"{start} redirects to {page.url}, which is not https", evidence=evidence)
    if target.scheme != "https":
        return warning(f"{start} first redirects to {first_target} (plain http) before reaching https",
                       evidence=evidence)
    if target.hostname != host:
        return warning(f"{start} first redirects to another host ({target.hostname}), so {host} never gets to "
                       "set HSTS on it", evidence=evidence)
    kind = "permanently" if first_status in (301, 308) else "temporarily"
    return passed(f"{start} redirects {kind} ({first_status}) to {first_target}", evidence=evidence)
