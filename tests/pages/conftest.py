"""Fixtures for the page tests: a real loopback site with one page per way a page can go wrong, and Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.browser import chromium
from tests.support.fixtures import hanging_port, pki  # noqa: F401 - fixtures
from tests.support.http_server import HttpServer, Reply

HTML = {"Content-Type": "text/html; charset=utf-8"}
FITS = '<meta name="viewport" content="width=device-width, initial-scale=1">'


def html(body: str, head: str = FITS) -> Reply:
    """An HTML page with the given head and body."""
    return Reply(200, f"<!doctype html><html><head><title>t</title>{head}</head><body>{body}</body></html>", HTML)


def routes() -> dict[str, Reply]:
    """The site: a healthy page and one page per fault, with their assets."""
    return {
        "/": html('<h1>Print shop</h1><link rel="stylesheet" href="/site.css"><script src="/app.js"></script>'),
        "/site.css": Reply(200, "h1 { color: navy }", {"Content-Type": "text/css"}),
        "/app.js": Reply(200, "document.title = 'Print shop';", {"Content-Type": "text/javascript"}),
        "/slow.js": Reply(200, "var late = 1;", {"Content-Type": "text/javascript"}, delay=1.5),
        "/slow-image.png": Reply(200, b"", {"Content-Type": "image/png"}, delay=0.8),
        "/slow-asset": html('<p>waits</p><script src="/slow.js"></script>'),
        # DOMContentLoaded at once; then a 300 ms busy loop while an image still holds the load open.
        "/busy": html('<p>busy</p><img src="/slow-image.png"><script>setTimeout(() => {'
                      'const t = performance.now(); while (performance.now() - t < 300) {} }, 50)</script>'),
        "/wide": html('<div class="banner" style="width:1200px">a fixed 1200px banner</div>'),
        "/no-viewport": html("<p>desktop only</p>", head=""),
        "/noisy": html('<script>console.error("cart failed to render", 42)</script>'
                       '<script>null.price</script>'),
        "/broken-asset": html('<img src="/logo-missing.png"><script src="/app.js"></script>'),
    }


@pytest.fixture(scope="session")
def browser_ready() -> str:
    """The Chromium the checks will find (skips, or fails under OPSV_REQUIRE_SERVICES=1, without one)."""
    return chromium()


@pytest.fixture(scope="module")
def site(browser_ready: str) -> Iterator[HttpServer]:
    """The site on loopback."""
    with HttpServer(routes()) as server:
        yield server
