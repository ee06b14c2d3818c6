"""A throwaway Prometheus Pushgateway (Debian's package) on a loopback port."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

import requests

from tests.support.daemon import wait_for_port
from tests.support.net import LOOPBACK, free_port

BINARY = "prometheus-pushgateway"


class Pushgateway:
    """`prometheus-pushgateway` with its persistence in a temp folder; start() waits until it listens."""

    def __init__(self) -> None:
        self.port = free_port()
        self.folder: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.log: BinaryIO | None = None

    @staticmethod
    def unavailable() -> str | None:
        """Why a Pushgateway cannot be run here (None when it can)."""
        return None if shutil.which(BINARY) else f"{BINARY} not found (apt-get install prometheus-pushgateway)"

    @property
    def url(self) -> str:
        """Its base URL."""
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> Pushgateway:
        """Start it and wait for its port."""
        self.folder = Path(tempfile.mkdtemp(prefix="opsv-pushgateway-"))
        self.log = (self.folder / "log").open("wb")
        self.process = subprocess.Popen(
            [BINARY, f"--web.listen-address={LOOPBACK}:{self.port}",
             f"--persistence.file={self.folder / 'pushgateway.data'}", "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=self.log)
        try:
            wait_for_port(self.port, timeout=30, process=self.process)
        except BaseException:
            self.stop()
            raise
        return self

    def groups(self) -> list[dict[str, Any]]:
        """What it holds, from its API: one entry per group, its labels and its metric families by name."""
        answer = requests.get(f"{self.url}/api/v1/metrics", timeout=10)
        answer.raise_for_status()
        return answer.json()["data"]

    def stop(self) -> None:
        """Stop it and delete its folder."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None
        if self.log is not None:
            self.log.close()
            self.log = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> Pushgateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
