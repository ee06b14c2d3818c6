"""Security headers of a base URL, judged like Mozilla's HTTP Observatory; version banners are warnings."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import urlsplit

from opsverify.checks import probe
from opsverify.checks.security import Site
from opsverify.checks.security.web import Page, get
from opsverify.result import Result, failed, passed, warning
from opsverify.spec.secret import shorten

SIX_MONTHS = 15_768_000  # seconds: the Observatory's minimum HSTS max-age
REFERRER_POLICIES = ("no-referrer", "no-referrer-when-downgrade", "origin", "origin-when-cross-origin",
                     "same-origin", "strict-origin", "strict-origin-when-cross-origin", "unsafe-url")
LEAKY_REFERRER = ("unsafe-url", "no-referrer-when-downgrade")
BANNERS = ("Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version", "X-Generator")
VERSION = re.compile(r"\d+\.\d+|/\s*\d")
SHOWN = 120  # characters of a header value quoted in a reason
Policy = dict[str, list[str]]


@probe
def header(site: Site) -> Result:
    """One header (site.subject, lower-case) of the base URL's final answer, judged by its rule."""
    page = get(site, site.url)
    rule = RULES.get(site.subject, _present)
    result = rule(page, site.subject)
    if page.status >= 400:
        result = replace(result, reason=f"{result.reason} (the page answered {page.status})")
    return result.with_evidence(url=page.url, status=page.status, header=site.subject,
                                value=_short(page.headers.get(site.subject, "")) or None)


@probe
def banner(site: Site) -> Result:
    """Server, X-Powered-By and similar headers must not reveal product versions (a warning otherwise)."""
    page = get(site, site.url)
    shown = {name: page.headers[name] for name in BANNERS if page.headers.get(name)}
    leaks = [f"{name}: {_short(value)}" for name, value in shown.items() if VERSION.search(value)]
    if leaks:
        return warning(f"version revealed in {'; '.join(leaks)}", evidence={"url": page.url, **shown})
    plain = f" ({'; '.join(f'{k}: {_short(v)}' for k, v in shown.items())})" if shown else ""
    return passed(f"no version in the response headers{plain}", evidence={"url": page.url, **shown})


def _hsts(page: Page, name: str) -> Result:
    """HSTS on an HTTPS answer with max-age of at least six months."""
    if urlsplit(page.url).scheme != "https":
        return failed(f"{page.url} is plain http: browsers ignore Strict-Transport-Security there")
    value = page.headers.get(name)
    if not value:
        return failed("no Strict-Transport-Security header")
    directives = {k.strip().lower(): v.strip().strip('"') for k, _, v in
                  (part.partition("=") for part in value.split(",")[0].split(";")) if k.strip()}
    age = directives.get("max-age", "")
    if not age.isdigit():
        return failed(f"Strict-Transport-Security has no valid max-age: {_short(value)!r}")
    extras = [word for word in ("includeSubDomains", "preload") if word.lower() in directives]
    detail = f"HSTS max-age is {_days(int(age))}" + (f" ({', '.join(extras)})" if extras else "")
    if int(age) < SIX_MONTHS:
        return failed(f"{detail}; at least {_days(SIX_MONTHS)} (six months)", value=int(age), unit="s",
                      limit=str(SIX_MONTHS))
    return passed(detail, value=int(age), unit="s", limit=str(SIX_MONTHS))


def _csp(page: Page, name: str) -> Result:
    """An enforced CSP; 'unsafe-inline'/'unsafe-eval' or any-host sources in script-src are warnings."""
    policies = _policies(page.headers.get(name, ""))
    if not policies:
        only = page.headers.get("Content-Security-Policy-Report-Only")
        return failed("no Content-Security-Policy header" +
                      (" (only Content-Security-Policy-Report-Only, which enforces nothing)" if only else ""))
    loose = [_script_problems(p) for p in policies]
    problems = min(loose, key=len)  # several policies are all enforced: the strictest decides
    scripts = policies[0].get("script-src", policies[0].get("default-src"))
    if problems:
        return warning(f"Content-Security-Policy is present but {'; '.join(problems)}")
    return passed(f"Content-Security-Policy present; scripts from {' '.join(scripts or [])}")


def _script_problems(policy: Policy) -> list[str]:
    """What lets untrusted scripts run under one policy."""
    sources = policy.get("script-src", policy.get("default-src"))
    if sources is None:
        return ["it sets neither script-src nor default-src, so scripts are not restricted"]
    lowered = [s.lower() for s in sources]
    problems = []
    nonce_or_hash = any(s.startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-")) for s in lowered)
    if "'unsafe-inline'" in lowered and not nonce_or_hash and "'strict-dynamic'" not in lowered:
        problems.append("'unsafe-inline' in script-src lets injected inline scripts run")
    if "'unsafe-eval'" in lowered:
        problems.append("'unsafe-eval' in script-src allows eval()")
    wide = [s for s in lowered if s in ("*", "http:", "https:", "data:")]
    if wide and "'strict-dynamic'" not in lowered:
        problems.append(f"script-src allows {' '.join(wide)}")
    return problems


def _policies(value: str) -> list[Policy]:
    """The policies of a CSP header value (comma-separated), each as directive -> sources."""
    found = []
    for text in value.split(","):
        policy: Policy = {}
        for directive in text.split(";"):
            words = directive.split()
            if words and words[0].lower() not in policy:
                policy[words[0].lower()] = words[1:]
        if policy:
            found.append(policy)
    return found


def _framing(page: Page, name: str) -> Result:
    """X-Frame-Options DENY/SAMEORIGIN, or CSP frame-ancestors (which takes precedence) without `*`."""
    ancestors = next((p["frame-ancestors"] for p in _policies(page.headers.get("Content-Security-Policy", ""))
                      if "frame-ancestors" in p), None)
    if ancestors is not None:
        if "*" in ancestors or not ancestors:
            return failed(f"CSP frame-ancestors {' '.join(ancestors) or '(empty)'} lets any site frame the page")
        return passed(f"CSP frame-ancestors {' '.join(ancestors)}")
    value = page.headers.get(name, "").strip()
    if value.upper() in ("DENY", "SAMEORIGIN"):
        return passed(f"X-Frame-Options {value.upper()}")
    if value:
        return failed(f"X-Frame-Options {_short(value)!r} is neither DENY nor SAMEORIGIN "
                      "(browsers ignore ALLOW-FROM), and CSP sets no frame-ancestors")
    return failed("neither X-Frame-Options nor CSP frame-ancestors: any site can frame the page (clickjacking)")


def _nosniff(page: Page, name: str) -> Result:
    """X-Content-Type-Options: nosniff."""
    value = page.headers.get(name, "").strip()
    if value.lower() == "nosniff":
        return passed("X-Content-Type-Options nosniff")
    if value:
        return failed(f"X-Content-Type-Options is {_short(value)!r}; expected nosniff")
    return failed("no X-Content-Type-Options: nosniff header")


def _referrer(page: Page, name: str) -> Result:
    """A Referrer-Policy browsers understand (the last valid token wins); leaky ones are warnings."""
    value = page.headers.get(name, "")
    if not value.strip():
        return failed("no Referrer-Policy header")
    known = [t for t in (t.strip().lower() for t in value.split(",")) if t in REFERRER_POLICIES]
    if not known:
        return failed(f"Referrer-Policy {_short(value)!r} is not a policy browsers know")
    if known[-1] in LEAKY_REFERRER:
        return warning(f"Referrer-Policy {known[-1]} sends full URLs (with their query strings) to other sites")
    return passed(f"Referrer-Policy {known[-1]}")


def _present(page: Page, name: str) -> Result:
    """Any other header named in the list: present with a value."""
    value = page.headers.get(name, "").strip()
    return passed(f"{name}: {_short(value)}") if value else failed(f"no {name} header")


def _days(seconds: int) -> str:
    """Seconds as days: "1 day", "182.5 days"."""
    days = seconds / 86400
    return f"{days:.4g} day" if days == 1 else f"{days:.4g} days"


def _short(value: str) -> str:
    """A header value scrubbed of secrets, cut to SHOWN characters."""
    return shorten(value, SHOWN)


RULES: dict[str, Callable[[Page, str], Result]] = {
    "strict-transport-security": _hsts, "content-security-policy": _csp, "x-frame-options": _framing,
    "x-content-type-options": _nosniff, "referrer-policy": _referrer,
}
