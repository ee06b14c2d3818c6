"""Dashboards on a real HTTP server: served without login fails naming them; 404, 403 and login redirects pass."""

from __future__ import annotations

import json

from opsverify.checks.apps.dashboards import private
from opsverify.result import Status
from tests.apps.helpers import check_app
from tests.support.http_server import HttpServer, Reply
from tests.support.net import free_port

HTML = {"Content-Type": "text/html; charset=utf-8"}
TELESCOPE = Reply(200, "<!DOCTYPE html><html><head><title>Telescope - Print Shop</title></head><body>"
                       "<div id=\"telescope\"></div><script>window.Telescope = {\"path\":\"telescope\"};</script>",
                  headers=HTML)
HORIZON = Reply(200, "<!DOCTYPE html><html><head><title>Horizon - Print Shop</title></head><body><div id=\"horizon\">"
                     "</div><script>window.Horizon = {\"path\":\"horizon\"};</script>", headers=HTML)
DEBUGBAR = Reply(200, json.dumps([{"id": "X1a2b3c", "datetime": "2026-11-20 10:00:01", "utime": "1763632801.1",
                                   "method": "GET", "uri": "/checkout", "ip": "10.0.0.7"}]),
                 headers={"Content-Type": "application/json"})
LOGIN = Reply(200, "<html><head><title>Sign in</title></head><body><form>...</form></body></html>", headers=HTML)
TO_LOGIN = Reply(302, "", headers={"Location": "/login"})
FORBIDDEN = Reply(403, "Forbidden")


def check(server: HttpServer, dashboards: str = "default") -> object:
    """The dashboards check of a laravel app served by `server`."""
    return check_app(private, f"apps: [{{name: shop, framework: laravel, url: '{server.base_url}', "
                              f"dashboards: {dashboards}, timeout: 3s}}]")


def test_telescope_and_horizon_served_without_login_fail_naming_them() -> None:
    with HttpServer({"/telescope": TELESCOPE, "/horizon": HORIZON, "/login": LOGIN}) as server:
        result = check(server)
    assert result.status is Status.FAILED
    assert result.reason == ("/telescope serves the Laravel Telescope dashboard (requests, queries, mail) without "
                             "login (HTTP 200); /horizon serves the Laravel Horizon dashboard (queued jobs and their "
                             "data) without login (HTTP 200)")
    assert result.evidence["answers"] == {"/telescope": "200", "/horizon": "200", "/_debugbar/open": "404",
                                          "/log-viewer": "404", "/_ignition/health-check": "404"}


def test_debugbar_storage_is_recognised_even_behind_an_error_status() -> None:
    with HttpServer({"/_debugbar/open": Reply(500, DEBUGBAR.body, headers=DEBUGBAR.headers)}) as server:
        result = check(server)
    assert (result.status, result.reason) == (Status.FAILED, "/_debugbar/open serves Laravel Debugbar (recorded "
                                                             "requests, queries and sessions) without login (HTTP 500)")


def test_dashboards_behind_login_pass() -> None:
    routes = {"/telescope": FORBIDDEN, "/horizon": TO_LOGIN, "/login": LOGIN, "/_ignition/health-check": FORBIDDEN}
    with HttpServer(routes) as server:
        result = check(server)
    assert result.status is Status.PASSED, result.reason
    assert result.reason == ("no dashboard answers without login (/telescope 403, /horizon 302 -> /login (200), "
                             "/_debugbar/open 404, /log-viewer 404, /_ignition/health-check 403)")


def test_a_listed_path_without_a_signature_fails_only_when_unlike_a_missing_page() -> None:
    queues = Reply(200, "<html><body><h1>Bull queues</h1><table>...</table></body></html>", headers=HTML)
    with HttpServer({"/admin/queues": queues}) as server:
        exposed = check(server, "[/admin/queues, /telescope]")
    assert (exposed.status, exposed.reason) == (
        Status.FAILED, "/admin/queues serves a page unlike a missing page without login (HTTP 200)")
    spa = Reply(200, "<html><body><div id=app></div><script src=/app.js></script></body></html>", headers=HTML)
    with HttpServer(fallback=spa) as server:
        catch_all = check(server, "[/admin/queues, /telescope]")
    assert catch_all.status is Status.PASSED, catch_all.reason


def test_an_unreachable_site_is_an_error() -> None:
    port = free_port()
    result = check_app(private, f"apps: [{{name: shop, framework: laravel, url: 'http://127.0.0.1:{port}', "
                                "timeout: 2s}]")
    assert (result.status, result.reason) == (Status.ERROR, f"connection refused on 127.0.0.1:{port}")


def test_a_log_viewer_is_recognised_by_its_page() -> None:
    viewer = Reply(200, "<!DOCTYPE html><html><head><title>Log Viewer</title></head><body><div id=\"log-viewer\">"
                        "</div><script>window.LogViewer = {\"basePath\":\"log-viewer\"};</script>", headers=HTML)
    with HttpServer({"/log-viewer": viewer}) as server:
        result = check(server)
    assert (result.status, result.reason) == (Status.FAILED, "/log-viewer serves a Laravel log viewer (the "
                                                             "application's logs) without login (HTTP 200)")
