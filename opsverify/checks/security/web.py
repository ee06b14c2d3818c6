"""HTTP for the security checks: bounded reads, every Set-Cookie of a redirect chain, same-origin links."""

from __future__ import annotations

import difflib
import re
import secrets
import ssl
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from opsverify import __version__
from opsverify.checks import CheckError, show_seconds, timeout_of
from opsverify.checks.security import Site
from opsverify.checks.trust import bundle, client_context

MAX_BODY = 256 * 1024  # never read more of a response than this (a /backup.sql may be gigabytes)
MAX_REDIRECTS = 5
USER_AGENT = f"opsverify/{__version__} (security posture check; read-only)"
SIMILAR = 0.9  # line similarity at or above which a page is "the same page" as the missing-page answer


@dataclass(frozen=True)
class Page:
    """One answer: the final URL and status, its headers, the Set-Cookie lines of every hop, the body (capped)."""

    url: str
    status: int
    headers: CaseInsensitiveDict[str]
    set_cookies: tuple[str, ...]
    body: bytes
    hops: tuple[tuple[int, str], ...]  # (status, URL) of each redirect followed

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode("utf-8", errors="replace")

    @property
    def is_html(self) -> bool:
        """Whether the body is an HTML page (by content type or by its first tag)."""
        kind = self.headers.get("Content-Type", "").lower()
        start = self.text[:512].lstrip().lower()
        return "html" in kind or start.startswith(("<!doctype html", "<html", "<head", "<body"))

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return 200 <= self.status < 300


class _Trusting(HTTPAdapter):
    """Uses one prepared SSLContext: requests would otherwise re-read the whole CA bundle on every connection."""

    def __init__(self, context: ssl.SSLContext) -> None:
        """An adapter whose HTTPS connections use `context`."""
        self._context = context
        super().__init__()

    def build_connection_pool_key_attributes(self, request: requests.PreparedRequest, verify: object,
                                             cert: object = None) -> tuple[dict[str, object], dict[str, object]]:
        """The pool key with the prepared context instead of a CA file (the documented way to override it)."""
        host, pool = super().build_connection_pool_key_attributes(request, verify, cert)  # type: ignore[arg-type]
        pool.pop("ca_certs", None)
        pool.pop("ca_cert_dir", None)
        pool.update(ssl_context=self._context, cert_reqs="CERT_REQUIRED")
        return host, pool

    def cert_verify(self, conn: object, url: str, verify: object, cert: object) -> None:
        """As requests does, then drop the CA file it names: the prepared context already trusts it."""
        super().cert_verify(conn, url, True, cert)  # type: ignore[arg-type]
        conn.ca_certs = conn.ca_cert_dir = None  # type: ignore[attr-defined]


_contexts: dict[str, ssl.SSLContext] = {}


def _trust(ca_file: str | None) -> ssl.SSLContext:
    """A verifying client context per trust bundle, made once (a changed CA file makes a new bundle)."""
    key = bundle(ca_file)
    if key not in _contexts:
        _contexts[key] = client_context(ca_file)
    return _contexts[key]


def get(site: Site, url: str, *, follow: bool = True, accept: str = "text/html,*/*;q=0.8") -> Page:
    """GET url (trusting the system's CAs plus ca_file), at most MAX_BODY bytes, within the item's timeout."""
    timeout = float(timeout_of(site))
    started = time.perf_counter()
    with requests.Session() as session:
        session.max_redirects = MAX_REDIRECTS
        session.mount("https://", _Trusting(_trust(site.ca_file)))
        response = session.get(url, headers={"User-Agent": USER_AGENT, "Accept": accept}, stream=True,
                               allow_redirects=follow, timeout=(timeout, timeout))
        with response:
            body = bytearray()
            for chunk in response.iter_content(65536):
                body += chunk
                if len(body) >= MAX_BODY:
                    break
                if time.perf_counter() - started > timeout:
                    raise CheckError(f"no complete answer from {url} within {show_seconds(timeout)}")
        cookies = tuple(c for r in [*response.history, response] for c in r.raw.headers.getlist("Set-Cookie"))
        return Page(response.url, response.status_code, response.headers, cookies, bytes(body[:MAX_BODY]),
                    tuple((r.status_code, r.url) for r in response.history))


def missing_path() -> str:
    """A path no site has: what a site answers here is its "missing page"."""
    return f"/opsverify-missing-{secrets.token_hex(6)}"


def same_page(page: Page, missing: Page, path: str, missing_at: str) -> bool:
    """Whether `page` (for path) is the site's missing-page answer (for missing_at): same status class and body."""
    if page.status // 100 != missing.status // 100:
        return False
    ours = page.text.replace(path, "\0").splitlines()
    theirs = missing.text.replace(missing_at, "\0").splitlines()
    if ours == theirs:
        return True
    matcher = difflib.SequenceMatcher(None, ours, theirs, autojunk=False)
    return matcher.real_quick_ratio() >= SIMILAR and matcher.quick_ratio() >= SIMILAR and matcher.ratio() >= SIMILAR


class _Links(HTMLParser):
    """Collects script sources and other asset URLs of a page."""

    def __init__(self) -> None:
        """An empty collector."""
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self.assets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Remember <script src>, <link href>, <img src> values."""
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.scripts.append(values["src"] or "")
        elif tag in ("link", "img", "source") and (values.get("href") or values.get("src")):
            self.assets.append(values.get("href") or values.get("src") or "")


def links(page: Page) -> tuple[list[str], list[str]]:
    """The page's same-origin script URLs and other asset URLs, absolute, without query or fragment."""
    parser = _Links()
    parser.feed(page.text)
    origin = urlsplit(page.url).netloc
    results: tuple[list[str], list[str]] = ([], [])
    for found, out in ((parser.scripts, results[0]), (parser.assets, results[1])):
        for ref in found:
            absolute = urlsplit(urljoin(page.url, ref.strip()))
            if absolute.netloc == origin and absolute.scheme in ("http", "https"):
                url = f"{absolute.scheme}://{absolute.netloc}{absolute.path}"
                if url not in out:
                    out.append(url)
    return results


def first_match(patterns: tuple[tuple[str, re.Pattern[str]], ...], text: str) -> str | None:
    """The label of the first pattern found in text."""
    return next((label for label, pattern in patterns if pattern.search(text)), None)
