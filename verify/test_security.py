"""Security posture: headers, session cookies, exposed paths, debug pages, redirects, TLS, ports, dependencies."""

from opsverify.checks.security import (audit_items, cookie_items, debug_items, exposure_items, freshness_items,
                                       header_items, port_items, redirect_items, sites, tls_items)
from opsverify.checks.security import exposure
from opsverify.plugin import check, expect


@check("security.headers.header", over=header_items, area="security")
def test_security_headers(result):
    expect(result)


@check("security.headers.banner", over=sites, area="security")
def test_no_version_banner(result):
    expect(result)


@check("security.cookies.session_cookie", over=cookie_items, area="security")
def test_session_cookie(result):
    expect(result)


@check("security.exposure.exposed", over=lambda env: exposure_items(env, exposure.DEFAULT_PATHS), area="security")
def test_exposed_path(result):
    expect(result)


@check("security.debug.error_page", over=debug_items, area="security")
def test_no_debug_page(result):
    expect(result)


@check("security.debug.listing", over=sites, area="security")
def test_no_directory_listing(result):
    expect(result)


@check("security.redirect.https_redirect", over=redirect_items, area="security")
def test_https_redirect(result):
    expect(result)


@check("tls.protocols", over=tls_items, cadence="weekly", area="security")
def test_site_tls_protocols(result):
    expect(result)


@check("security.ports.open_ports", over=port_items, cadence="weekly", area="security")
def test_open_ports(result):
    expect(result)


@check("security.audit.dependencies", over=audit_items, cadence="weekly", area="security")
def test_dependency_audit(result):
    expect(result)


@check("security.outdated.freshness", over=freshness_items, cadence="weekly", area="security")
def test_dependency_freshness(result):
    expect(result)
