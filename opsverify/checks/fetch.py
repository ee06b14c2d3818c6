"""HTTP(S) requests of the endpoint checks: within the deadline, redirects followed by hand, bodies capped.

Every connection's socket is guarded by the deadline the request runs under (`checks.deadline`),
so a server that trickles its headers or body is cut off when the timeout has passed. Redirects are
followed one by one: a hop to another origin (scheme, host, port) drops every credential header and
the cookies, and a hop from https to http, or to a scheme other than http(s), is refused.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from opsverify.checks import CheckError, timeout_of
from opsverify.checks.deadline import Deadline, guard
from opsverify.checks.trust import client_context
from opsverify.spec.models.health import BODY_LIMIT, Endpoint
from opsverify.spec.secret import Secret, mask_url, reveal, sensitive_header
from opsverify.spec.units import Size

MAX_REDIRECTS = 10
CHUNK = 65536


class Refused(CheckError):
    """A redirect the suite will not follow (https to http, another scheme); the check fails with this reason."""


@dataclass(frozen=True)
class Answer:
    """The last response of a request (redirects followed), its body up to the limit, and how long it all took."""

    response: requests.Response
    body: bytes
    elapsed: float
    redirects: tuple[str, ...] = ()  # "302 http://…" for each hop followed
    cut: Size | None = None  # the limit, when the body was longer and only its first bytes were read


class _Http(HTTPConnection):
    """A connection whose socket the current deadline guards, from connect to the end of each response."""

    def _new_conn(self) -> Any:
        """Connect, then guard the socket (TLS is set up on it afterwards, under the same guard)."""
        sock = super()._new_conn()
        guard(sock)
        return sock

    def getresponse(self) -> Any:  # type: ignore[override]
        """Guard a kept-alive socket again under this request's deadline, then read the response."""
        if self.sock is not None:
            guard(self.sock)
        return super().getresponse()


class _Https(_Http, HTTPSConnection):
    """The TLS twin of _Http."""


class _HttpPool(HTTPConnectionPool):
    ConnectionCls = _Http


class _HttpsPool(HTTPSConnectionPool):
    ConnectionCls = _Https


class _Guarded(HTTPAdapter):
    """A requests adapter whose connections are guarded; https verifies with one preloaded SSL context."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        super().__init__()

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **kwargs: Any) -> None:
        """Every pool uses guarded connections and wraps its TLS sockets with the shared context."""
        super().init_poolmanager(connections, maxsize, block, ssl_context=self._context, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HttpPool, "https": _HttpsPool}

    def build_connection_pool_key_attributes(self, request: Any, verify: Any, cert: Any = None) -> Any:
        """Never a CA path in the pool key: the context already trusts what it should."""
        return super().build_connection_pool_key_attributes(request, True, cert)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        """Always verify, with the shared context's CAs (none loaded again per connection)."""
        conn.cert_reqs, conn.ca_certs, conn.ca_cert_dir = "CERT_REQUIRED", None, None


def session(ca_file: str | None) -> requests.Session:
    """A session that trusts the system's CAs, SSL_CERT_FILE/REQUESTS_CA_BUNDLE and the item's ca_file."""
    made = requests.Session()
    adapter = _Guarded(client_context(ca_file))
    made.mount("https://", adapter)
    made.mount("http://", adapter)
    return made


def fetch(client: requests.Session, endpoint: Endpoint) -> Answer:
    """One request and its redirects, read to the end (or the body limit) within the endpoint's timeout."""
    timeout = timeout_of(endpoint)
    limit = endpoint.body_limit or BODY_LIMIT
    with Deadline(timeout) as bound:
        start = time.perf_counter()
        url, method = endpoint.url.reveal(), endpoint.method
        headers: Mapping[str, str | Secret] = endpoint.headers
        hops: list[str] = []
        while True:
            response = client.request(method, url, headers={k: reveal(v) for k, v in headers.items()},
                                      timeout=(bound.left(), timeout), stream=True, allow_redirects=False)
            with response:
                if not response.is_redirect:
                    body, cut = _read(response, limit)
                    return Answer(response, body, time.perf_counter() - start, tuple(hops), cut)
                target = urljoin(url, client.get_redirect_target(response) or "")
                hops.append(f"{response.status_code} {mask_url(url)}")
            if len(hops) > MAX_REDIRECTS:
                raise CheckError(f"more than {MAX_REDIRECTS} redirects (the last to {mask_url(target)})")
            _allowed(url, target)
            if _origin(target) != _origin(url):
                headers = {k: v for k, v in headers.items() if not _credential(k, v)}
                client.cookies.clear()
            method = _method_after(method, response.status_code)
            url = target


def _read(response: requests.Response, limit: Size) -> tuple[bytes, Size | None]:
    """The body, or its first `limit` bytes and the limit when it is longer (the rest is never read)."""
    body = bytearray()
    for chunk in response.iter_content(CHUNK):
        body += chunk
        if len(body) > limit:
            del body[limit:]
            return bytes(body), limit
    return bytes(body), None


def _allowed(source: str, target: str) -> None:
    """Refuse a redirect to a scheme other than http(s), and from https to http."""
    before, after = urlsplit(source).scheme.lower(), urlsplit(target).scheme.lower()
    if after not in ("http", "https"):
        raise Refused(f"redirect to {mask_url(target)} refused: only http and https are followed")
    if before == "https" and after == "http":
        raise Refused(f"redirect from https to http refused ({mask_url(target)})")


def _origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port: what must stay the same for credentials to go along."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(scheme)


def _credential(name: str, value: str | Secret) -> bool:
    """Whether a header carries a credential: a secret value (named in `redact`), or a credential-like name."""
    return isinstance(value, Secret) or sensitive_header(name)


def _method_after(method: str, status: int) -> str:
    """The method of the next hop, as browsers and requests do it: 303 (and 302, and POST after 301) become GET."""
    if method != "HEAD" and (status in (302, 303) or (status == 301 and method == "POST")):
        return "GET"
    return method
