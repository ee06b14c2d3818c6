"""Session cookies must be Secure, HttpOnly and SameSite; found on the base URL or a likely login page."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from opsverify.checks import probe
from opsverify.checks.security import Site
from opsverify.checks.security.web import get
from opsverify.result import Result, failed, passed, skipped, warning

LOGIN_PATHS = ("/login", "/signin", "/sign-in", "/auth/login", "/user/login", "/users/sign_in",
               "/accounts/login/", "/admin/login/")
SAME_SITE = ("strict", "lax", "none")
CSRF = re.compile(r"csrf|xsrf", re.I)  # anti-CSRF tokens (Laravel's XSRF-TOKEN) are read by scripts by design


@dataclass(frozen=True)
class Cookie:
    """One Set-Cookie line: the name and its attributes (lower-case keys); the value is never kept."""

    name: str
    attributes: dict[str, str]

    @property
    def deleted(self) -> bool:
        """Whether the line removes the cookie (Max-Age <= 0 or Expires in the past)."""
        age = self.attributes.get("max-age", "")
        if age.lstrip("-").isdigit() and int(age) <= 0:
            return True
        try:
            expires = parsedate_to_datetime(self.attributes.get("expires", ""))
        except (TypeError, ValueError, IndexError):
            return False
        aware = expires if expires.tzinfo else expires.replace(tzinfo=dt.timezone.utc)
        return aware < dt.datetime.now(dt.timezone.utc)


def parse(line: str) -> Cookie:
    """A Set-Cookie header line as a Cookie."""
    first, *rest = line.split(";")
    attributes = {}
    for part in rest:
        key, _, value = part.partition("=")
        if key.strip():
            attributes[key.strip().lower()] = value.strip()
    return Cookie(first.partition("=")[0].strip(), attributes)


@probe
def session_cookie(site: Site) -> Result:
    """The cookie named site.subject, from the base URL or the first login path that sets it."""
    tried = []
    for path in ("", *LOGIN_PATHS):
        url = site.at(path) if path else site.url
        tried.append(urlsplit(url).path or "/")
        page = get(site, url)
        found = [c for c in map(parse, page.set_cookies) if c.name == site.subject and not c.deleted]
        if found:
            return _judge(site.subject, found, tried[-1])
    return skipped(f"{site.subject} was not set by {', '.join(tried)}; it may be set only after signing in "
                   "(then check it by hand) - or the name in session_cookies is wrong",
                   evidence={"tried": tried})


def _judge(name: str, found: list[Cookie], where: str) -> Result:
    """Every Set-Cookie of the session cookie must be Secure, HttpOnly and SameSite (None is a warning)."""
    problems: list[str] = []
    notes: list[str] = []
    flags: list[str] = []
    for cookie in found:
        attrs = cookie.attributes
        if "secure" not in attrs:
            problems.append("is not Secure (it is also sent over plain http)")
        if "httponly" not in attrs and not CSRF.search(name):  # scripts must read an anti-CSRF token
            problems.append("is not HttpOnly (scripts can read it)")
        same_site = attrs.get("samesite")
        if same_site is None:
            problems.append("has no SameSite attribute")
        elif same_site.lower() not in SAME_SITE:
            problems.append(f"has SameSite={same_site}, which is not Strict, Lax or None")
        elif same_site.lower() == "none":
            notes.append("has SameSite=None, so it is sent with cross-site requests")
        flags = [f for f in ("Secure", "HttpOnly") if f.lower() in attrs] + \
                ([f"SameSite={same_site}"] if same_site else [])
    evidence = {"cookie": name, "set_by": where, "attributes": flags, "set_cookie_lines": len(found)}
    if problems:
        return failed(f"{name} (set by {where}) {_and(list(dict.fromkeys(problems)))}", evidence=evidence)
    if notes:
        return warning(f"{name} (set by {where}) {_and(list(dict.fromkeys(notes)))}", evidence=evidence)
    return passed(f"{name} (set by {where}) is {', '.join(flags)}", evidence=evidence)


def _and(parts: list[str]) -> str:
    """Parts joined as "a, b and c"."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
