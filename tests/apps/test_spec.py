"""The `apps:` section: framework defaults, keys that fit the framework, references to hosts and databases."""

from __future__ import annotations

import pytest

from tests.spec.helpers import at, ok, one

HEAD = "environment: x\nhosts: [{name: web1}]\ndatabases: [{name: app-db, url: 'sqlite://'}]\napps:\n"


def test_the_runbook_example_loads_with_its_defaults() -> None:
    env = ok(HEAD + "  - name: printshop\n"
                    "    framework: laravel\n"
                    "    url: https://printshop.example.com\n"
                    "    host: web1\n"
                    "    root: /var/www/printshop\n"
                    "    database: app-db\n"
                    "    workers: {min: 2}\n"
                    "    max_failed_jobs: 10\n"
                    "    warn_max_failed_jobs: 5\n")
    (app,) = env.apps
    assert app.dashboard_paths == ("/telescope", "/horizon", "/_debugbar/open", "/log-viewer",
                                   "/_ignition/health-check")
    assert app.worker_pattern == "artisan (queue:work|horizon)"
    assert (str(app.window), app.workers.min, str(app.timeout)) == ("24h", 2, "10s")


def test_a_frappe_app_and_listed_dashboards() -> None:
    env = ok(HEAD + "  - {name: erp, framework: frappe, root: /home/frappe/bench, site: erp.example.org, "
                    "database: app-db, url: 'https://erp.example.org', dashboards: [rq, /admin/queues], "
                    "workers: {}, max_errors: 10, window: 12h, scheduler_max_idle: 1h}\n")
    (app,) = env.apps
    assert app.dashboard_paths == ("/rq", "/admin/queues")
    assert "bench_helper" in app.worker_pattern and str(app.scheduler_max_idle) == "1h"


@pytest.mark.parametrize(("app", "words"), [
    ("{name: a, framework: django}", "must be one of laravel, frappe, node, nextjs, other"),
    ("{name: a, framework: laravel, site: x}", "site is for frappe apps, not laravel"),
    ("{name: a, framework: node, max_errors: 3, database: app-db}", "max_errors is for frappe apps"),
    ("{name: a, framework: frappe, root: /b}", "give site"),
    ("{name: a, framework: laravel, max_failed_jobs: 3}", "max_failed_jobs needs database"),
    ("{name: a, framework: nextjs, max_failed_jobs: 3, database: app-db}", "is for laravel and frappe apps"),
    ("{name: a, framework: laravel, dashboards: [/telescope]}", "dashboards needs url"),
    ("{name: a, framework: node, workers: {min: 2}}", "give workers.match"),
    ("{name: a, framework: node, workers: {match: '(', min: 1}}", "not a valid regular expression"),
    ("{name: a, framework: laravel, workers: {min: 0}}", "must be at least 1, got 0"),
    ("{name: a, framework: node, log_levels: [error]}", "log_levels is for laravel apps, not node"),
    ("{name: a, framework: laravel, log_levels: []}", "log_levels is empty"),
    ("{name: a, framework: laravel, log_levels: [eror]}", "must be one of debug, info, notice, warning, error"),
])
def test_keys_must_fit_the_framework(app: str, words: str) -> None:
    assert words in one(f"{HEAD}  - {app}\n").message


@pytest.mark.parametrize(("key", "value", "section"), [("host", "web2", "hosts"), ("database", "app-dbb", "databases")])
def test_host_and_database_must_name_real_items(key: str, value: str, section: str) -> None:
    problem = one(f"{HEAD}  - {{name: a, framework: laravel, {key}: {value}}}\n")
    at(problem, 5, f"apps[0].{key}", f"there is no {section} entry named {value!r}")
