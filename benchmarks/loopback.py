"""Slow loopback HTTP targets for benchmarks: stdlib servers in their own process.

    python benchmarks/loopback.py fleet|one-host COUNT LATENCY_MS

prints the ports as one JSON line, then serves until its stdin closes (so it also stops when
the process that started it dies). Each request sleeps LATENCY_MS, then answers 200 with a small
JSON body. `fleet` starts COUNT servers on COUNT ports; `one-host` one server for COUNT paths.
Use `Target` from a benchmark: a context manager that always stops the servers.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

def serve(mode: str, count: int, latency: float) -> None:
    """Child process: start the servers, print their ports as one JSON line, serve until stdin closes."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            time.sleep(latency)
            body = json.dumps({"status": "ok", "path": self.path}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 1024

    servers = [Server(("127.0.0.1", 0), Handler) for _ in range(count if mode == "fleet" else 1)]
    for server in servers:
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True).start()
    print(json.dumps([s.server_address[1] for s in servers]), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        sys.stdin.read()  # EOF: the benchmark ended (or died); stop
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers:
            server.server_close()


class Target:
    """The servers of one scenario in their own process; a context manager that always stops them."""

    def __init__(self, mode: str, count: int, latency: float) -> None:
        self.mode, self.count, self.latency = mode, count, latency
        self.proc: subprocess.Popen[str] | None = None
        self.ports: list[int] = []

    def __enter__(self) -> Target:
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), self.mode, str(self.count), str(self.latency * 1000)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            self.__exit__(None, None, None)
            raise RuntimeError("the target servers did not start")
        self.ports = json.loads(line)
        return self

    def __exit__(self, *exc: object) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            proc.stdin.close()
            proc.wait(timeout=5)
        except BaseException:  # noqa: BLE001 - stop it whatever happened, then let the cause go on
            proc.kill()
            proc.wait()

    def cpu_seconds(self) -> float | None:
        """CPU time (user+sys) the server process has used so far (Linux /proc), else None."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, AttributeError):
            return None
        return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 3)

    def urls(self) -> list[str]:
        if self.mode == "fleet":
            return [f"http://127.0.0.1:{port}/ep-{i:03d}" for i, port in enumerate(self.ports)]
        return [f"http://127.0.0.1:{self.ports[0]}/ep-{i:03d}" for i in range(self.count)]


def environment_file(path: Path, scenario: str, urls: list[str]) -> Path:
    """The environment file: one endpoint per URL, expect 200 within 2s, no sla (one request each)."""
    lines = [f"environment: bench-{scenario}",
             f"description: benchmarks/daily_run.py, {len(urls)} endpoints ({scenario})",
             "defaults: {timeout: 5s}",
             "endpoints:"]
    for i, url in enumerate(urls):
        lines += [f"  - name: ep-{i:03d}", f"    url: {url}", "    expect: {status: 200, max_time: 2s}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) / 1000)
