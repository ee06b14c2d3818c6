"""The demo shop: routes backed by the read-only database, security headers and request-level breaks."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from opsverify import __version__
from opsverify.demo import insecure, pages
from opsverify.demo.database import connect_read_only

log = logging.getLogger("opsverify.demo")
log.addHandler(logging.NullHandler())  # a library stays quiet unless the caller configures logging

SESSION_COOKIE = "demo_session"
SLOW_BY = 1.5  # seconds the `slow` break adds to every page
SLOW_SLOTS = 8  # under `slow`, only this many slow requests run at once; more queue, so latency grows with load
MIN_FREE_DISK = 64 * 2**20  # the health check reports disk "low" below this
MAX_QTY = 100_000
SECURITY_HEADERS = (
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
    ("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                                "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


@dataclass(frozen=True)
class Request:
    """What the app reads of an HTTP request (header names lower-case)."""

    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes = b""
    secure: bool = True

    @property
    def path(self) -> str:
        """The path without the query string."""
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        """The query string's parameters."""
        return parse_qs(urlsplit(self.target).query)

    @property
    def wants_json(self) -> bool:
        """Whether the client asked for JSON, or is calling the API."""
        return self.path.startswith("/api/") or "application/json" in self.headers.get("accept", "")

    def cookie(self, name: str) -> str | None:
        """A cookie the client sent, if any."""
        try:
            morsel = SimpleCookie(self.headers.get("cookie", "")).get(name)
        except CookieError:
            return None
        return morsel.value if morsel else None


@dataclass(frozen=True)
class Response:
    """A status, a body, its content type and extra headers."""

    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


def html(status: int, page: str, *headers: tuple[str, str]) -> Response:
    """An HTML response."""
    return Response(status, page.encode(), "text/html; charset=utf-8", headers)


def as_json(status: int, data: Any) -> Response:
    """A compact JSON response (`{"status":"ok"}`, no spaces)."""
    return Response(status, json.dumps(data, separators=(",", ":")).encode(), "application/json")


def session_cookie() -> tuple[str, str]:
    """A fresh session cookie: Secure, HttpOnly, SameSite=Lax."""
    token = secrets.token_urlsafe(24)
    return "Set-Cookie", f"{SESSION_COOKIE}={token}; Path=/; Max-Age=7200; Secure; HttpOnly; SameSite=Lax"


def _euros(cents: int) -> str:
    """An amount in cents as a decimal string."""
    return f"{cents / 100:.2f}"


Route = Callable[..., Response]


class App:
    """The demo shop behind both ports; the database is only ever read."""

    def __init__(self, *, db: Path, health_db: Path, https_url: str, breaks: frozenset[str],
                 stopping: threading.Event) -> None:
        """An app reading db (health_db for the health check) and redirecting plain HTTP to https_url."""
        self.db, self.health_db, self.https_url = db, health_db, https_url
        self.breaks, self.stopping = breaks, stopping
        self.slow_slots = threading.BoundedSemaphore(SLOW_SLOTS)
        self.routes: tuple[tuple[re.Pattern[str], dict[str, Route]], ...] = (
            (re.compile(r"/"), {"GET": self.home}),
            (re.compile(r"/api/health"), {"GET": self.health}),
            (re.compile(r"/products"), {"GET": self.products}),
            (re.compile(r"/products/(\d{1,9})"), {"GET": self.product}),
            (re.compile(r"/api/quotes"), {"POST": self.quote}),
            (re.compile(r"/login"), {"GET": self.login_form, "POST": self.login}),
            (re.compile(r"/static/app\.css"), {"GET": self.stylesheet}),
        )

    def respond(self, request: Request) -> Response | None:
        """The response to a request; None when the connection must be dropped unanswered (hang)."""
        if request.path == "/api/health" and "hang" in self.breaks:
            self.stopping.wait()
            return None
        if not request.secure and request.path != "/api/health":
            location = self.https_url + request.target
            response = Response(301, f"Moved to {location}\n".encode(), "text/plain; charset=utf-8",
                                (("Location", location),))
        else:
            if "slow" in self.breaks:
                with self.slow_slots:
                    self.stopping.wait(SLOW_BY)
            response = self._route(request)
        return self._finish(response, request)

    def reject(self, status: int) -> Response:
        """The error response to a request the server could not read."""
        return self._finish(self.error(status, wants_json=False), None)

    def _route(self, request: Request) -> Response:
        """Dispatch on path and method; 404 and 405 otherwise, a 500 page if the database fails."""
        if request.path == "/.env" and "exposed-env" in self.breaks:
            return Response(200, insecure.DOTENV, "text/plain; charset=utf-8")
        for pattern, handlers in self.routes:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            handler = handlers.get("GET" if request.method == "HEAD" else request.method)
            if handler is None:
                allowed = ", ".join(sorted({*handlers, *(("HEAD",) if "GET" in handlers else ())}))
                response = self.error(405, request.wants_json)
                return replace(response, headers=(("Allow", allowed),))
            try:
                return handler(request, *match.groups())
            except sqlite3.Error as exc:
                log.warning("%s %s failed: database error: %s", request.method, request.path, exc)
                return self.error(500, request.wants_json)
        if "debug-page" in self.breaks and not request.wants_json:
            return html(404, insecure.debug_page(request.path))
        return self.error(404, request.wants_json)

    def _finish(self, response: Response, request: Request | None) -> Response:
        """Add the security headers, a cache policy and, for a new visitor's page, a session cookie."""
        extra: list[tuple[str, str]] = []
        if not any(name == "Cache-Control" for name, _ in response.headers):
            extra.append(("Cache-Control", "no-store"))
        if (request is not None and request.secure and response.status < 400
                and response.content_type.startswith("text/html") and request.cookie(SESSION_COOKIE) is None
                and not any(name == "Set-Cookie" for name, _ in response.headers)):
            extra.append(session_cookie())
        shown = insecure.weakened(SECURITY_HEADERS) if "missing-headers" in self.breaks else SECURITY_HEADERS
        headers = (*shown, *extra, *response.headers)
        return replace(response, headers=insecure.plain_cookies(headers) if "insecure-cookie" in self.breaks
                       else headers)

    @staticmethod
    def error(status: int, wants_json: bool) -> Response:
        """A plain error page (or JSON for API clients) with no detail about the app's internals."""
        reason = HTTPStatus(status).phrase
        return as_json(status, {"error": reason}) if wants_json else html(status, pages.error(status, reason))

    @contextmanager
    def _read(self, path: Path | None = None) -> Iterator[sqlite3.Connection]:
        """A read-only connection to the database, closed afterwards."""
        with closing(connect_read_only(path or self.db)) as connection:
            connection.row_factory = sqlite3.Row
            yield connection

    def _product_row(self, product_id: int) -> sqlite3.Row | None:
        """One product, if it exists."""
        with self._read() as db:
            return db.execute("SELECT * FROM products WHERE id = ?", (product_id,)).fetchone()

    def home(self, request: Request) -> Response:
        """The home page."""
        with self._read() as db:
            count = db.execute("SELECT count(*) FROM products").fetchone()[0]
        return html(200, pages.home(count))

    def health(self, request: Request) -> Response:
        """Health: really queries the database; `?detailed=true` adds each check."""
        if "health-503" in self.breaks:
            return as_json(503, {"status": "unavailable", "message": "Service Unavailable"})
        try:
            with self._read(self.health_db) as db:
                db.execute("SELECT count(*) FROM products").fetchone()
            database = "up"
        except sqlite3.Error as exc:
            log.warning("health: database %s is down: %s", self.health_db, exc)
            database = "down"
        disk = "ok" if shutil.disk_usage(self.db.parent).free >= MIN_FREE_DISK else "low"
        healthy = (database, disk) == ("up", "ok")
        body: dict[str, Any] = {"status": "ok" if healthy else "degraded", "db": database}
        if request.query.get("detailed") == ["true"]:
            body["checks"] = {"db": database, "disk": disk}
        body["version"] = __version__
        return as_json(200, body)

    @staticmethod
    def _product_json(row: sqlite3.Row) -> dict[str, Any]:
        """A product as the API shows it."""
        return {"id": row["id"], "sku": row["sku"], "name": row["name"], "description": row["description"],
                "price": _euros(row["price_cents"]), "currency": "EUR", "in_stock": row["stock"] > 0}

    def products(self, request: Request) -> Response:
        """The catalogue, as HTML or JSON."""
        with self._read() as db:
            rows = db.execute("SELECT * FROM products ORDER BY id").fetchall()
        if request.wants_json:
            return as_json(200, [self._product_json(row) for row in rows])
        return html(200, pages.product_list(rows))

    def product(self, request: Request, product_id: str) -> Response:
        """One product, as HTML or JSON."""
        row = self._product_row(int(product_id))
        if row is None:
            return self.error(404, request.wants_json)
        return as_json(200, self._product_json(row)) if request.wants_json else html(200, pages.product(row))

    def quote(self, request: Request) -> Response:
        """A price quote for `{"product": ID, "qty": N}`; nothing is stored."""
        try:
            data = json.loads(request.body)
            product_id, qty = data["product"], data["qty"]
        except (ValueError, TypeError, KeyError):
            return as_json(400, {"error": 'send a JSON object like {"product": 1, "qty": 10}'})
        if type(product_id) is not int or type(qty) is not int or not 1 <= qty <= MAX_QTY:
            return as_json(422, {"error": f"product must be an id, qty a whole number from 1 to {MAX_QTY}"})
        row = self._product_row(product_id)
        if row is None:
            return as_json(404, {"error": f"no product {product_id}"})
        discount = 10 if qty >= 100 else 0
        total = row["price_cents"] * qty * (100 - discount) // 100
        return as_json(200, {"product": product_id, "name": row["name"], "qty": qty,
                             "unit_price": _euros(row["price_cents"]), "discount": f"{discount}%",
                             "total": _euros(total), "currency": "EUR",
                             "valid_until": (dt.date.today() + dt.timedelta(days=14)).isoformat()})

    def login_form(self, request: Request) -> Response:
        """The sign-in page; it always starts a fresh session."""
        return html(200, pages.login(), session_cookie())

    def login(self, request: Request) -> Response:
        """Sign in by e-mail address (the demo has no passwords): a new session and back home."""
        email = parse_qs(request.body.decode(errors="replace")).get("email", [""])[0].strip().lower()
        with self._read() as db:
            known = db.execute("SELECT 1 FROM users WHERE email = ?", (email,)).fetchone()
        if known is None:
            return html(401, pages.login("No account with that e-mail address."))
        return Response(303, b"", "text/plain", (("Location", "/"), session_cookie()))

    def stylesheet(self, request: Request) -> Response:
        """The stylesheet."""
        return Response(200, pages.STYLESHEET, "text/css; charset=utf-8",
                        (("Cache-Control", "public, max-age=3600"),))
