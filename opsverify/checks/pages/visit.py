"""One page load in headless Chromium as a device sees it: timings, long tasks, failed assets, console, width."""

from __future__ import annotations

import base64
import hashlib
import socket
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from opsverify.checks import CheckError, timeout_of
from opsverify.checks.pages.chromium import Cdp, Listener, browser
from opsverify.checks.trust import client_context
from opsverify.context import RunContext
from opsverify.spec.models.pages import Page
from opsverify.spec.secret import reveal

BROWSERS = threading.BoundedSemaphore(2)  # Chromiums at once: more would slow each other's long tasks
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.5 Mobile/15E148 Safari/604.1")
IPAD = ("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Mobile/15E148 Safari/604.1")
WATCH_LONG_TASKS = """window.__opsvLongTasks = [];
window.__opsvTake = list => { for (const e of list) window.__opsvLongTasks.push([e.startTime, e.duration]); };
try { window.__opsvWatch = new PerformanceObserver(list => window.__opsvTake(list.getEntries()));
  window.__opsvWatch.observe({type: 'longtask', buffered: true}); } catch (e) {}"""
MEASURE = """(() => {
  const nav = performance.getEntriesByType('navigation')[0] || {};
  if (window.__opsvWatch) window.__opsvTake(window.__opsvWatch.takeRecords());
  const inner = document.documentElement.clientWidth, scroll = document.documentElement.scrollWidth;
  let wide = null, reach = 0;
  if (scroll > inner + 1) for (const el of document.querySelectorAll('body *')) {
    const right = el.getBoundingClientRect().right + window.scrollX;
    if (right > inner + 1 && right > reach) { reach = right; wide = el; }
  }
  const named = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  return {load: nav.loadEventEnd || 0, ready: nav.domContentLoadedEventEnd || 0,
          tasks: window.__opsvLongTasks || [], scroll: scroll, inner: inner,
          viewport: !!document.querySelector('meta[name="viewport" i]'),
          wide: wide && named(wide), reach: Math.round(reach)};
})()"""


@dataclass(frozen=True)
class Device:
    """What Chromium emulates: the screen in CSS pixels, its pixel ratio, a phone's or tablet's agent and touch."""

    width: int
    height: int
    scale: float
    agent: str | None = None  # None: Chromium's own (desktop)

    @property
    def mobile(self) -> bool:
        """A phone or tablet: mobile layout (the viewport meta tag applies), touch events."""
        return self.agent is not None


DEVICES = {"desktop": Device(1366, 768, 1), "mobile": Device(390, 844, 3, IPHONE), "tablet": Device(820, 1180, 2, IPAD)}


@dataclass(frozen=True)
class Visit:
    """What one load of a page showed (times in seconds from navigation start)."""

    status: int | None  # the page's own HTTP status
    load: float  # to the end of the load event: every asset of the document loaded
    ready: float  # to the end of DOMContentLoaded
    long_tasks: tuple[tuple[float, float], ...]  # (start, duration) of each long task before the load ended
    failed_assets: tuple[str, ...]
    console_errors: tuple[str, ...]
    scroll_width: int
    inner_width: int
    viewport_meta: bool
    widest: str | None  # the element reaching furthest past the screen's right edge, and where it ends
    reach: int

    @property
    def interactive(self) -> float:
        """DOMContentLoaded, or the end of the last long task within the load, whichever is later."""
        return max([self.ready, *(start + length for start, length in self.long_tasks)])


@dataclass
class _Seen:
    """Events gathered while the page loads."""

    loaded: bool = False
    statuses: dict[str, tuple[str, int]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)  # the requests sent before the load event
    console: list[str] = field(default_factory=list)


_lock = threading.Lock()
_visits: dict[tuple[Any, ...], Future[Visit]] = {}


def shared(page: Page, device: str, context: RunContext | None) -> Visit:
    """One visit per page and device per run, made by whichever of its checks asks first; else a visit of its own."""
    if context is None:
        return visit(page, device)
    key = (context.started, page.name, device)
    with _lock:
        for old in [k for k in _visits if k[0] != context.started]:
            del _visits[old]  # an earlier run's visits (the scheduler runs many in one process)
        future = _visits.get(key)
        mine = future is None
        if future is None:
            future = _visits[key] = Future()
    if not mine:
        return future.result()
    try:
        made = visit(page, device)
    except BaseException as exc:
        future.set_exception(exc)
        raise
    future.set_result(made)
    return made


def visit(page: Page, device: str) -> Visit:
    """Load the page in a fresh headless Chromium emulating `device`, and measure it."""
    timeout = float(timeout_of(page))
    pinned = _pinned_key(page, timeout)
    with BROWSERS, browser(timeout, pinned) as cdp:
        seen = _Seen()
        cdp.listener = _listener(cdp, seen, page)
        _prepare(cdp, page, DEVICES[device])
        navigated = cdp.call("Page.navigate", url=page.url.reveal())
        if navigated.get("errorText"):
            raise CheckError(f"{navigated['errorText']} loading {page.url}")
        cdp.until(lambda: seen.loaded, "load event")
        return _measured(cdp, seen, navigated.get("loaderId", ""), timeout)


def _pinned_key(page: Page, timeout: float) -> tuple[str, ...]:
    """For an https page: its certificate verified here (system CAs, SSL_CERT_FILE, ca_file), its key given Chromium."""
    parts = urlsplit(page.url.reveal())
    if parts.scheme.lower() != "https":
        return ()
    host = parts.hostname or ""
    with socket.create_connection((host, parts.port or 443), timeout=timeout) as raw, \
            client_context(page.ca_file).wrap_socket(raw, server_hostname=host) as tls:
        der = tls.getpeercert(binary_form=True) or b""
    spki = x509.load_der_x509_certificate(der).public_key().public_bytes(Encoding.DER,
                                                                         PublicFormat.SubjectPublicKeyInfo)
    return (f"--ignore-certificate-errors-spki-list={base64.b64encode(hashlib.sha256(spki).digest()).decode()}",)


def _prepare(cdp: Cdp, page: Page, device: Device) -> None:
    """Events on, the device emulated, long tasks watched from the first script, headers for the page's origin."""
    for domain in ("Page", "Network", "Runtime"):
        cdp.call(f"{domain}.enable")
    cdp.call("Emulation.setDeviceMetricsOverride", width=device.width, height=device.height,
             deviceScaleFactor=device.scale, mobile=device.mobile)
    agent = device.agent or cdp.call("Browser.getVersion")["userAgent"].replace("HeadlessChrome", "Chrome")
    cdp.call("Emulation.setUserAgentOverride", userAgent=agent)
    if device.mobile:
        cdp.call("Emulation.setTouchEmulationEnabled", enabled=True, maxTouchPoints=5)
    cdp.call("Page.addScriptToEvaluateOnNewDocument", source=WATCH_LONG_TASKS)
    if page.headers:
        cdp.call("Fetch.enable", patterns=[{"urlPattern": f"{_origin(page.url.reveal())}/*"}])


def _origin(url: str) -> str:
    """scheme://host[:port] of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


def _listener(cdp: Cdp, seen: _Seen, page: Page) -> Listener:
    """What to do with each event while the page loads."""
    extra = {name: reveal(value) for name, value in page.headers.items()}

    def on(method: str, params: dict[str, Any]) -> None:
        """Record the event (or let a paused request of the page's origin go on with the headers)."""
        if method == "Page.loadEventFired":
            seen.loaded = True
        elif method == "Network.requestWillBeSent" and not seen.loaded:  # later ones (the favicon) are not the load's
            seen.urls[params["requestId"]] = params["request"]["url"]
        elif method == "Network.responseReceived" and params["requestId"] in seen.urls:
            seen.statuses[params["requestId"]] = (params["response"]["url"], params["response"]["status"])
        elif method == "Network.loadingFailed" and params["requestId"] in seen.urls and not params.get("canceled"):
            seen.failures[params["requestId"]] = params.get("errorText", "failed")
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            seen.console.append(" ".join(_said(arg) for arg in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            seen.console.append("uncaught " + _thrown(params.get("exceptionDetails", {})))
        elif method == "Fetch.requestPaused":
            headers = {**params["request"].get("headers", {}), **extra}
            cdp.send("Fetch.continueRequest", requestId=params["requestId"],
                     headers=[{"name": k, "value": v} for k, v in headers.items()])

    return on


def _said(arg: dict[str, Any]) -> str:
    """One console argument as text."""
    return str(arg.get("value", arg.get("description", arg.get("type", ""))))


def _thrown(details: dict[str, Any]) -> str:
    """An uncaught exception's first line."""
    described = details.get("exception", {}).get("description") or details.get("text") or "exception"
    return described.splitlines()[0]


def _measured(cdp: Cdp, seen: _Seen, document: str, timeout: float) -> Visit:
    """The page's numbers once its load event has ended, and what failed on the way."""
    deadline = time.monotonic() + timeout
    while True:
        found = cdp.call("Runtime.evaluate", expression=MEASURE, returnByValue=True)["result"]["value"]
        if found["load"] > 0 or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    load = found["load"] / 1000
    failed = [f"{url} answered {status}" for rid, (url, status) in seen.statuses.items()
              if status >= 400 and rid != document]
    failed += [f"{seen.urls.get(rid, rid)}: {error}" for rid, error in seen.failures.items() if rid != document]
    tasks = tuple((start / 1000, length / 1000) for start, length in found["tasks"] if start / 1000 <= load)
    return Visit(seen.statuses.get(document, ("", None))[1], load, found["ready"] / 1000, tasks, tuple(failed),
                 tuple(seen.console), found["scroll"], found["inner"], found["viewport"], found["wide"],
                 found["reach"])
