"""A throwaway Prometheus (Debian's package) on a loopback port, scraping itself (and exporters) every second."""

from __future__ import annotations

import time
from pathlib import Path

import requests

from tests.support.daemon import LoopbackDaemon
from tests.support.net import LOOPBACK


class PrometheusServer(LoopbackDaemon):
    """`prometheus` with a temp TSDB; ready once its first self-scrape is queryable. `exporters` are host:port
    targets scraped as job "exporter"; `rules` is the text of a rules file."""

    binary = package = "prometheus"

    def __init__(self, exporters: tuple[str, ...] = (), rules: str | None = None) -> None:
        super().__init__()
        self.exporters, self.rules = exporters, rules

    def command(self, folder: Path) -> list[str]:
        """Write the config (scrape itself and the exporters every second, load the rules) and name the TSDB."""
        config = folder / "prometheus.yml"
        config.write_text("global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                          + ("rule_files: [rules.yml]\n" if self.rules is not None else "")
                          + "scrape_configs:\n  - job_name: prometheus\n"
                          f"    static_configs: [{{targets: ['{LOOPBACK}:{self.port}']}}]\n"
                          + (f"  - job_name: exporter\n    static_configs: [{{targets: {list(self.exporters)}}}]\n"
                             if self.exporters else ""))
        if self.rules is not None:
            (folder / "rules.yml").write_text(self.rules)
        return [self.binary, f"--config.file={config}", f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address={LOOPBACK}:{self.port}", "--log.level=warn"]

    def ready(self) -> None:
        """Wait for `up{job="prometheus"}` to be queryable."""
        deadline = time.monotonic() + 30
        while not self._scraped():
            if time.monotonic() > deadline:
                raise RuntimeError("Prometheus did not scrape itself within 30s")
            time.sleep(0.2)

    def _scraped(self) -> bool:
        """Whether the self-scrape shows up in a query."""
        answer = requests.get(f"{self.url}/api/v1/query", params={"query": 'up{job="prometheus"}'}, timeout=5)
        return answer.status_code == 200 and bool(answer.json()["data"]["result"])  # 503 until the TSDB is ready
