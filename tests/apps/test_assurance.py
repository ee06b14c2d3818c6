"""No false assurance in the app checks: workers on the previous release fail, an install that records nothing is
an error."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from opsverify.result import Status
from tests.apps.test_deploy import check_install
from tests.apps.test_workers import Start, deploy, start, wait_listed, workers  # noqa: F401 - a fixture


def test_a_worker_that_kept_running_through_a_deploy_fails(start: Start, tmp_path: Path) -> None:
    queue = f"opsv{uuid.uuid4().hex[:8]}"
    worker = start(f"php artisan queue:work --queue={queue}")
    wait_listed(worker, queue)
    time.sleep(0.3)
    deploy(tmp_path, "2")
    result = workers(match=f"'--queue={queue}'", release=str(tmp_path / "current"))
    assert result.status is Status.FAILED, (result.reason, result.evidence)
    assert f"pid {worker.pid} started " in result.reason


def test_an_app_folder_without_an_install_record_is_an_error(tmp_path: Path) -> None:
    assert check_install(tmp_path).status is Status.ERROR
