"""Security headers and version banners against real HTTPS servers on loopback."""

from __future__ import annotations

import pytest

from opsverify.checks.security import RECOMMENDED, header_items
from opsverify.checks.security.headers import banner, header
from opsverify.result import Status
from opsverify.spec.models.environment import Environment
from tests.security.conftest import StartSite, page, site
from tests.support.http_server import HttpServer
from tests.support.tls_server import Pki, server_context


def check(start_site: StartSite, pki: Pki, name: str, reply=None, **fields):
    """The header check for `name` on a site answering `reply` (the good page by default) at /."""
    server = start_site({"/": reply or page()})
    return header(site(server, name, ca_file=pki.ca_file, **fields))


@pytest.mark.parametrize("name", RECOMMENDED)
def test_a_well_configured_site_passes_every_recommended_header(start_site, pki, name) -> None:
    result = check(start_site, pki, name)
    assert result.status is Status.PASSED, result.reason
    assert result.evidence["header"] == name and result.evidence["status"] == 200


def test_passing_reasons_say_what_was_found(start_site, pki) -> None:
    reasons = {name: check(start_site, pki, name).reason for name in RECOMMENDED}
    assert reasons == {
        "strict-transport-security": "HSTS max-age is 365 days (includeSubDomains)",
        "content-security-policy": "Content-Security-Policy present; scripts from 'self'",
        "x-frame-options": "CSP frame-ancestors 'none'",
        "x-content-type-options": "X-Content-Type-Options nosniff",
        "referrer-policy": "Referrer-Policy strict-origin-when-cross-origin",
    }


@pytest.mark.parametrize(("name", "reply", "status", "reason"), [
    ("strict-transport-security", page(drop=("Strict-Transport-Security",)), Status.FAILED,
     "no Strict-Transport-Security header"),
    ("strict-transport-security", page({"Strict-Transport-Security": "max-age=86400"}), Status.FAILED,
     "HSTS max-age is 1 day; at least 182.5 days (six months)"),
    ("strict-transport-security", page({"Strict-Transport-Security": "includeSubDomains"}), Status.FAILED,
     "Strict-Transport-Security has no valid max-age: 'includeSubDomains'"),
    ("content-security-policy", page(drop=("Content-Security-Policy",)), Status.FAILED,
     "no Content-Security-Policy header"),
    ("content-security-policy", page({"Content-Security-Policy-Report-Only": "default-src 'self'"},
                                     drop=("Content-Security-Policy",)), Status.FAILED,
     "no Content-Security-Policy header (only Content-Security-Policy-Report-Only, which enforces nothing)"),
    ("content-security-policy", page({"Content-Security-Policy": "default-src 'self'; script-src 'self' "
                                                                 "'unsafe-inline'"}), Status.WARNING,
     "Content-Security-Policy is present but 'unsafe-inline' in script-src lets injected inline scripts run"),
    ("content-security-policy", page({"Content-Security-Policy": "img-src 'self'"}), Status.WARNING,
     "Content-Security-Policy is present but it sets neither script-src nor default-src, "
     "so scripts are not restricted"),
    ("x-frame-options", page(drop=("X-Frame-Options",), headers={"Content-Security-Policy": "default-src 'self'"}),
     Status.FAILED, "neither X-Frame-Options nor CSP frame-ancestors: any site can frame the page (clickjacking)"),
    ("x-frame-options", page({"Content-Security-Policy": "default-src 'self'", "X-Frame-Options": "ALLOW-FROM x"}),
     Status.FAILED, "X-Frame-Options 'ALLOW-FROM x' is neither DENY nor SAMEORIGIN (browsers ignore ALLOW-FROM), "
                    "and CSP sets no frame-ancestors"),
    ("x-frame-options", page({"Content-Security-Policy": "frame-ancestors *"}, drop=("X-Frame-Options",)),
     Status.FAILED, "CSP frame-ancestors * lets any site frame the page"),
    ("x-content-type-options", page(drop=("X-Content-Type-Options",)), Status.FAILED,
     "no X-Content-Type-Options: nosniff header"),
    ("referrer-policy", page(drop=("Referrer-Policy",)), Status.FAILED, "no Referrer-Policy header"),
    ("referrer-policy", page({"Referrer-Policy": "unsafe-url"}), Status.WARNING,
     "Referrer-Policy unsafe-url sends full URLs (with their query strings) to other sites"),
    ("referrer-policy", page({"Referrer-Policy": "no-referrer, bogus"}), Status.PASSED, "Referrer-Policy no-referrer"),
])
def test_each_fault_fails_or_warns_only_its_header(start_site, pki, name, reply, status, reason) -> None:
    result = check(start_site, pki, name, reply)
    assert (result.status, result.reason) == (status, reason)
    others = [n for n in RECOMMENDED if n != name]
    server = start_site({"/": reply})
    assert all(header(site(server, other, ca_file=pki.ca_file)).ok for other in others)


def test_unsafe_inline_with_a_nonce_is_not_a_warning(start_site, pki) -> None:
    reply = page({"Content-Security-Policy": "script-src 'self' 'unsafe-inline' 'nonce-abc123'"})
    assert check(start_site, pki, "content-security-policy", reply).status is Status.PASSED


def test_hsts_on_a_plain_http_page_fails(start_site) -> None:
    server = start_site({"/": page()}, tls=False)
    result = header(site(server, "strict-transport-security"))
    assert result.status is Status.FAILED
    assert result.reason == f"{server.url('/')} is plain http: browsers ignore Strict-Transport-Security there"


def test_an_error_page_says_its_status_in_the_reason(start_site, pki) -> None:
    result = check(start_site, pki, "x-content-type-options", page(status=503, drop=("X-Content-Type-Options",)))
    assert result.reason == "no X-Content-Type-Options: nosniff header (the page answered 503)"


def test_a_listed_header_is_checked_for_presence(start_site, pki) -> None:
    server = start_site({"/": page({"Permissions-Policy": "camera=()"})})
    assert header(site(server, "permissions-policy", ca_file=pki.ca_file)).reason == "permissions-policy: camera=()"
    missing = header(site(server, "cross-origin-opener-policy", ca_file=pki.ca_file))
    assert (missing.status, missing.reason) == (Status.FAILED, "no cross-origin-opener-policy header")


def test_an_untrusted_certificate_is_an_error_not_a_pass(start_site) -> None:
    result = header(site(start_site({"/": page()}), "x-content-type-options"))
    assert result.status is Status.ERROR and "certificate verify failed" in result.reason


def test_a_certificate_for_another_host_is_an_error(pki) -> None:
    with HttpServer({"/": page()}, tls=server_context(pki.issue("other-host", ("other.example",)))) as server:
        result = header(site(server, "x-content-type-options", ca_file=pki.ca_file))
    assert result.status is Status.ERROR
    assert result.reason == "certificate verify failed: IP address mismatch, certificate is not valid for '127.0.0.1'."


def test_one_item_per_url_and_header_named_for_waivers() -> None:
    env = Environment.model_validate({"environment": "x", "security": {
        "base_urls": ["https://shop.example.com/eu/", "https://api.example.com"],
        "headers": ["Strict-Transport-Security", "permissions-policy"]}})
    assert [i.name for i in header_items(env)] == [
        "shop.example.com/eu-strict-transport-security", "shop.example.com/eu-permissions-policy",
        "api.example.com-strict-transport-security", "api.example.com-permissions-policy"]
    recommended = Environment.model_validate({"environment": "x", "security": {"base_urls": ["https://a.example"]}})
    assert [i.subject for i in header_items(recommended)] == list(RECOMMENDED)


@pytest.mark.parametrize(("headers", "status", "reason"), [
    ({"Server": "nginx/1.22.1", "X-Powered-By": "PHP/8.1.2"}, Status.WARNING,
     "version revealed in Server: nginx/1.22.1; X-Powered-By: PHP/8.1.2"),
    ({"Server": "Apache/2.4.57 (Debian)"}, Status.WARNING, "version revealed in Server: Apache/2.4.57 (Debian)"),
    ({"Server": "nginx", "X-Powered-By": "Express"}, Status.PASSED,
     "no version in the response headers (Server: nginx; X-Powered-By: Express)"),
])
def test_version_banners_are_warnings(start_site, pki, headers, status, reason) -> None:
    server = start_site({"/": page(headers)})
    result = banner(site(server, ca_file=pki.ca_file))
    assert (result.status, result.reason) == (status, reason)
    assert result.ok
