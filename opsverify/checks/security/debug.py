"""Debug pages and stack traces on a missing page, and directory listings, recognised by their content."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from opsverify.checks import probe
from opsverify.checks.security import Site
from opsverify.checks.security.web import first_match, get, links, missing_path
from opsverify.result import Result, failed, passed


def _patterns(*pairs: tuple[str, str]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(label, compiled regex) pairs."""
    return tuple((label, re.compile(regex)) for label, regex in pairs)


DEBUG_PAGES = _patterns(
    ("the Werkzeug debugger", r"Werkzeug Debugger|__debugger__|<div class=\"debugger\">"),
    ("Django's debug page", r"You(?:&#x27;|'|&#39;)re seeing this error because you have <code>DEBUG = True"
                            r"|Django tried these URL patterns|URLconf defined in <code>"),
    ("Laravel Ignition", r"window\.ignite\b|spatie/(?:laravel-)?ignition|Spatie\\+(?:Laravel)?Ignition"),
    ("the Whoops error page", r"Whoops! There was an error|class=\"Whoops container\"|filp/whoops"),
    ("a Laravel stack trace", r"vendor[/\\]+laravel[/\\]+framework|Illuminate\\+(?:Routing|Foundation|Pipeline)"),
    ("Symfony's debug page", r"symfony/error-handler|Symfony\\+Component\\+|class=\"sf-dump\""),
    ("Rails' debug page", r"Action Controller: Exception caught|Rails\.root:|<h2[^>]*>\s*Rails\.root|better_errors"),
    ("an Express/Node.js stack trace",
     r"at (?:\S+ )?\(?(?:/|[A-Za-z]:\\)[^\s()<>]+\.[cm]?js:\d+:\d+\)?|node_modules[/\\]express[/\\]"),
    ("a Python traceback", r"Traceback \(most recent call last\)|File &quot;/[^&]+\.py&quot;, line \d+"
                           r"|File \"/[^\"]+\.py\", line \d+"),
    ("a PHP error with file and line", r"<b>(?:Fatal error|Warning|Parse error|Notice)</b>:.*? on line <b>\d+</b>"
                                       r"|Stack trace:\s*(?:<br\s*/?>\s*)?#0 "),
    ("a Java stack trace", r"\bat [\w$.]+\([\w$]+\.java:\d+\)|Exception in thread \""),
    ("the ASP.NET error page", r"Server Error in '/' Application|<!-- \[\w+Exception\]"),
)
LISTINGS = _patterns(
    ("an Apache/nginx index", r"<title>\s*Index of /|<h1>\s*Index of /"),
    ("a Python http.server listing", r"<title>\s*Directory listing for /"),
    ("an Express serve-index listing", r"<title>\s*listing directory /|id=\"files\" class=\"view-tiles\""),
    ("an IIS listing", r"\[To Parent Directory\]"),
    ("a Tomcat/Jetty listing", r"<title>\s*Directory Listing For |<h1>\s*Directory: /"),
)
COMMON_FOLDERS = ("/static/", "/assets/", "/uploads/", "/images/", "/files/", "/storage/", "/media/",
                  "/backup/", "/backups/")
MAX_FOLDERS = 12


@probe
def error_page(site: Site) -> Result:
    """A missing page, asked for as HTML and as JSON, must show no stack trace or framework debug page."""
    path = missing_path()
    seen = []
    for accept in ("text/html,*/*;q=0.8", "application/json"):
        page = get(site, site.at(path), accept=accept)
        seen.append(f"{page.status} ({'JSON' if accept == 'application/json' else 'HTML'})")
        found = first_match(DEBUG_PAGES, page.text)
        if found:
            return failed(f"a missing page ({urlsplit(page.url).path}) shows {found} (HTTP {page.status}, "
                          f"asked for {'JSON' if accept == 'application/json' else 'HTML'})",
                          evidence={"url": page.url, "status": page.status, "found": found})
    return passed(f"a missing page answers {' and '.join(seen)} without a stack trace or debug page",
                  evidence={"path": path, "answers": seen})


@probe
def listing(site: Site) -> Result:
    """The base URL, the folders of its own assets and a few common folders must not list their files."""
    base = get(site, site.url)
    scripts, assets = links(base)
    origin = urlsplit(base.url)
    folders = [urlsplit(site.url).path or "/"]
    for url in [*scripts, *assets]:
        folder = urlsplit(url).path.rsplit("/", 1)[0] + "/"
        folders.append(folder)
    base_path = (urlsplit(site.url).path or "/").rstrip("/")
    folders += [base_path + folder for folder in COMMON_FOLDERS]
    folders = list(dict.fromkeys(folders))[:MAX_FOLDERS]
    found = []
    for folder in folders:
        page = base if folder == folders[0] else get(site, f"{origin.scheme}://{origin.netloc}{folder}")
        kind = first_match(LISTINGS, page.text) if page.ok else None
        if kind:
            found.append(f"{folder} ({kind})")
    evidence = {"folders": folders, "listed": found}
    if found:
        return failed(f"directory listing on {', '.join(found)}", evidence=evidence)
    return passed(f"no directory listing on {len(folders)} folders ({', '.join(folders[:4])}"
                  f"{', …' if len(folders) > 4 else ''})", evidence=evidence)
