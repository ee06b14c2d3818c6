"""Applications of a known framework: debug off, logging, deployment complete, dashboards private, workers, jobs."""

from opsverify.plugin import check, expect, having


def _with_root(env):
    """Laravel and Frappe apps whose folder is given: their settings can be read."""
    return [a for a in env.apps if a.root and a.framework in ("laravel", "frappe")]


def _laravel(env):
    """Laravel apps whose folder is given."""
    return [a for a in _with_root(env) if a.framework == "laravel"]


def _installed(env):
    """Laravel, Node and Next.js apps whose folder is given: their package install can be read."""
    return [a for a in env.apps if a.root and a.framework in ("laravel", "node", "nextjs")]


@check("apps.config.debug_off", over=_with_root, area="security")
def test_app_debug_off(result):
    expect(result)


@check("apps.logconfig.log_settings", over=_laravel, area="health")
def test_app_logging(result):
    expect(result)


@check("apps.deploy.dev_packages", over=_installed, area="health")
def test_app_no_dev_packages(result):
    expect(result)


@check("apps.deploy.migrations", over=lambda env: [a for a in _laravel(env) if a.database], area="health")
def test_app_migrations_run(result):
    expect(result)


@check("apps.deploy.caches", over=_laravel, area="health")
def test_app_caches_fresh(result):
    expect(result)


@check("apps.dashboards.private", over=lambda env: [a for a in env.apps if a.url and a.dashboard_paths],
       area="security")
def test_app_dashboards_private(result):
    expect(result)


@check("apps.workers.running", over=having("apps", "workers"), area="health")
def test_app_workers_running(result):
    expect(result)


@check("apps.jobs.failed_jobs", over=having("apps", "max_failed_jobs", "warn_max_failed_jobs"), area="health")
def test_app_failed_jobs(result):
    expect(result)


@check("apps.jobs.error_log", over=having("apps", "max_errors", "warn_max_errors"), area="health")
def test_app_error_log(result):
    expect(result)


@check("apps.jobs.scheduler", over=having("apps", "scheduler_max_idle"), area="health")
def test_app_scheduler(result):
    expect(result)
