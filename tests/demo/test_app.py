"""The healthy demo app over real HTTP(S): routes, headers, cookies, redirect, TLS, latency."""

from __future__ import annotations

import hashlib
import socket
import ssl
import statistics
import time
from collections.abc import Callable

import pytest
import requests

from opsverify.demo import Demo
from opsverify.demo.database import PRODUCTS

Fetch = Callable[..., requests.Response]
RECOMMENDED = {
    "Strict-Transport-Security": "max-age=31536000",
    "Content-Security-Policy": "default-src 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def test_home_page(fetch: Fetch) -> None:
    """/ is an HTML page with the shop's welcome."""
    response = fetch("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Welcome to the Demo Print Shop" in response.text


def test_health_detailed_queries_the_database(fetch: Fetch) -> None:
    """/api/health?detailed=true is compact JSON that says the database and disk are fine."""
    response = fetch("/api/health?detailed=true")
    assert response.status_code == 200
    assert '"status":"ok"' in response.text
    body = response.json()
    assert body["status"] == "ok" and body["db"] == "up"
    assert body["checks"] == {"db": "up", "disk": "ok"}
    assert body["version"]


def test_health_answers_on_plain_http(demo: Demo) -> None:
    """The HTTP port answers /api/health itself, like a load balancer's health check."""
    response = requests.get(f"{demo.http_url}/api/health", timeout=5, allow_redirects=False)
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and "checks" not in response.json()


def test_products_as_html_and_json(fetch: Fetch) -> None:
    """/products lists every product from the database, as HTML or (on Accept) JSON."""
    page = fetch("/products")
    assert page.status_code == 200 and all(name in page.text for name, _, _ in PRODUCTS)
    listing = fetch("/products", headers={"Accept": "application/json"}).json()
    assert [item["name"] for item in listing] == [name for name, _, _ in PRODUCTS]
    assert listing[0]["price"] == f"{PRODUCTS[0][2] / 100:.2f}"


def test_one_product(fetch: Fetch) -> None:
    """/products/<id> shows one product; unknown or malformed ids are 404."""
    assert PRODUCTS[2][0] in fetch("/products/3").text
    assert fetch("/products/3", headers={"Accept": "application/json"}).json()["id"] == 3
    assert fetch("/products/999").status_code == 404
    assert fetch("/products/abc").status_code == 404


def test_quotes(fetch: Fetch) -> None:
    """POST /api/quotes prices an order; bad input gets a JSON error with the right status."""
    quote = fetch("/api/quotes", "POST", json={"product": 1, "qty": 100})
    assert quote.status_code == 200
    assert quote.json()["total"] == f"{PRODUCTS[0][2] * 100 * 0.9 / 100:.2f}"
    assert fetch("/api/quotes", "POST", data=b"not json").status_code == 400
    assert fetch("/api/quotes", "POST", json={"product": 99, "qty": 1}).status_code == 404
    assert fetch("/api/quotes", "POST", json={"product": 1, "qty": 0}).status_code == 422
    wrong_method = fetch("/api/quotes")
    assert wrong_method.status_code == 405 and wrong_method.headers["Allow"] == "POST"


def test_requests_never_write_the_database(demo: Demo, fetch: Fetch) -> None:
    """app.db is byte-for-byte the same after every kind of request."""
    db = demo.state_dir / "app.db"
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    fetch("/api/quotes", "POST", json={"product": 2, "qty": 5})
    fetch("/login", "POST", data={"email": "ops@example.com"})
    fetch("/products/1")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert not list(demo.state_dir.glob("app.db-*"))  # no journal or WAL either


def _flags(set_cookie: str) -> set[str]:
    """The attributes of one Set-Cookie header, lower-cased."""
    return {part.strip().lower() for part in set_cookie.split(";")[1:]}


def test_login_sets_a_secure_session_cookie(fetch: Fetch) -> None:
    """/login sets demo_session with Secure, HttpOnly and SameSite=Lax."""
    response = fetch("/login")
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("demo_session=")
    assert {"secure", "httponly", "samesite=lax"} <= _flags(cookie)


def test_session_starts_once(fetch: Fetch) -> None:
    """A new visitor's page starts a session; a visitor who sends one does not get another."""
    first = fetch("/")
    assert "demo_session=" in first.headers["Set-Cookie"]
    again = fetch("/", cookies={"demo_session": first.cookies["demo_session"]})
    assert "Set-Cookie" not in again.headers


def test_login_by_email(fetch: Fetch) -> None:
    """Signing in with a known e-mail redirects home with a new session; an unknown one is refused."""
    known = fetch("/login", "POST", data={"email": "ops@example.com"})
    assert known.status_code == 303 and known.headers["Location"] == "/"
    assert {"secure", "httponly"} <= _flags(known.headers["Set-Cookie"])
    assert fetch("/login", "POST", data={"email": "nobody@example.com"}).status_code == 401


@pytest.mark.parametrize("path", ["/", "/api/health?detailed=true", "/products", "/login", "/static/app.css",
                                  "/no-such-page", "/api/quotes"])
def test_security_headers_on_every_response(fetch: Fetch, path: str) -> None:
    """Pages, API, assets, errors: all carry the recommended headers and a bland Server header."""
    headers = fetch(path).headers
    for name, expected in RECOMMENDED.items():
        assert expected in headers.get(name, ""), name
    assert headers["Server"] == "opsverify-demo"


def test_security_headers_on_redirects_and_stdlib_errors(demo: Demo, fetch: Fetch) -> None:
    """The HTTP redirect and the server's own 501 for an unknown method carry them too."""
    redirect = requests.get(f"{demo.http_url}/", timeout=5, allow_redirects=False)
    unknown_method = fetch("/", "BREW")
    assert unknown_method.status_code == 501
    for response in (redirect, unknown_method):
        assert all(expected in response.headers.get(name, "") for name, expected in RECOMMENDED.items())


@pytest.mark.parametrize("path", ["/no-such-page", "/.env", "/.git/config", "/phpinfo.php", "/products/0"])
def test_missing_pages_are_plain_404s(fetch: Fetch, path: str) -> None:
    """A missing page says 404 and nothing about the app's internals."""
    response = fetch(path)
    assert response.status_code == 404
    assert "404 Not Found" in response.text
    for leak in ("Traceback", 'File "', ".py", "sqlite", "Exception"):
        assert leak not in response.text


def test_head_and_wrong_method(fetch: Fetch) -> None:
    """HEAD has GET's headers without a body; a known path with a wrong method is 405."""
    head, get = fetch("/products", "HEAD"), fetch("/products")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
    assert fetch("/products", "PUT").status_code == 405


def test_http_redirects_to_https(demo: Demo) -> None:
    """Plain HTTP (except /api/health) answers 301 to the same path and query on HTTPS."""
    response = requests.get(f"{demo.http_url}/products?page=2", timeout=5, allow_redirects=False)
    assert response.status_code == 301
    assert response.headers["Location"] == f"{demo.https_url}/products?page=2"
    followed = requests.get(f"{demo.http_url}/products", timeout=5, verify=str(demo.ca_file))
    assert followed.status_code == 200 and followed.url == f"{demo.https_url}/products"


def test_plain_http_on_the_https_port_redirects(demo: Demo) -> None:
    """http:// on the HTTPS URL's own port redirects to https:// (nginx's `error_page 497` idiom)."""
    response = requests.get(f"http://{demo.host}:{demo.https_port}/login", timeout=5, allow_redirects=False)
    assert response.status_code == 301 and response.headers["Location"] == f"{demo.https_url}/login"


def test_tls_verifies_against_the_demo_ca(demo: Demo) -> None:
    """The certificate chains to ca_file and names 127.0.0.1; TLS 1.2 or newer is negotiated."""
    context = ssl.create_default_context(cafile=str(demo.ca_file))
    with socket.create_connection((demo.host, demo.https_port), timeout=3) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            assert ("IP Address", "127.0.0.1") in tls.getpeercert()["subjectAltName"]
            assert tls.version() in ("TLSv1.2", "TLSv1.3")


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
def test_tls_refuses_versions_before_1_2(demo: Demo) -> None:
    """A client that offers at most TLS 1.1 is refused."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_1
    with socket.create_connection((demo.host, demo.https_port), timeout=3) as raw:
        with pytest.raises(ssl.SSLError):
            context.wrap_socket(raw, server_hostname="127.0.0.1")


def test_keep_alive_requests_are_fast(demo: Demo) -> None:
    """Sequential keep-alive requests take a few ms (no Nagle stall of ~40 ms each)."""
    with requests.Session() as session:
        url, ca = f"{demo.https_url}/api/health?detailed=true", str(demo.ca_file)
        session.get(url, verify=ca, timeout=5)
        times = []
        for _ in range(50):
            started = time.perf_counter()
            session.get(url, verify=ca, timeout=5).raise_for_status()
            times.append(time.perf_counter() - started)
    median = statistics.median(times)
    print(f"keep-alive /api/health over HTTPS: median {median * 1000:.2f} ms, max {max(times) * 1000:.2f} ms")
    assert median < 0.010
