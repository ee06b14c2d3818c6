"""A throwaway Prometheus (Debian's package) on a loopback port, scraping itself (and any exporters given) every
second, with alerting rules when given."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

import requests

from tests.support.daemon import wait_for_port
from tests.support.net import LOOPBACK, free_port


class PrometheusServer:
    """`prometheus` with a temp TSDB; start() waits until its first self-scrape is queryable. `exporters` are
    host:port targets scraped as job "exporter"; `rules` is the text of a rules file."""

    def __init__(self, exporters: tuple[str, ...] = (), rules: str | None = None) -> None:
        self.exporters, self.rules = exporters, rules
        self.port = free_port()
        self.folder: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.log: BinaryIO | None = None

    @staticmethod
    def unavailable() -> str | None:
        """Why Prometheus cannot be run here (None when it can)."""
        return None if shutil.which("prometheus") else "prometheus not found (apt-get install prometheus)"

    @property
    def url(self) -> str:
        """The HTTP API's base URL."""
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> PrometheusServer:
        """Write the config, start it, and wait for `up{job="prometheus"}` to be 1."""
        self.folder = Path(tempfile.mkdtemp(prefix="opsv-prometheus-"))
        config = self.folder / "prometheus.yml"
        config.write_text("global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                          + ("rule_files: [rules.yml]\n" if self.rules is not None else "")
                          + "scrape_configs:\n  - job_name: prometheus\n"
                          f"    static_configs: [{{targets: ['{LOOPBACK}:{self.port}']}}]\n"
                          + (f"  - job_name: exporter\n    static_configs: [{{targets: {list(self.exporters)}}}]\n"
                             if self.exporters else ""))
        if self.rules is not None:
            (self.folder / "rules.yml").write_text(self.rules)
        self.log = (self.folder / "log").open("wb")
        self.process = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={self.folder / 'data'}",
             f"--web.listen-address={LOOPBACK}:{self.port}", "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=self.log)
        try:
            wait_for_port(self.port, timeout=30, process=self.process)
            deadline = time.monotonic() + 30
            while not self._scraped():
                if time.monotonic() > deadline:
                    raise RuntimeError("Prometheus did not scrape itself within 30s")
                time.sleep(0.2)
        except BaseException:
            self.stop()
            raise
        return self

    def _scraped(self) -> bool:
        """Whether the self-scrape shows up in a query."""
        answer = requests.get(f"{self.url}/api/v1/query", params={"query": 'up{job="prometheus"}'}, timeout=5)
        return answer.status_code == 200 and bool(answer.json()["data"]["result"])  # 503 until the TSDB is ready

    def stop(self) -> None:
        """Stop it and delete its data."""
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

    def __enter__(self) -> PrometheusServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
