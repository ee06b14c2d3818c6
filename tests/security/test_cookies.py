"""Session cookies against real HTTPS servers: found on / or a login page, judged on Secure, HttpOnly, SameSite."""

from __future__ import annotations

import pytest

from opsverify.checks.security.cookies import parse, session_cookie
from opsverify.result import Status
from tests.security.conftest import StartSite, page, site

GOOD = "laravel_session=eyJpdiI6IjEyMyJ9; path=/; secure; httponly; samesite=lax"


def judge(start_site: StartSite, pki, routes, name: str = "laravel_session"):
    """The session-cookie check for `name` on a site with these routes (each a Set-Cookie value or a Reply)."""
    server = start_site({path: page({"Set-Cookie": value}) if isinstance(value, str) else value
                         for path, value in routes.items()})
    return session_cookie(site(server, name, ca_file=pki.ca_file))


def test_a_secure_session_cookie_on_the_base_url_passes(start_site, pki) -> None:
    result = judge(start_site, pki, {"/": GOOD})
    assert result.status is Status.PASSED
    assert result.reason == "laravel_session (set by /) is Secure, HttpOnly, SameSite=lax"
    assert "eyJpdiI6" not in str(result)  # the value is never kept


@pytest.mark.parametrize(("line", "reason"), [
    ("laravel_session=x; path=/; httponly; samesite=lax",
     "laravel_session (set by /) is not Secure (it is also sent over plain http)"),
    ("laravel_session=x; path=/; secure; samesite=lax",
     "laravel_session (set by /) is not HttpOnly (scripts can read it)"),
    ("laravel_session=x; path=/; secure; httponly",
     "laravel_session (set by /) has no SameSite attribute"),
    ("laravel_session=x; path=/",
     "laravel_session (set by /) is not Secure (it is also sent over plain http), is not HttpOnly (scripts can read "
     "it) and has no SameSite attribute"),
    ("laravel_session=x; secure; httponly; samesite=sometimes",
     "laravel_session (set by /) has SameSite=sometimes, which is not Strict, Lax or None"),
])
def test_each_missing_attribute_fails_with_its_name(start_site, pki, line, reason) -> None:
    result = judge(start_site, pki, {"/": line})
    assert (result.status, result.reason) == (Status.FAILED, reason)


def test_same_site_none_is_a_warning(start_site, pki) -> None:
    result = judge(start_site, pki, {"/": "laravel_session=x; secure; httponly; samesite=None"})
    assert result.status is Status.WARNING
    assert result.reason == "laravel_session (set by /) has SameSite=None, so it is sent with cross-site requests"


def test_the_cookie_is_found_on_a_login_page_when_the_home_page_sets_none(start_site, pki) -> None:
    result = judge(start_site, pki, {"/": page(), "/users/sign_in": "_shop_session=1; secure; httponly; "
                                                                      "samesite=strict"}, name="_shop_session")
    assert result.reason == "_shop_session (set by /users/sign_in) is Secure, HttpOnly, SameSite=strict"


def test_a_cookie_set_on_a_redirect_is_seen(start_site, pki) -> None:
    routes = {"/": page(), "/login": page({"Set-Cookie": "sid=1; path=/", "Location": "/"}, status=302)}
    result = judge(start_site, pki, routes, name="sid")
    assert result.status is Status.FAILED and result.reason.startswith("sid (set by /login) is not Secure")


def test_a_cookie_that_is_not_a_session_cookie_is_ignored(start_site, pki) -> None:
    """A `locale` cookie without any flag (the decoy) does not fail the session cookie's check."""
    server = start_site({"/": page({"Set-Cookie": "locale=en"}), "/login": page({"Set-Cookie": GOOD})})
    assert session_cookie(site(server, "laravel_session", ca_file=pki.ca_file)).status is Status.PASSED


def test_a_cookie_nobody_sets_is_skipped_with_the_paths_tried(start_site, pki) -> None:
    result = judge(start_site, pki, {"/": page()}, name="connect.sid")
    assert result.status is Status.SKIPPED
    assert result.reason.startswith("connect.sid was not set by /, /login, /signin, /sign-in, /auth/login,")
    assert "session_cookies is wrong" in result.reason


def test_a_deleting_set_cookie_does_not_count() -> None:
    assert parse("sid=; Max-Age=0").deleted
    assert parse("sid=; expires=Thu, 01 Jan 1970 00:00:00 GMT").deleted
    assert not parse("sid=1; Max-Age=60; Secure").deleted
    assert parse("sid=1; Secure; HttpOnly; SameSite=Lax").attributes == {"secure": "", "httponly": "",
                                                                      "samesite": "Lax"}


def test_an_anti_csrf_token_need_not_be_http_only(start_site, pki) -> None:
    """Laravel's XSRF-TOKEN is read by scripts by design; Secure and SameSite still apply."""
    good = judge(start_site, pki, {"/": "XSRF-TOKEN=abc; path=/; secure; samesite=lax"}, name="XSRF-TOKEN")
    assert (good.status, good.reason) == (Status.PASSED, "XSRF-TOKEN (set by /) is Secure, SameSite=lax")
    bad = judge(start_site, pki, {"/": "XSRF-TOKEN=abc; path=/; samesite=lax"}, name="XSRF-TOKEN")
    assert bad.status is Status.FAILED and "is not Secure" in bad.reason
