"""The run's metrics for Prometheus at session end (textfile, Pushgateway): reported, never failing the run."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from opsverify import prometheus
from opsverify.plugin import options
from opsverify.plugin.session import Run
from opsverify.spec.secret import SecretUrl

FEEDS_KEY = pytest.StashKey["Feeds"]()


@dataclass(frozen=True)
class Feeds:
    """Where this run's metrics go."""

    textfile: Path | None
    pushgateway: SecretUrl | None


def configure(config: pytest.Config) -> None:
    """Read and check --prometheus-textfile and --pushgateway (or the ini's) before any check runs."""
    config.stash[FEEDS_KEY] = Feeds(options.prometheus_textfile(config), options.pushgateway(config))


def publish(run: Run, session: pytest.Session) -> None:
    """Write the textfile and push to the Pushgateway, each within its bounds; one terminal line for each."""
    feeds = session.config.stash.get(FEEDS_KEY, None)
    if feeds is None or session.config.option.collectonly or (feeds.textfile is None and feeds.pushgateway is None):
        return
    snapshot = prometheus.Snapshot(run.name, run.label, run.started.timestamp(), time.time(),
                                   int(session.exitstatus), list(run.checks.values()))
    if feeds.textfile is not None:
        try:
            prometheus.write(feeds.textfile, snapshot)
            run.after.append(f"prometheus: metrics written to {feeds.textfile}")
        except OSError as exc:
            run.after.append(f"opsverify: warning: could not write the Prometheus textfile {feeds.textfile}: "
                             f"{exc.strerror or exc}")
    if feeds.pushgateway is not None:
        failure = prometheus.push(feeds.pushgateway, snapshot, float(run.environment.defaults.timeout))
        run.after.append(f"pushgateway: metrics pushed to {feeds.pushgateway} (job {prometheus.JOB}, environment "
                         f"{run.name}, cadence {run.label})" if failure is None else
                         f"opsverify: warning: the Pushgateway {feeds.pushgateway} did not take this run's metrics: "
                         f"{failure}")
