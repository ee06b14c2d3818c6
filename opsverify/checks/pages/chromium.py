"""Headless Chromium over the DevTools protocol: a throwaway profile, a websocket, always killed at the end."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from opsverify.checks import CheckError, show_seconds

ENV = "OPSV_CHROMIUM"
NAMES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless=new", "--remote-debugging-port=0", "--no-first-run", "--no-default-browser-check",
         "--disable-gpu", "--disable-extensions", "--disable-sync", "--disable-background-networking",
         "--disable-component-update", "--disable-default-apps", "--mute-audio", "--disable-quic",
         "--hide-scrollbars")
NOT_FOUND = f"no Chromium found (apt-get install chromium, or set {ENV})"

Listener = Callable[[str, dict[str, Any]], None]


def binary() -> str:
    """The Chromium to run: $OPSV_CHROMIUM, else the first of NAMES on PATH; CheckError when there is none."""
    configured = os.environ.get(ENV)
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise CheckError(f"no Chromium found at {configured} (set by {ENV})")
        return found
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise CheckError(NOT_FOUND)


class Cdp:
    """One DevTools websocket to a browser: commands answered by id, events handed to `listener` meanwhile."""

    def __init__(self, socket: Any, timeout: float) -> None:
        self._socket = socket
        self._timeout = timeout
        self._last_id = 0
        self.session: str | None = None  # the tab's session, once attached (flat protocol)
        self.listener: Listener = lambda method, params: None

    def send(self, method: str, **params: Any) -> int:
        """Send a command to the tab (or the browser before attaching) without waiting; its id."""
        self._last_id += 1
        message: dict[str, Any] = {"id": self._last_id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        self._socket.send(json.dumps(message))
        return self._last_id

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command and wait (at most the timeout) for its answer; a protocol error is a CheckError."""
        wanted = self.send(method, **params)
        answer: dict[str, Any] = {}
        self.until(lambda: bool(answer), f"answer to {method}", answer, wanted)
        if "error" in answer:
            raise CheckError(f"Chromium refused {method}: {answer['error'].get('message')}")
        return answer.get("result", {})

    def until(self, done: Callable[[], bool], what: str, answer: dict[str, Any] | None = None,
              wanted: int = 0) -> None:
        """Read messages until done() holds; CheckError naming `what` after the timeout."""
        deadline = time.monotonic() + self._timeout
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                raise CheckError(f"no {what} within {show_seconds(self._timeout)}")
            self._socket.settimeout(left)
            try:
                message = json.loads(self._socket.recv())
            except Exception as exc:  # noqa: BLE001 - websocket timeouts and closes share no base class
                if "timed out" in str(exc).lower() or "timeout" in type(exc).__name__.lower():
                    continue
                raise CheckError(f"lost the connection to Chromium waiting for {what}: {exc}") from exc
            if "method" in message:
                self.listener(message["method"], message.get("params", {}))
            elif answer is not None and message.get("id") == wanted:
                answer.update(message, result=message.get("result", {}))

    def close(self) -> None:
        """Close the websocket."""
        self._socket.close()


@contextmanager
def browser(timeout: float, flags: tuple[str, ...] = ()) -> Iterator[Cdp]:
    """A fresh headless Chromium and a DevTools connection attached to a new tab; killed, its profile removed."""
    executable = binary()
    work = Path(tempfile.mkdtemp(prefix="opsverify-chromium-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        with open(work / "stderr.log", "wb") as log:
            sandbox = ("--no-sandbox",) if os.geteuid() == 0 else ()  # Chromium refuses root with its sandbox
            process = subprocess.Popen([executable, *FLAGS, *sandbox, *flags, f"--user-data-dir={work / 'profile'}",
                                        "about:blank"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=log, start_new_session=True)
        cdp = _connect(_address(process, work, timeout), timeout)
        try:
            target = cdp.call("Target.createTarget", url="about:blank")["targetId"]
            cdp.session = cdp.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            yield cdp
        finally:
            cdp.close()
    finally:
        if process is not None:
            _kill(process)
        shutil.rmtree(work, ignore_errors=True)


def _address(process: subprocess.Popen[bytes], work: Path, timeout: float) -> str:
    """The browser's DevTools websocket address, from the DevToolsActivePort file it writes once it listens."""
    written = work / "profile" / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = written.read_text().split() if written.exists() else []
        if len(lines) >= 2:
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        if process.poll() is not None:
            said = [line for line in (work / "stderr.log").read_text(errors="replace").splitlines() if line.strip()]
            raise CheckError(f"Chromium exited ({process.returncode}) at start"
                             + (f": {said[-1].strip()}" if said else ""))
        time.sleep(0.02)
    raise CheckError(f"Chromium did not open its DevTools port within {show_seconds(timeout)}")


def _connect(address: str, timeout: float) -> Cdp:
    """A websocket to the browser (websocket-client, the `browser` extra)."""
    try:
        import websocket
    except ImportError as exc:
        raise CheckError("websocket-client is not installed (pip install 'opsverify[browser]')") from exc
    return Cdp(websocket.create_connection(address, timeout=timeout, suppress_origin=True), timeout)


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Chromium and every process it started (its own process group), waited for."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)
