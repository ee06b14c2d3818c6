"""Exposed paths against real HTTPS servers: decided on content, so catch-all routes raise no false alarm."""

from __future__ import annotations

import json

import pytest

from opsverify.checks.security import exposure_items
from opsverify.checks.security.exposure import DEFAULT_PATHS, SOURCE_MAPS, exposed
from opsverify.result import Status
from opsverify.spec.models.environment import Environment
from tests.security.conftest import PAGE, StartSite, page, site
from tests.support.http_server import Reply

SPA = "<!doctype html><html><head><title>Shop</title><script src=\"/assets/app.js\"></script></head>" \
      "<body><div id=\"root\"></div></body></html>"
DOTENV = "APP_NAME=Shop\nAPP_ENV=production\nAPP_KEY=base64:c2VjcmV0LXZhbHVlLW5ldmVyLXNob3du\n" \
         "DB_PASSWORD=hunter2-never-shown\n"


def probe(start_site: StartSite, pki, path: str, reply: Reply | None = None, *, fallback=None, routes=None):
    """The exposure check for `path` on a site serving `reply` there (and `routes`, `fallback`)."""
    server = start_site({"/": page(), **(routes or {}), **({path: reply} if reply else {})}, fallback=fallback)
    return exposed(site(server, path, ca_file=pki.ca_file, joiner=""))


def test_the_default_list_covers_the_issue_paths() -> None:
    assert {"/.env", "/.git/config", "/.git/HEAD", "/phpinfo.php", "/server-status", "/_ignition/health-check",
            "/telescope", "/.DS_Store", "/backup.sql", "/config.json", SOURCE_MAPS} <= set(DEFAULT_PATHS)


@pytest.mark.parametrize("path", DEFAULT_PATHS)
def test_a_catch_all_spa_raises_no_false_alarm(start_site, pki, path) -> None:
    """Every path answered 200 with the app's HTML is not an exposure."""
    result = probe(start_site, pki, path, fallback=Reply(200, SPA, headers={"Content-Type": "text/html"}))
    assert result.status is Status.PASSED, result.reason


def test_an_env_file_with_app_key_fails_without_showing_values(start_site, pki) -> None:
    result = probe(start_site, pki, "/.env", Reply(200, DOTENV))
    assert result.status is Status.FAILED
    assert result.reason == "/.env serves a dotenv file with APP_KEY, DB_PASSWORD and 2 more (HTTP 200)"
    assert "hunter2" not in str(result) and "c2VjcmV0" not in str(result)


def test_an_env_path_answering_the_apps_404_page_with_200_passes(start_site, pki) -> None:
    not_found = Reply(200, PAGE.replace("Shop</h1>", "Page not found</h1>"), headers={"Content-Type": "text/html"})
    result = probe(start_site, pki, "/.env", not_found)
    assert (result.status, result.reason) == (Status.PASSED, "/.env answered 200, not a dotenv file")


def test_a_dotenv_served_with_an_html_content_type_still_fails(start_site, pki) -> None:
    result = probe(start_site, pki, "/.env.production", Reply(200, DOTENV, headers={"Content-Type": "text/html"}))
    assert result.status is Status.FAILED


@pytest.mark.parametrize(("path", "body", "found"), [
    ("/.git/config", "[core]\n\trepositoryformatversion = 0\n\tbare = false\n[remote \"origin\"]\n"
                     "\turl = https://deploy:tok3n@git.example.com/shop.git\n", "a git config with credentials in a "
                                                                               "remote URL"),
    ("/.git/HEAD", "ref: refs/heads/main\n", "the git HEAD (the repository is downloadable)"),
    ("/phpinfo.php", "<html><head><title>PHP 8.1.2 - phpinfo()</title></head><body><h1 class=\"p\">PHP Version "
                     "8.1.2</h1></body></html>", "phpinfo() (PHP 8.1.2)"),
    ("/server-status", "<html><head><title>Apache Status</title></head><body><h1>Apache Server Status for "
                       "shop</h1></body></html>", "Apache's server-status page (clients and URLs being served)"),
    ("/_ignition/health-check", '{"can_execute_commands":true}', "Laravel Ignition's health check (debug mode is on)"),
    ("/telescope", "<html><head><title>Telescope - Shop</title></head><body><script>window.Telescope = {};</script>",
     "the Laravel Telescope dashboard (requests, queries, mail)"),
    ("/backup.sql", "-- MySQL dump 10.13\n\nCREATE TABLE `users` (\n", "an SQL dump"),
    ("/config.json", '{"api": {"url": "https://api.example.com", "clientSecret": "x"}}',
     "JSON with secret-like keys clientSecret"),
    ("/storage/logs/laravel.log", "[2026-11-20 10:00:01] production.ERROR: SQLSTATE[HY000] ...\n",
     "an application log file"),
    ("/.npmrc", "//registry.npmjs.org/:_authToken=npm_abc\n", "an .npmrc with a registry token"),
])
def test_each_exposed_file_fails_with_what_it_is(start_site, pki, path, body, found) -> None:
    result = probe(start_site, pki, path, Reply(200, body))
    assert (result.status, result.reason) == (Status.FAILED, f"{path} serves {found} (HTTP 200)")
    assert "tok3n" not in str(result) and "npm_abc" not in str(result)


def test_a_ds_store_file_fails(start_site, pki) -> None:
    result = probe(start_site, pki, "/.DS_Store", Reply(200, b"\x00\x00\x00\x01Bud1\x00\x00\x10\x00",
                                                        headers={"Content-Type": "application/octet-stream"}))
    assert result.reason == "/.DS_Store serves a .DS_Store file (it lists the folder's file names) (HTTP 200)"


def test_public_json_without_secret_like_keys_passes(start_site, pki) -> None:
    settings = {"apiUrl": "https://api.example.com", "stripePublishableKey": "pk_live_1", "recaptchaSiteKey": "6L",
                "author": "shop"}
    result = probe(start_site, pki, "/config.json", Reply(200, settings))
    assert (result.status, result.reason) == (Status.PASSED, "/config.json answered 200, not JSON with secret-like "
                                                             "keys")


def test_exposure_is_decided_on_content_even_with_an_error_status(start_site, pki) -> None:
    result = probe(start_site, pki, "/.git/config", Reply(403, "[core]\n\tbare = false\n"))
    assert result.status is Status.FAILED and result.reason.endswith("(HTTP 403)")


def test_a_listed_path_without_a_signature_is_compared_with_a_missing_page(start_site, pki) -> None:
    served = probe(start_site, pki, "/old-site.zip", Reply(200, b"PK\x03\x04 zip bytes",
                                                           headers={"Content-Type": "application/zip"}))
    assert served.status is Status.FAILED
    assert served.reason == "/old-site.zip answered 200 with 14 bytes of application/zip, unlike a missing page"
    catch_all = probe(start_site, pki, "/old-site.zip",
                      fallback=lambda request: Reply(200, SPA + f"<!-- {request.path} -->"))
    assert catch_all.status is Status.PASSED
    assert catch_all.reason == "/old-site.zip answered 200 with the same page as any missing path (a catch-all route)"
    assert probe(start_site, pki, "/old-site.zip").reason == "/old-site.zip answered 404"


def test_public_source_maps_with_the_original_source_fail(start_site, pki) -> None:
    routes = {"/": page(body=SPA), "/assets/app.js": Reply(200, "console.log(1)\n//# sourceMappingURL=app.js.map\n"),
              "/assets/app.js.map": Reply(200, json.dumps({"version": 3, "sources": ["src/App.tsx"], "mappings": "AAAA",
                                                           "sourcesContent": ["export const key = 1"]}))}
    result = probe(start_site, pki, SOURCE_MAPS, routes=routes)
    assert (result.status, result.reason) == (Status.FAILED, "source maps with the original source are public: "
                                                             "/assets/app.js.map")


def test_source_maps_without_source_are_a_warning(start_site, pki) -> None:
    routes = {"/": page(body=SPA), "/assets/app.js": Reply(200, "console.log(1)\n"),
              "/assets/app.js.map": Reply(200, {"version": 3, "sources": ["a.ts"], "mappings": "AAAA"})}
    result = probe(start_site, pki, SOURCE_MAPS, routes=routes)
    assert result.status is Status.WARNING and result.reason.endswith("/assets/app.js.map")


def test_scripts_without_maps_pass(start_site, pki) -> None:
    result = probe(start_site, pki, SOURCE_MAPS, routes={"/": page(body=SPA), "/assets/app.js": Reply(200, "1")})
    assert (result.status, result.reason) == (Status.PASSED, "no source map served for 1 script(s)")


def test_items_expand_default_inside_a_list() -> None:
    env = Environment.model_validate({"environment": "x", "security": {
        "base_urls": ["https://shop.example.com"], "exposed_paths": ["default", "admin.php", "/.env"]}})
    names = [i.name for i in exposure_items(env, DEFAULT_PATHS)]
    assert names[0] == "shop.example.com/.env" and names[-1] == "shop.example.com/admin.php"
    assert len(names) == len(DEFAULT_PATHS) + 1
