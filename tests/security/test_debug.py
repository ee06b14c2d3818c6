"""Debug pages on a missing page and directory listings, against real servers (a real Werkzeug debugger,
a real http.server listing) and the pages other frameworks show."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from werkzeug.debug import DebuggedApplication
from werkzeug.serving import make_server

from opsverify.checks.security.debug import error_page, listing
from opsverify.result import Status
from tests.security.conftest import PAGE, StartSite, page, site
from tests.support.http_server import Reply
from tests.support.net import LOOPBACK

DJANGO = """<!DOCTYPE html><html lang="en"><head><title>Page not found at /nope</title></head><body>
<div id="info"><p>Using the URLconf defined in <code>shop.urls</code>, Django tried these URL patterns, in this
order:</p></div><div id="explanation"><p>You’re seeing this error because you have <code>DEBUG = True</code> in
your Django settings file.</p></div></body></html>"""
WHOOPS = """<!DOCTYPE html><html><head><title>Whoops! There was an error.</title></head><body>
<div class="Whoops container"><div class="stack-container">...</div></div></body></html>"""
EXPRESS = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head><body>
<pre>TypeError: Cannot read properties of undefined (reading &#39;slug&#39;)<br> &nbsp; &nbsp;at /srv/shop/routes/page.js:14:27<br>
 &nbsp; &nbsp;at Layer.handle [as handle_request] (/srv/shop/node_modules/express/lib/router/layer.js:95:5)</pre>
</body></html>"""
RAILS = """<!DOCTYPE html><html lang="en"><head><title>Action Controller: Exception caught</title></head><body>
<header><h1>Routing Error</h1></header><div id="container"><h2>No route matches [GET] &quot;/nope&quot;</h2>
<p><code>Rails.root: /srv/shop</code></p></div></body></html>"""
LARAVEL_JSON = {"message": "The route nope could not be found.",
                "exception": "Symfony\\Component\\HttpKernel\\Exception\\NotFoundHttpException",
                "file": "/var/www/vendor/laravel/framework/src/Illuminate/Routing/AbstractRouteCollection.php",
                "line": 44, "trace": [{"file": "/var/www/vendor/laravel/framework/src/Illuminate/Routing/"
                                               "RouteCollection.php", "line": 162}]}
NGINX_INDEX = """<html><head><title>Index of /uploads/</title></head><body><h1>Index of /uploads/</h1><hr><pre>
<a href="../">../</a>\n<a href="invoice-2026-11.pdf">invoice-2026-11.pdf</a></pre><hr></body></html>"""
PLAIN_404 = "<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center>" \
            "<hr><center>nginx</center></body></html>"


@pytest.fixture
def werkzeug_debugger() -> Iterator[str]:
    """A real Werkzeug server whose app raises on unknown paths, wrapped in the debugger (debug mode)."""

    def app(environ, start_response):
        """A page lookup that raises for anything it does not know."""
        return {"/": [b"shop"]}[environ["PATH_INFO"]]

    server = make_server(LOOPBACK, 0, DebuggedApplication(app, evalex=False), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{LOOPBACK}:{server.server_port}"
    server.shutdown()


def test_a_real_werkzeug_debugger_page_fails(werkzeug_debugger) -> None:
    result = error_page(site(werkzeug_debugger))
    assert result.status is Status.FAILED
    assert result.reason.startswith("a missing page (/opsverify-missing-")
    assert result.reason.endswith(") shows the Werkzeug debugger (HTTP 500, asked for HTML)")


@pytest.mark.parametrize(("body", "found"), [
    (DJANGO, "Django's debug page"),
    (WHOOPS, "the Whoops error page"),
    (EXPRESS, "an Express/Node.js stack trace"),
    (RAILS, "Rails' debug page"),
    ("<pre>Traceback (most recent call last):\n  File \"/srv/app/views.py\", line 3, in page\nKeyError: 'x'</pre>",
     "a Python traceback"),
    ("<br />\n<b>Fatal error</b>:  Uncaught Error: Call to undefined function x() in /var/www/index.php:3\n"
     "Stack trace:\n#0 {main}\n  thrown in <b>/var/www/index.php</b> on line <b>3</b><br />", "a PHP error with file "
                                                                                               "and line"),
])
def test_each_frameworks_debug_page_on_a_missing_page_fails(start_site: StartSite, pki, body, found) -> None:
    server = start_site({"/": page()}, fallback=Reply(404, body, headers={"Content-Type": "text/html"}))
    result = error_page(site(server, ca_file=pki.ca_file))
    assert result.status is Status.FAILED
    assert result.reason.endswith(f"shows {found} (HTTP 404, asked for HTML)")


def test_a_laravel_trace_in_the_json_404_fails(start_site: StartSite, pki) -> None:
    """Laravel in debug mode renders a 404 page for browsers but the whole trace for JSON clients."""

    def answer(request):
        """A plain page for HTML, the debug JSON for JSON."""
        if "json" in request.headers.get("Accept", ""):
            return Reply(404, LARAVEL_JSON)
        return Reply(404, PLAIN_404, headers={"Content-Type": "text/html"})

    result = error_page(site(start_site({"/": page()}, fallback=answer), ca_file=pki.ca_file))
    assert result.status is Status.FAILED
    assert result.reason.endswith("shows a Laravel stack trace (HTTP 404, asked for JSON)")


def test_a_plain_404_passes(start_site: StartSite, pki) -> None:
    server = start_site({"/": page()}, fallback=Reply(404, PLAIN_404, headers={"Content-Type": "text/html"}))
    result = error_page(site(server, ca_file=pki.ca_file))
    assert (result.status, result.reason) == (Status.PASSED, "a missing page answers 404 (HTML) and 404 (JSON) "
                                                             "without a stack trace or debug page")


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[str]:
    """A real `python -m http.server` serving a folder: it lists folders without an index.html."""
    (tmp_path / "backup-2026-11-20.sql.gz").write_bytes(b"\x1f\x8b")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer((LOOPBACK, 0), handler)
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://{LOOPBACK}:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_real_http_server_listing_fails(file_server: str) -> None:
    result = listing(site(file_server))
    assert (result.status, result.reason) == (Status.FAILED, "directory listing on / (a Python http.server listing)")


def test_a_listing_of_a_common_folder_fails(start_site: StartSite, pki) -> None:
    server = start_site({"/": page(), "/uploads/": Reply(200, NGINX_INDEX, headers={"Content-Type": "text/html"})})
    result = listing(site(server, ca_file=pki.ca_file))
    assert result.reason == "directory listing on /uploads/ (an Apache/nginx index)"


def test_the_folders_of_the_pages_own_assets_are_tried(start_site: StartSite, pki) -> None:
    body = PAGE.replace("</head>", '<link rel="stylesheet" href="/build/css/app.css"></head>')
    index = NGINX_INDEX.replace("/uploads/", "/build/css/")
    server = start_site({"/": page(body=body), "/build/css/": Reply(200, index, headers={"Content-Type": "text/html"})})
    result = listing(site(server, ca_file=pki.ca_file))
    assert result.status is Status.FAILED and "/build/css/" in result.reason


def test_no_listing_on_a_catch_all_site(start_site: StartSite, pki) -> None:
    server = start_site(fallback=page())
    result = listing(site(server, ca_file=pki.ca_file))
    assert result.status is Status.PASSED
    assert result.reason.startswith("no directory listing on 10 folders (/, /static/, /assets/, /uploads/")
