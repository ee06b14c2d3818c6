"""Feeds for Prometheus: each check's outcome and measured value and the run's time, as prometheus_client
metrics, written for node_exporter's textfile collector or pushed to a Pushgateway.

Names follow Prometheus' conventions: base units in the name (`_seconds`, `_bytes`, `_ratio`),
`_timestamp_seconds` for points in time, one series per outcome set to 1 for the outcome a check ended
in (alert on `opsverify_check_status{outcome=~"failed|error"} == 1`). Labels are the environment,
the cadence (the run's marker expression), and per check its test, item, area and severity: never a
reason, which would make a new series for every run, and never a secret (every value is scrubbed).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from prometheus_client import CollectorRegistry, push_to_gateway, write_to_textfile
from prometheus_client.exposition import basic_auth_handler, default_handler
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from opsverify.checks import cause, show_seconds
from opsverify.spec.secret import SecretUrl, scrub

JOB = "opsverify"
OUTCOMES = ("passed", "failed", "warning", "error", "skipped", "waived")
RUN = ("environment", "cadence")
CHECK = (*RUN, "check", "item", "area", "severity")
BASE_UNITS = {"s": ("seconds", 1.0), "h": ("seconds", 3600.0), "days": ("seconds", 86400.0), "B": ("bytes", 1.0),
              "ratio": ("ratio", 1.0)}  # any other unit is a count of things, named in the `unit` label


@dataclass(frozen=True)
class Snapshot:
    """What the feeds say about one finished run: its labels, its times and exit code, its checks (record entries)."""

    environment: str
    cadence: str  # the run's marker expression ("daily", "smoke"), or "all"
    started: float  # Unix time
    finished: float
    exit_status: int
    checks: Sequence[dict[str, Any]]

    @property
    def grouping(self) -> dict[str, str]:
        """The Pushgateway grouping key: one group per environment and cadence."""
        return {"environment": self.environment, "cadence": self.cadence}


class RunCollector:
    """A prometheus_client collector of one run's metrics (computed once the run is over)."""

    def __init__(self, run: Snapshot) -> None:
        self.run = run

    def collect(self) -> Iterator[Metric]:
        """The run's gauges, then each check's status and measured value."""
        run, labels = self.run, [scrub(self.run.environment), scrub(self.run.cadence)]
        for name, doc, value in (
                ("opsverify_run_started_timestamp_seconds", "When the run started (Unix time).", run.started),
                ("opsverify_run_finished_timestamp_seconds", "When the run finished (Unix time).", run.finished),
                ("opsverify_run_duration_seconds", "How long the run took.", run.finished - run.started),
                ("opsverify_run_exit_code", "pytest's exit status of the run (0: every check passed).",
                 run.exit_status)):
            yield _family(name, doc, RUN, [(labels, value)])
        yield _family("opsverify_run_checks", "Checks of the run that ended in each outcome.", (*RUN, "outcome"),
                      [([*labels, o], sum(c["outcome"] == o for c in run.checks)) for o in OUTCOMES])
        checks = [(_check_labels(labels, c), c) for c in run.checks]
        yield _family("opsverify_check_status", "1 for the outcome the check ended in, 0 for the others.",
                      (*CHECK, "outcome"),
                      [([*ls, o], float(c["outcome"] == o)) for ls, c in checks for o in OUTCOMES])
        yield from _values(checks)


def _family(name: str, doc: str, labels: Sequence[str], samples: list[tuple[list[str], float]]) -> Metric:
    """A gauge family with its samples."""
    family = GaugeMetricFamily(name, doc, labels=labels)
    for values, value in samples:
        family.add_metric(values, value)
    return family


def _check_labels(run_labels: list[str], check: dict[str, Any]) -> list[str]:
    """environment, cadence, check, item, area, severity: the test id's parts, scrubbed."""
    nodeid = check["nodeid"]
    item = nodeid[nodeid.index("[") + 1:-1] if nodeid.endswith("]") and "[" in nodeid else ""
    return [*run_labels, *(scrub(str(v or "")) for v in (check["test"], item, check["area"], check["severity"]))]


def _values(checks: list[tuple[list[str], dict[str, Any]]]) -> Iterator[Metric]:
    """Each measured number in its base unit: seconds, bytes and ratios in their own gauge, the rest with its unit."""
    families = {base: GaugeMetricFamily(f"opsverify_check_value_{base}", f"The check's measured value, in {base}.",
                                        labels=CHECK) for base in ("seconds", "bytes", "ratio")}
    counts = GaugeMetricFamily("opsverify_check_value", "The check's measured value in any other unit: a count "
                               "(`unit` says of what) or a plain number such as an HTTP status (`unit` empty).",
                               labels=(*CHECK, "unit"))
    for labels, check in checks:
        value = check.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        unit = check.get("unit") or ""
        if unit in BASE_UNITS:
            base, factor = BASE_UNITS[unit]
            families[base].add_metric(labels, float(value) * factor)
        else:
            counts.add_metric([*labels, scrub(unit)], float(value))
    yield from (f for f in (*families.values(), counts) if f.samples)


def registry(run: Snapshot) -> CollectorRegistry:
    """A registry holding the run's metrics and nothing else (no process or platform metrics)."""
    found = CollectorRegistry()
    found.register(RunCollector(run))
    return found


def write(path: Path, run: Snapshot) -> None:
    """Write the metrics for node_exporter's textfile collector: a temporary file, then renamed into place."""
    write_to_textfile(str(path), registry(run))


def push(url: SecretUrl, run: Snapshot, timeout: float) -> str | None:
    """Push the metrics to a Pushgateway within `timeout` (the whole exchange); None, or why it failed."""
    failure: list[str] = []
    done = threading.Event()

    def send() -> None:
        """The push itself, on its own thread so that a silent gateway cannot hold the run."""
        try:
            push_to_gateway(_without_credentials(url), JOB, registry(run), grouping_key=run.grouping,
                            timeout=timeout, handler=_handler(url))
        except Exception as exc:  # noqa: BLE001 - any failure of the push is reported, none may end the run
            failure.append(scrub(cause(exc, urlsplit(url.reveal()).netloc.rpartition("@")[2], timeout)))
        done.set()

    threading.Thread(target=send, name="opsverify-pushgateway", daemon=True).start()
    if not done.wait(timeout):
        return f"no answer within {show_seconds(timeout)}"
    return failure[0] if failure else None


def _without_credentials(url: SecretUrl) -> str:
    """The gateway's URL without user and password (they go in an Authorization header)."""
    parts = urlsplit(url.reveal())
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def _handler(url: SecretUrl) -> Any:
    """prometheus_client's request handler: basic auth with the URL's user and password, if it has them."""
    parts = urlsplit(url.reveal())
    if parts.username is None:
        return default_handler
    return partial(basic_auth_handler, username=unquote(parts.username), password=unquote(parts.password or ""))
