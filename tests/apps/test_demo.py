"""verify/test_apps.py as a real pytest run against the demo: healthy passes, `app-debug` fails its one check."""

from __future__ import annotations

from pathlib import Path

from opsverify import demo
from tests.plugin.conftest import run_checklist


def test_the_healthy_demo_passes_and_app_debug_fails_only_debug_off(tmp_path: Path) -> None:
    with demo.start(tmp_path / "healthy") as running:
        healthy = run_checklist(tmp_path / "r1", "verify/test_apps.py", "-m", "daily", f"--env={running.env_path}")
    assert healthy.code == 0, healthy.out
    assert {(c["nodeid"].split("::")[1], c["outcome"]) for c in healthy.record["checks"]} == {
        ("test_app_debug_off[shop]", "passed"), ("test_app_dashboards_private[shop]", "passed"),
        ("test_app_logging[shop]", "passed"), ("test_app_caches_fresh[shop]", "passed"),
        ("test_app_no_dev_packages[shop]", "passed")}
    with demo.start(tmp_path / "broken", ["app-debug"]) as running:
        broken = run_checklist(tmp_path / "r2", "verify/test_apps.py", "-m", "daily", f"--env={running.env_path}")
    assert broken.code == 1, broken.out
    debug = broken.check("test_app_debug_off", "shop")
    assert debug["outcome"] == "failed"
    assert debug["reason"] == f"APP_DEBUG=true in {running.state_dir}/app/.env (APP_ENV=production)"
    assert broken.check("test_app_dashboards_private", "shop")["outcome"] == "passed"
