"""A throwaway Prometheus Pushgateway (Debian's package) on a loopback port."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from tests.support.daemon import LoopbackDaemon
from tests.support.net import LOOPBACK


class Pushgateway(LoopbackDaemon):
    """`prometheus-pushgateway` with its persistence file in the scratch folder."""

    binary = package = "prometheus-pushgateway"

    def command(self, folder: Path) -> list[str]:
        """Listen on loopback, keep what is pushed in the scratch folder."""
        return [self.binary, f"--web.listen-address={LOOPBACK}:{self.port}",
                f"--persistence.file={folder / 'pushgateway.data'}", "--log.level=warn"]

    def groups(self) -> list[dict[str, Any]]:
        """What it holds, from its API: one entry per group, its labels and its metric families by name."""
        answer = requests.get(f"{self.url}/api/v1/metrics", timeout=10)
        answer.raise_for_status()
        return answer.json()["data"]
