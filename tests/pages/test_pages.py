"""Pages in a real headless Chromium against a real loopback site: each fault fails its own check, with numbers."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from opsverify.checks.pages import OnDevice, fits_device, interactive, load
from opsverify.context import RunContext
from opsverify.result import Status
from opsverify.spec import Environment
from opsverify.spec.models.pages import Page
from tests.pages.conftest import html
from tests.support.http_server import HttpServer, Reply
from tests.support.items import item
from tests.support.net import LOOPBACK, free_port
from tests.support.tls_server import Pki, server_context


def on(url: str, device: str = "desktop", **fields: Any) -> OnDevice:
    """The page at url as `device` sees it, named home, timeout 10s unless given."""
    return OnDevice(item(Page, **{"name": "home", "url": url, "devices": [device], "timeout": "10s", **fields}), device)


def run_context() -> RunContext:
    """A run, so that the checks of one page and device share one visit."""
    return RunContext(Environment(environment="t"), Path("reports"), None, dt.datetime.now(dt.timezone.utc))


@pytest.mark.parametrize("device", ["desktop", "mobile"])
def test_a_fast_page_passes_all_three_checks_from_one_visit(site: HttpServer, device: str) -> None:
    target = on(site.url("/"), device, max_load="3s", max_interactive="3s", max_console_errors=0)
    context = run_context()
    results = [check(target, context=context) for check in (load, interactive, fits_device)]
    assert [r.status for r in results] == [Status.PASSED] * 3, [r.reason for r in results]
    assert re.fullmatch(rf"home on {device} loaded in [\d.]+m?s with every asset; limit 3s", results[0].reason)
    pattern = rf"home on {device} was interactive after [\d.]+m?s \(DOMContentLoaded at [\d.]+m?s; 0 long tasks\)"
    assert re.match(pattern, results[1].reason), results[1].reason
    width = {"desktop": 1366, "mobile": 390}[device]
    assert results[2].reason.startswith(f"home on {device} fits the {width}px-wide screen"), results[2].reason
    pages = [r for r in site.requests if r.path == "/" and _agent_of(device) in r.headers.get("User-Agent", "")]
    assert len(pages) == 1, "the three checks share one page load"
    assert {r.method for r in site.requests} == {"GET"}, "nothing but GET reaches the site"


def _agent_of(device: str) -> str:
    """A word the device's User-Agent header carries."""
    return {"desktop": "X11", "mobile": "iPhone"}[device]


def test_a_slow_asset_fails_max_load_with_the_measured_time(site: HttpServer) -> None:
    result = load(on(site.url("/slow-asset"), "mobile", max_load="1s"))
    assert result.status is Status.FAILED
    assert re.fullmatch(r"home on mobile loaded in [\d.]+s with every asset; limit 1s", result.reason), result.reason
    assert result.value >= 1.5 and result.limit == "1s"


def test_a_load_past_the_warning_level_warns(site: HttpServer) -> None:
    result = load(on(site.url("/slow-asset"), max_load="5s", warn_max_load="1s"))
    assert result.status is Status.WARNING
    assert re.fullmatch(r"home on desktop loaded in [\d.]+s with every asset; warning level 1s", result.reason)
    assert result.value >= 1.5


def test_a_missing_asset_fails_load_naming_it(site: HttpServer) -> None:
    result = load(on(site.url("/broken-asset"), max_load="5s"))
    assert result.status is Status.FAILED
    assert result.reason == f"home on desktop: 1 asset failed: {site.url('/logo-missing.png')} answered 404"
    assert result.evidence["failed_assets"] == [f"{site.url('/logo-missing.png')} answered 404"]


def test_a_page_that_answers_an_error_fails_load(site: HttpServer) -> None:
    result = load(on(site.url("/no-such-page")))
    assert result.status is Status.FAILED
    assert result.reason == "home on desktop: the page itself answered 404"


def test_a_long_task_after_dom_content_loaded_fails_max_interactive(site: HttpServer) -> None:
    result = interactive(on(site.url("/busy"), max_interactive="250ms"))
    assert result.status is Status.FAILED
    assert re.fullmatch(r"home on desktop was interactive after (\d+)ms \(DOMContentLoaded at \d+ms; "
                        r"1 long task, the last ending at \d+ms\); limit 250ms", result.reason), result.reason
    assert result.value >= 0.3
    assert result.evidence["dom_content_loaded_ms"] < 250  # the long task, not DOMContentLoaded, made it late


def test_a_wide_element_fails_on_mobile_and_fits_on_desktop(site: HttpServer) -> None:
    phone = fits_device(on(site.url("/wide"), "mobile"))
    assert phone.status is Status.FAILED
    assert phone.reason == ("home on mobile is 1208px wide on a 390px-wide screen (it scrolls sideways); "
                            "div.banner reaches 1208px")
    desktop = fits_device(on(site.url("/wide"), "desktop"))
    assert desktop.status is Status.PASSED, desktop.reason


def test_a_page_without_a_viewport_tag_fails_on_a_tablet_only(site: HttpServer) -> None:
    tablet = fits_device(on(site.url("/no-viewport"), "tablet"))
    assert tablet.status is Status.FAILED
    assert tablet.reason == ("home on tablet: the page has no <meta name=viewport>, so the device lays it out "
                             "980px wide and shrinks it")
    assert fits_device(on(site.url("/no-viewport"), "desktop")).status is Status.PASSED


def test_console_errors_fail_max_console_errors_naming_them(site: HttpServer) -> None:
    result = fits_device(on(site.url("/noisy"), "mobile", max_console_errors=0))
    assert result.status is Status.FAILED
    assert result.reason == ("home on mobile: 2 console errors: cart failed to render 42; uncaught TypeError: "
                             "Cannot read properties of null (reading 'price'); limit 0")
    assert fits_device(on(site.url("/noisy"), max_console_errors=2)).status is Status.PASSED


def test_a_refused_connection_is_an_error_with_chromiums_cause() -> None:
    url = f"http://{LOOPBACK}:{free_port()}/"
    result = load(on(url, max_load="3s"))
    assert (result.status, result.reason) == (Status.ERROR, f"net::ERR_CONNECTION_REFUSED loading {url}")


def test_a_server_that_never_answers_is_an_error_within_the_timeout(browser_ready: str, hanging_port: int) -> None:
    started = time.monotonic()
    result = load(on(f"http://{LOOPBACK}:{hanging_port}/", timeout="1s"))
    assert (result.status, result.reason) == (Status.ERROR, "no answer to Page.navigate within 1s")
    assert time.monotonic() - started < 5


def test_chromium_is_killed_and_its_profile_removed_after_an_error(browser_ready: str, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert load(on(f"http://{LOOPBACK}:{free_port()}/")).status is Status.ERROR
    assert list(tmp_path.iterdir()) == []
    running = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _cmdline(p).count(str(tmp_path))]
    assert running == []


def _cmdline(process: Path) -> str:
    """A process's command line ('' once it has gone)."""
    try:
        return (process / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def test_a_chromium_path_that_does_not_exist_is_an_error(site: HttpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSV_CHROMIUM", "/nonexistent/chromium")
    result = load(on(site.url("/")))
    assert (result.status, result.reason) == (Status.ERROR, "no Chromium found at /nonexistent/chromium "
                                                            "(set by OPSV_CHROMIUM)")


def test_no_chromium_on_the_path_is_an_error_saying_how_to_install_it(site: HttpServer,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSV_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    result = fits_device(on(site.url("/")))
    assert (result.status, result.reason) == (
        Status.ERROR, "no Chromium found (apt-get install chromium, or set OPSV_CHROMIUM)")


def test_headers_go_to_the_pages_own_origin_only(browser_ready: str) -> None:
    with HttpServer({"/cdn.js": Reply(200, "var cdn = 1;", {"Content-Type": "text/javascript"})}) as cdn, \
            HttpServer({"/": html(f'<script src="{cdn.url("/cdn.js")}"></script>')}) as own:
        result = load(on(own.url("/"), headers={"X-Api-Key": "page-s3cret"}))
    assert result.status is Status.PASSED, result.reason
    assert [r.headers.get("X-Api-Key") for r in own.requests if r.path == "/"] == ["page-s3cret"]
    assert [r.headers.get("X-Api-Key") for r in cdn.requests] == [None]


def test_https_is_trusted_through_ca_file_and_refused_without_it(browser_ready: str, pki: Pki) -> None:
    with HttpServer({"/": html("<p>secure</p>")}, tls=server_context(pki.issue("page"))) as secure:
        trusted = load(on(secure.url("/"), ca_file=str(pki.ca_file), max_load="5s"))
        untrusted = load(on(secure.url("/")))
    assert trusted.status is Status.PASSED, trusted.reason
    assert untrusted.status is Status.ERROR
    assert untrusted.reason.startswith("certificate verify failed: "), untrusted.reason

