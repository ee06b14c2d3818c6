"""http:// to https:// redirects, against the real demo and real loopback servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from opsverify import demo
from opsverify.checks.security.redirect import http_url, https_redirect
from opsverify.result import Status
from tests.security.conftest import StartSite, page, site
from tests.support.http_server import Reply
from tests.support.net import free_port


@pytest.fixture(scope="module")
def running_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[demo.Demo]:
    """The built-in demo: its HTTPS port answers plain http with a 301 to https."""
    with demo.start(tmp_path_factory.mktemp("demo")) as running:
        yield running


def moved(location: str, status: int = 301) -> Reply:
    """A redirect to location."""
    return Reply(status, "", headers={"Location": location})


def test_http_on_the_https_port_redirecting_passes(running_demo: demo.Demo) -> None:
    result = https_redirect(site(running_demo.https_url, ca_file=running_demo.ca_file))
    port = running_demo.https_port
    assert (result.status, result.reason) == (
        Status.PASSED, f"http://127.0.0.1:{port}/ redirects permanently (301) to https://127.0.0.1:{port}/")


def test_an_http_base_url_redirecting_to_https_passes(start_site: StartSite, pki) -> None:
    secure = start_site({"/shop": page()})
    plain = start_site(fallback=lambda request: moved(secure.url(request.path), 302), tls=False)
    result = https_redirect(site(plain.url("/shop"), ca_file=pki.ca_file))
    assert result.status is Status.PASSED
    assert result.reason == f"{plain.url('/shop')} redirects temporarily (302) to {secure.url('/shop')}"


def test_http_served_without_a_redirect_fails(start_site: StartSite) -> None:
    plain = start_site({"/": page()}, tls=False)
    result = https_redirect(site(plain.base_url))
    assert (result.status, result.reason) == (Status.FAILED, f"{plain.url('/')} answered 200 without redirecting "
                                                             "to https")


def test_a_redirect_that_never_reaches_https_fails(start_site: StartSite) -> None:
    plain = start_site({"/": moved("/home"), "/home": page()}, tls=False)
    result = https_redirect(site(plain.base_url))
    assert result.status is Status.FAILED
    assert result.reason == f"{plain.url('/')} redirects to {plain.url('/home')}, which is not https"


def test_a_first_hop_to_plain_http_is_a_warning(start_site: StartSite, pki) -> None:
    secure = start_site({"/": page()})
    plain = start_site({"/": moved("/www"), "/www": moved(secure.url("/"))}, tls=False)
    result = https_redirect(site(plain.base_url, ca_file=pki.ca_file))
    assert result.status is Status.WARNING
    assert result.reason == f"{plain.url('/')} first redirects to {plain.url('/www')} (plain http) before reaching https"


def test_a_first_hop_to_another_host_is_a_warning(start_site: StartSite, pki) -> None:
    secure = start_site({"/": page()})
    plain = start_site({"/": moved(f"https://localhost:{secure.port}/")}, tls=False)
    result = https_redirect(site(plain.base_url, ca_file=pki.ca_file))
    assert result.status is Status.WARNING
    assert "first redirects to another host (localhost), so 127.0.0.1 never gets to set HSTS" in result.reason


def test_a_redirect_loop_fails(start_site: StartSite) -> None:
    plain = start_site({"/": moved("/")}, tls=False)
    result = https_redirect(site(plain.base_url))
    assert (result.status, result.reason) == (Status.FAILED, f"{plain.url('/')} redirects more than 5 times")


def test_nothing_listening_for_plain_http_passes() -> None:
    port = free_port()
    result = https_redirect(site(f"https://127.0.0.1:{port}"))
    assert result.status is Status.PASSED
    assert result.reason == (f"nothing answers plain http at http://127.0.0.1:{port}/ (connection refused on "
                             f"127.0.0.1:{port}), so nothing is served unencrypted")


def test_the_http_twin_keeps_host_port_and_path() -> None:
    assert http_url("https://shop.example.com") == "http://shop.example.com/"
    assert http_url("https://shop.example.com:8443/eu/?x=1") == "http://shop.example.com:8443/eu/?x=1"


def test_a_redirect_to_an_https_port_where_nothing_listens_is_an_error(start_site: StartSite) -> None:
    """Only a refused plain-http request means "nothing served unencrypted"; a refused https hop is not that."""
    port = free_port()
    plain = start_site({"/": moved(f"https://127.0.0.1:{port}/")}, tls=False)
    result = https_redirect(site(plain.base_url))
    assert (result.status, result.reason) == (Status.ERROR, f"{plain.url('/')} redirects to https://127.0.0.1:{port}/, "
                                                            f"which cannot be reached: connection refused on "
                                                            f"127.0.0.1:{port}")


def test_a_password_in_the_base_url_never_shows_in_the_reason(start_site: StartSite) -> None:
    plain = start_site({"/": page()}, tls=False)
    result = https_redirect(site(f"http://ops:hunter2-staging@127.0.0.1:{plain.port}"))
    assert result.status is Status.FAILED and "hunter2" not in str(result)
    assert result.reason == f"http://ops:***@127.0.0.1:{plain.port}/ answered 200 without redirecting to https"
    assert plain.requests[-1].headers["Authorization"].startswith("Basic ")
