"""Start the demo in-process (start) or in the foreground until Ctrl-C (serve)."""

from __future__ import annotations

import logging
import socket
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from opsverify.demo import envfile
from opsverify.demo.app import App
from opsverify.demo.breaks import BREAKS, validate
from opsverify.demo.server import HOST, DemoServer
from opsverify.demo.state import State, prepare

log = logging.getLogger("opsverify.demo")


class Demo:
    """A running demo: its URLs and files; stop() it, or use it as a context manager."""

    host = HOST

    def __init__(self, state: State, breaks: frozenset[str], http: DemoServer, https: DemoServer,
                 stopping: threading.Event, env_path: Path, spare: socket.socket | None = None) -> None:
        """Wrap servers that are already serving (and the spare port the port scan looks at)."""
        self.state_dir, self.ca_file, self.env_path = state.folder, state.ca_file, env_path
        self.breaks = breaks
        self.http_port, self.https_port = http.server_port, https.server_port
        self.http_url, self.https_url = f"http://{HOST}:{self.http_port}", f"https://{HOST}:{self.https_port}"
        self._servers, self._stopping = (http, https), stopping
        self._spare = spare
        self.spare_port = spare.getsockname()[1] if spare else None

    def stop(self) -> None:
        """Release hanging and slow requests, close both ports and every connection; idempotent."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        for server in self._servers:
            server.stop()
        if self._spare is not None:
            self._spare.close()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until stop() is called (or timeout); whether it was."""
        return self._stopping.wait(timeout)

    def __enter__(self) -> Demo:
        """The running demo."""
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        """Stop the demo."""
        self.stop()

    def __repr__(self) -> str:
        """Where it runs and what is broken."""
        return f"<Demo {self.https_url} breaks={sorted(self.breaks)} dir={self.state_dir}>"


def start(state_dir: Path, breaks: Iterable[str] = (), *, http_port: int = 0, https_port: int = 0) -> Demo:
    """Rebuild state_dir, start the app on 127.0.0.1 (port 0: a free one) and write its environment file."""
    chosen = validate(breaks)
    state = prepare(Path(state_dir), chosen)
    https = DemoServer(https_port, state.context)
    try:
        http = DemoServer(http_port)
    except OSError:
        https.server_close()
        raise
    stopping = threading.Event()
    spare = _spare_port(chosen)
    https_url = f"https://{HOST}:{https.server_port}"
    env_path = envfile.write(state.folder / "demo.yml", {
        "DEMO_HTTP_URL": f"http://{HOST}:{http.server_port}", "DEMO_HTTPS_URL": https_url,
        "DEMO_HOST": HOST, "DEMO_HTTPS_PORT": str(https.server_port),
        "DEMO_DIR": state.folder.as_posix(), "DEMO_CA_FILE": state.ca_file.as_posix(),
        "DEMO_HTTP_PORT": str(http.server_port), "DEMO_SPARE_PORT": str(spare.getsockname()[1]),
    })
    health_db = state.db if "degraded" not in chosen else state.folder / "unreachable" / "app.db"
    app = App(db=state.db, health_db=health_db, https_url=https_url, breaks=chosen, stopping=stopping)
    for server in (https, http):
        server.start(app)
    return Demo(state, chosen, http, https, stopping, env_path, spare)


def _spare_port(breaks: frozenset[str]) -> socket.socket:
    """A port the demo's port scan includes: held but closed, or listening with the `open-port` break."""
    spare = socket.socket()
    spare.bind((HOST, 0))
    if "open-port" in breaks:
        spare.listen()
    return spare


def _port_or_any(port: int, label: str) -> int:
    """port if it is free on 127.0.0.1, else 0 (any free port), saying so."""
    if port == 0:
        return 0
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
            return port
        except OSError:
            print(f"Port {port} is taken; the demo's {label} port is a free one instead.")
            return 0


def banner(demo: Demo) -> str:
    """What the foreground demo prints: URLs, files, the command to run, what is broken."""
    broken = "".join(f"\n  broken on purpose: {name} - {BREAKS[name]}" for name in sorted(demo.breaks))
    return f"""opsverify demo is running{broken or " (healthy)"}
  HTTPS  {demo.https_url}/  (certificate from the demo CA {demo.ca_file})
  HTTP   {demo.http_url}/  (/api/health answers here; everything else redirects to HTTPS)
  state  {demo.state_dir}
  environment file  {demo.env_path}
Run the daily checklist against it from another terminal:
  pytest -m daily --env={demo.env_path}
Press Ctrl-C to stop."""


def serve(state_dir: Path, breaks: Iterable[str] = (), http_port: int = 8080, https_port: int = 8443) -> None:
    """Run the demo in the foreground until Ctrl-C, printing its URLs and requests."""
    http_port, https_port = _port_or_any(http_port, "HTTP"), _port_or_any(https_port, "HTTPS")
    output = logging.StreamHandler(sys.stdout)
    output.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    level = log.level
    log.addHandler(output)
    log.setLevel(logging.INFO)
    try:
        with start(state_dir, breaks, http_port=http_port, https_port=https_port) as demo:
            print(banner(demo), flush=True)
            try:
                demo.wait()
            except KeyboardInterrupt:
                print("\nStopping the demo.", flush=True)
    finally:
        log.removeHandler(output)
        log.setLevel(level)
