"""The state of one checklist run: its environment, the demo, the probes and the results so far."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from opsverify.context import RunContext
from opsverify.controls import roll_up
from opsverify.plugin import options
from opsverify.plugin.probes import ProbePool
from opsverify.plugin.waivers import Waivers
from opsverify.spec import Environment, SpecError, load

if TYPE_CHECKING:
    from opsverify.demo import Demo

RUN_KEY = pytest.StashKey["Run"]()


@dataclass
class Run:
    """Everything the plugin keeps about the session it verifies."""

    env_path: Path
    environment: Environment
    demo: Demo | None
    reports: Path
    archive: bool
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    pool: ProbePool = field(default_factory=ProbePool)
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    run_dir: Path | None = None
    label: str = "all"
    fail_on: str | None = None  # only failures of this severity or worse change the exit code
    waivers: Waivers | None = None
    collected: list[str] = field(default_factory=list)  # every test collected, before -m and -k
    exempt: int = 0  # failed tests below fail_on
    notes: list[str] = field(default_factory=list)  # warnings about the run itself (waivers, the gate)
    after: list[str] = field(default_factory=list)  # what happened after archiving (index, notifications)
    reports_written: dict[str, Path] = field(default_factory=dict)  # report.html, junit.xml -> where pytest writes it
    staging: Path | None = None  # where pytest writes the reports the user did not place, before they are archived
    archive_error: str | None = None  # why the archive could not take this run (exit status 6)

    @property
    def env_sha256(self) -> str:
        """SHA-256 of the bytes the environment was loaded from, not of the file as it is at the end."""
        return self.environment.source_sha256 or ""

    def context(self, nodeid: str) -> RunContext:
        """What a check of test `nodeid` may know about this run."""
        return RunContext(self.environment, self.reports, self.run_dir, self.started, nodeid, self.env_path,
                          self.label)

    def compliance(self) -> dict[str, Any] | None:
        """The controls of this run's checks rolled up, with the score against compliance.min_score."""
        section = self.environment.compliance
        return roll_up(list(self.checks.values()), section and section.min_score,
                       section and section.warn_min_score, section and section.severity)

    @property
    def name(self) -> str:
        """The environment's name, as shown in every report."""
        return self.environment.environment

    def close(self) -> None:
        """Stop probes and the demo, and remove the demo's and the reports' scratch folders."""
        self.pool.close()
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
        if self.demo is not None:
            self.demo.stop()
            shutil.rmtree(self.demo.state_dir, ignore_errors=True)


def open_run(config: pytest.Config) -> Run:
    """Load the named environment file, or start the built-in demo; a bad file is a usage error."""
    path, fail_on = options.env_file(config), options.fail_on(config)
    running_demo = None
    if path is None:
        from opsverify import demo  # the demo (and its certificate tooling) loads only when it runs

        running_demo = demo.start(Path(tempfile.mkdtemp(prefix="opsverify-demo-")))
        path = running_demo.env_path
    try:
        environment = load(path)
    except SpecError as exc:
        if running_demo is not None:
            running_demo.stop()
        raise pytest.UsageError(str(exc)) from None
    archive = not (config.option.collectonly or config.getoption("opsv_no_archive"))
    run = Run(path, environment, running_demo, options.reports_dir(config), archive, label=label(config),
              fail_on=fail_on)
    zone = environment.schedule.zone if environment.schedule else None
    run.waivers = Waivers(environment.waivers, run.started.astimezone(zone).date())
    return run


def label(config: pytest.Config) -> str:
    """The marker expression this run selected ("daily", "smoke"), or "all"."""
    return config.option.markexpr or "all"
