"""A throwaway redis-server (no persistence) on a free loopback port, as a child process."""

from __future__ import annotations

import shutil
import subprocess

from tests.support.daemon import wait_for_port
from tests.support.net import LOOPBACK, free_port


class RedisServer:
    """redis-server --port N --save '' as a subprocess; start(), stop(), url."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def unavailable() -> str | None:
        """Why a server cannot be started here (None when it can)."""
        return None if shutil.which("redis-server") else "redis-server not found (install redis-server)"

    @property
    def url(self) -> str:
        """`redis://127.0.0.1:PORT/0`."""
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self) -> RedisServer:
        """Start it and wait until it accepts connections."""
        self.process = subprocess.Popen(
            ["redis-server", "--bind", LOOPBACK, "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, process=self.process)
        return self

    def stop(self) -> None:
        """Terminate it and wait for it to exit."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
