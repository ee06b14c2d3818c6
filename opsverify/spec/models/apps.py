"""Applications of a known framework (Laravel, Frappe, Node, Next.js): settings, dashboards, workers, jobs."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field, model_validator

from opsverify.spec.models.common import Item, Model
from opsverify.spec.models.security import Paths
from opsverify.spec.types import Count, DurationT, Name, RegexT, WebUrl
from opsverify.spec.units import Duration

Framework = Literal["laravel", "frappe", "node", "nextjs", "other"]
LogLevel = Literal["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]
LOG_LEVELS: tuple[str, ...] = get_args(LogLevel)  # PSR-3, least severe first

DASHBOARDS: dict[str, tuple[str, ...]] = {
    "laravel": ("/telescope", "/horizon", "/_debugbar/open", "/log-viewer", "/_ignition/health-check"),
}
WORKERS: dict[str, str] = {
    "laravel": r"artisan (queue:work|horizon)",
    "frappe": r"frappe\.utils\.bench_helper frappe .*worker|bench worker|rq:worker",
}


class Workers(Model):
    """Queue workers that must be running on the app's host: processes whose command line matches."""

    match: RegexT | None = None  # None: the framework's default (laravel and frappe only)
    min: int = Field(default=1, ge=1)
    release: str | None = None  # a path on the host whose change marks the deploy: workers must be started after it


class App(Item):
    """One application: where its code lives, which database it uses, and what of it is checked."""

    framework: Framework
    url: WebUrl | None = None  # the public base URL: the dashboards are looked for below it
    host: Name | None = None  # a name from `hosts`; None: the local machine
    root: str | None = None  # the app's folder on the host (laravel: holds .env; frappe: the bench)
    site: str | None = None  # frappe: sites/<site>/site_config.json
    database: Name | None = None  # a name from `databases`
    dashboards: Paths = "default"  # or a list of paths
    workers: Workers | None = None
    max_failed_jobs: Count | None = None
    warn_max_failed_jobs: Count | None = None
    max_errors: Count | None = None  # frappe: Error Log entries in `window`
    warn_max_errors: Count | None = None
    window: DurationT = Field(default=Duration(86400.0, "24h"), gt=0)
    scheduler_max_idle: DurationT | None = Field(default=None, gt=0)  # frappe
    log_levels: tuple[LogLevel, ...] | None = None  # laravel: LOG_LEVEL values allowed; None: see allowed_log_levels
    ca_file: str | None = None

    @model_validator(mode="after")
    def _fits_the_framework(self) -> App:
        """Frappe-only keys on Frappe apps, a database for the SQL checks, a worker pattern where none is known."""
        frappe_only = [k for k in ("site", "max_errors", "warn_max_errors", "scheduler_max_idle")
                       if getattr(self, k) is not None]
        if frappe_only and self.framework != "frappe":
            raise ValueError(f"{', '.join(frappe_only)} is for frappe apps, not {self.framework}")
        if self.log_levels is not None and self.framework != "laravel":
            raise ValueError(f"log_levels is for laravel apps, not {self.framework}")
        if self.log_levels == ():
            raise ValueError("log_levels is empty: list the levels LOG_LEVEL may have, like [info, warning, error]")
        if self.framework == "frappe" and self.root and not self.site:
            raise ValueError("give site: the Frappe site whose sites/<site>/site_config.json is checked")
        jobs = self.max_failed_jobs is not None or self.warn_max_failed_jobs is not None
        if jobs and self.framework not in ("laravel", "frappe"):
            raise ValueError(f"max_failed_jobs is for laravel and frappe apps, not {self.framework}; "
                             "count another queue's failures with a metrics: entry")
        sql = [k for k in ("max_failed_jobs", "warn_max_failed_jobs", "max_errors", "warn_max_errors",
                           "scheduler_max_idle") if getattr(self, k) is not None]
        if sql and self.database is None:
            raise ValueError(f"{sql[0]} needs database: the name of the app's entry in databases")
        if self.dashboards != "default" and self.url is None:
            raise ValueError("dashboards needs url: the app's public base URL")
        if self.workers is not None and self.workers.match is None and self.framework not in WORKERS:
            raise ValueError(f"give workers.match: there is no default worker command line for {self.framework} "
                             "(a regular expression, e.g. \"node .*worker\\.js\")")
        return self

    @property
    def dashboard_paths(self) -> tuple[str, ...]:
        """The dashboard paths to look at: the framework's defaults, or the list given."""
        if self.dashboards == "default":
            return DASHBOARDS.get(self.framework, ())
        return tuple(dict.fromkeys("/" + p.lstrip("/") for p in self.dashboards))

    @property
    def worker_pattern(self) -> str:
        """The worker command-line pattern: the one given, else the framework's."""
        return (self.workers.match if self.workers else None) or WORKERS[self.framework]

    def allowed_log_levels(self, *, production: bool) -> tuple[tuple[str, ...], str]:
        """The LOG_LEVEL values allowed, and their label: the list given, else up to error (no debug in production)."""
        if self.log_levels is not None:
            return tuple(sorted(set(self.log_levels), key=LOG_LEVELS.index)), "allowed"
        upto = LOG_LEVELS[:LOG_LEVELS.index("error") + 1]
        return (upto[1:], "allowed in production") if production else (upto, "allowed")
