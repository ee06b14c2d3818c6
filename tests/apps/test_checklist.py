"""The apps tests in a real checklist run (`pytest -m daily --env=FILE` in a subprocess), recorded in results.json."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.plugin.conftest import run_checklist


def test_a_laravel_app_with_debug_on_fails_in_the_daily_run(tmp_path: Path, reports: Path) -> None:
    root = tmp_path / "printshop"
    root.mkdir()
    (root / ".env").write_text("APP_ENV=production\nAPP_KEY=base64:c2VjcmV0\nAPP_DEBUG=true\nLOG_CHANNEL=stack\n")
    env = tmp_path / "env.yml"
    env.write_text("environment: printshop-prod\nproduction: true\napps:\n"
                   f"  - {{name: printshop, framework: laravel, root: '{root}', "
                   "workers: {match: 'opsv-apps-checklist queue:work', min: 1}}\n")
    worker = subprocess.Popen(["bash", "-c", 'exec -a "php artisan opsv-apps-checklist queue:work" sleep 120'])
    try:
        run = run_checklist(reports, "-m", "daily", f"--env={env}")
    finally:
        worker.kill()
        worker.wait()
    assert run.code == 1, run.out
    debug = run.check("test_app_debug_off", "printshop")
    assert (debug["outcome"], debug["area"], debug["cadence"]) == ("failed", "security", "daily")
    assert debug["reason"] == f"APP_DEBUG=true in {root}/.env (APP_ENV=production)"
    assert run.check("test_app_workers_running", "printshop")["outcome"] == "passed"
    logging = run.check("test_app_logging", "printshop")
    assert (logging["outcome"], logging["area"]) == ("failed", "health")
    assert logging["reason"] == (f"no LOG_LEVEL (so Laravel logs at debug) in {root}/.env; allowed in production: "
                                 "info, notice, warning, error")
    assert run.check("test_app_caches_fresh", "printshop")["outcome"] == "passed"
    assert "c2VjcmV0" not in (run.run_dir / "results.json").read_text()
    assert {c["nodeid"].split("::")[1].split("[")[0] for c in run.record["checks"]} == {
        "test_app_debug_off", "test_app_workers_running", "test_app_logging", "test_app_caches_fresh",
        "test_app_no_dev_packages"}
