"""Exposed files and consoles (`/.env`, `/.git/config`, phpinfo, dumps, source maps), decided on content.

A catch-all route that answers every path with the app's page and 200 is not an exposure; a body
that is a dotenv file, a git config or an SQL dump is, whatever the status. Reasons name what was
found (variable names, never values); no part of an exposed body is ever kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from opsverify.checks import probe
from opsverify.checks.security import Site
from opsverify.checks.security.web import Page, get, links, missing_path, same_page
from opsverify.result import Result, failed, passed, warning

SOURCE_MAPS = "/*.js.map"
DEFAULT_PATHS = ("/.env", "/.env.production", "/.git/config", "/.git/HEAD", "/phpinfo.php", "/server-status",
                 "/_ignition/health-check", "/telescope", "/horizon", "/.DS_Store", "/backup.sql", "/dump.sql",
                 "/config.json", "/storage/logs/laravel.log", "/.npmrc", SOURCE_MAPS)
MAX_SCRIPTS = 5
ENV_LINE = re.compile(r"^[ \t]*(?:export[ \t]+)?([A-Z][A-Z0-9_]*)[ \t]*=", re.M)
ENV_TELLTALES = {"APP_KEY", "APP_ENV", "APP_DEBUG", "APP_URL", "DB_HOST", "DB_PASSWORD", "DB_DATABASE",
                 "DATABASE_URL", "SECRET_KEY", "REDIS_URL", "MAIL_PASSWORD", "AWS_SECRET_ACCESS_KEY"}
SECRETISH = re.compile(r"pass|secret|token|key|auth|credential|private|dsn|database_url", re.I)
PUBLIC = re.compile(r"public|publishable|site_?key|author", re.I)  # meant to be public: not a leak
SQL = re.compile(r"^(?:-- (?:MySQL|MariaDB) dump|-- PostgreSQL database dump|CREATE TABLE|INSERT INTO|DROP TABLE"
                 r"|COPY \S+ .*FROM stdin;)", re.M | re.I)
LOG_LINE = re.compile(r"^\[\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[^\]]*\] \w+\.[A-Z]+: ", re.M)


def _markup(page: Page) -> bool:
    """Whether the body is markup (an HTML page), judged on the content, not the Content-Type."""
    return page.text.lstrip()[:1] == "<"


def _dotenv(page: Page) -> str | None:
    """A dotenv file: KEY=value lines, not markup; only the names are reported."""
    names = list(dict.fromkeys(ENV_LINE.findall(page.text)))
    if _markup(page) or not names or (len(names) < 2 and not ENV_TELLTALES & set(names)):
        return None
    shown = ([n for n in names if SECRETISH.search(n)] or names)[:4]
    more = f" and {len(names) - len(shown)} more" if len(names) > len(shown) else ""
    return f"a dotenv file with {', '.join(shown)}{more}"


def _git_config(page: Page) -> str | None:
    """A git config: [core], [remote "…"] sections."""
    if _markup(page) or not re.search(r'^\s*\[(core|remote "[^"]*"|branch "[^"]*"|credential)\]', page.text, re.M):
        return None
    creds = re.search(r"^\s*url\s*=\s*\w+://[^/\s]+@", page.text, re.M)
    return "a git config" + (" with credentials in a remote URL" if creds else "")


def _git_head(page: Page) -> str | None:
    """A git HEAD file: `ref: refs/heads/main` or a commit id."""
    text = page.text.strip()
    return "the git HEAD (the repository is downloadable)" if re.fullmatch(r"ref: refs/\S+|[0-9a-f]{40}", text) else None


def _phpinfo(page: Page) -> str | None:
    """The phpinfo() page."""
    version = re.search(r"PHP Version (?:</[^>]+>\s*<[^>]+>)?\s*([\d.]+)", page.text)
    return f"phpinfo() (PHP {version[1]})" if "phpinfo()" in page.text and version else None


def _server_status(page: Page) -> str | None:
    """Apache mod_status or nginx stub_status."""
    if "Apache Server Status for" in page.text:
        return "Apache's server-status page (clients and URLs being served)"
    return "nginx's stub_status counters" if re.match(r"Active connections: \d+", page.text.lstrip()) else None


def _ignition(page: Page) -> str | None:
    """Laravel Ignition's health check: the app runs in debug mode."""
    return "Laravel Ignition's health check (debug mode is on)" if "can_execute_commands" in page.text else None


def _telescope(page: Page) -> str | None:
    """The Laravel Telescope dashboard."""
    found = "window.Telescope" in page.text or re.search(r"<title>\s*Telescope\b", page.text)
    return "the Laravel Telescope dashboard (requests, queries, mail)" if found else None


def _horizon(page: Page) -> str | None:
    """The Laravel Horizon dashboard."""
    found = "window.Horizon" in page.text or re.search(r"<title>\s*Horizon\b", page.text)
    return "the Laravel Horizon dashboard (queued jobs and their data)" if found else None


def _debugbar(page: Page) -> str | None:
    """Laravel Debugbar: its open handler's list of stored requests, or its widget."""
    try:
        stored = json.loads(page.text)
    except ValueError:
        stored = None
    listed = isinstance(stored, list) and bool(stored) and isinstance(stored[0], dict) \
        and {"id", "datetime", "uri"} <= stored[0].keys()
    found = listed or "PhpDebugBar" in page.text
    return "Laravel Debugbar (recorded requests, queries and sessions)" if found else None


def _log_viewer(page: Page) -> str | None:
    """A Laravel log viewer (opcodesio/log-viewer, rap2hpoutre/laravel-log-viewer)."""
    found = "window.LogViewer" in page.text or re.search(r"<title>\s*(Laravel )?log viewer\b", page.text, re.I)
    return "a Laravel log viewer (the application's logs)" if found else None


def _ds_store(page: Page) -> str | None:
    """A macOS .DS_Store file."""
    return "a .DS_Store file (it lists the folder's file names)" if page.body[4:8] == b"Bud1" else None


def _sql_dump(page: Page) -> str | None:
    """An SQL dump, plain or gzipped."""
    if page.body[:2] == b"\x1f\x8b":
        return "a gzip file (likely a compressed dump)"
    return "an SQL dump" if not _markup(page) and SQL.search(page.text) else None


def _config_json(page: Page) -> str | None:
    """JSON holding secret-like keys (public settings without them are fine)."""
    try:
        document = json.loads(page.text)
    except ValueError:
        return None
    keys = [k for k in dict.fromkeys(_keys(document)) if SECRETISH.search(k) and not PUBLIC.search(k)]
    return f"JSON with secret-like keys {', '.join(keys[:5])}" if keys else None


def _keys(document: Any) -> list[str]:
    """Every key of a JSON document, depth first."""
    if isinstance(document, dict):
        return [k for key, value in document.items() for k in (str(key), *_keys(value))]
    if isinstance(document, list):
        return [k for value in document for k in _keys(value)]
    return []


def _log(page: Page) -> str | None:
    """A Laravel/Monolog log file."""
    return "an application log file" if not _markup(page) and LOG_LINE.search(page.text) else None


def _npmrc(page: Page) -> str | None:
    """An .npmrc, with or without a registry token."""
    if _markup(page):
        return None
    if re.search(r"_authToken\s*=|^\s*_auth\s*=|_password\s*=", page.text, re.M):
        return "an .npmrc with a registry token"
    return "an .npmrc" if re.search(r"^\s*(registry|@[\w-]+:registry)\s*=", page.text, re.M) else None


@dataclass(frozen=True)
class Signature:
    """What a file at matching paths looks like when it is really served."""

    paths: re.Pattern[str]
    what: str  # in words, for a pass: "/.env answered 404, not a dotenv file"
    find: Callable[[Page], str | None]


SIGNATURES = (
    Signature(re.compile(r"/\.env(\.[\w.-]+)?$"), "a dotenv file", _dotenv),
    Signature(re.compile(r"/\.git/config$"), "a git config", _git_config),
    Signature(re.compile(r"/\.git/(HEAD|ORIG_HEAD|FETCH_HEAD)$"), "a git HEAD", _git_head),
    Signature(re.compile(r"/(phpinfo|info|php_info)\.php$"), "phpinfo()", _phpinfo),
    Signature(re.compile(r"/(server-status|nginx_status)$"), "a server status page", _server_status),
    Signature(re.compile(r"/_ignition/"), "Ignition's health check", _ignition),
    Signature(re.compile(r"/telescope(/.*)?$"), "the Telescope dashboard", _telescope),
    Signature(re.compile(r"/horizon(/.*)?$"), "the Horizon dashboard", _horizon),
    Signature(re.compile(r"/_debugbar(/.*)?$"), "Laravel Debugbar", _debugbar),
    Signature(re.compile(r"/log-viewer(/.*)?$|/logs/?$"), "a log viewer", _log_viewer),
    Signature(re.compile(r"/\.DS_Store$"), "a .DS_Store file", _ds_store),
    Signature(re.compile(r"\.sql(\.gz)?$"), "an SQL dump", _sql_dump),
    Signature(re.compile(r"\.json$"), "JSON with secret-like keys", _config_json),
    Signature(re.compile(r"\.log$"), "a log file", _log),
    Signature(re.compile(r"/\.npmrc$"), "an .npmrc", _npmrc),
)


def signature_for(path: str) -> Signature | None:
    """What the file or console at `path` looks like when it is really served, if opsverify knows it."""
    return next((s for s in SIGNATURES if s.paths.search(path)), None)


@probe
def exposed(site: Site) -> Result:
    """Whether the path site.subject serves what it must not (source maps: of the page's own scripts)."""
    if site.subject == SOURCE_MAPS:
        return _source_maps(site)
    path = site.subject
    page = get(site, site.at(path))
    evidence = {"url": site.at(path), "status": page.status, "bytes": len(page.body),
                "content_type": page.headers.get("Content-Type", "")}
    signature = signature_for(path)
    if signature is not None:
        found = signature.find(page)
        if found:
            return failed(f"{path} serves {found} (HTTP {page.status})", evidence=evidence)
        return passed(f"{path} answered {page.status}, not {signature.what}", evidence=evidence)
    if not page.ok or not page.body.strip():
        return passed(f"{path} answered {page.status}" + ("" if page.body.strip() else " with no body"),
                      evidence=evidence)
    missing = missing_path()
    if same_page(page, get(site, site.at(missing)), path, missing):
        return passed(f"{path} answered {page.status} with the same page as any missing path (a catch-all route)",
                      evidence=evidence)
    return failed(f"{path} answered {page.status} with {len(page.body)} bytes of "
                  f"{evidence['content_type'] or 'content'}, unlike a missing page", evidence=evidence)


def _source_maps(site: Site) -> Result:
    """The .map of each same-origin script on the base page (its SourceMap header or comment, else URL + .map)."""
    scripts = links(get(site, site.url))[0][:MAX_SCRIPTS]
    if not scripts:
        return passed("the base page loads no same-origin scripts, so it has no source maps to expose")
    full, bare = [], []
    for script in scripts:
        source = get(site, script)
        ref = source.headers.get("SourceMap") or source.headers.get("X-SourceMap")
        comment = re.findall(r"[#@] sourceMappingURL=(\S+)", source.text[-4096:])
        ref = ref or (comment[-1] if comment else None)
        if ref and ref.startswith("data:"):
            continue
        target = urljoin(script, ref) if ref else script + ".map"
        if urlsplit(target).netloc != urlsplit(script).netloc:
            continue
        try:
            document = json.loads(get(site, target).text)
        except ValueError:
            continue
        if isinstance(document, dict) and "mappings" in document:
            (full if document.get("sourcesContent") else bare).append(urlsplit(target).path)
    evidence = {"scripts": [urlsplit(s).path for s in scripts], "with_source": full, "without_source": bare}
    if full:
        return failed(f"source maps with the original source are public: {', '.join(full)}", evidence=evidence)
    if bare:
        return warning(f"source maps are public (file names and structure, no source): {', '.join(bare)}",
                       evidence=evidence)
    return passed(f"no source map served for {len(scripts)} script(s)", evidence=evidence)
