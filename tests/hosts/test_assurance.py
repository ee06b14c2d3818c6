"""No false assurance in the host checks: stale or missing evidence is `error` or `failed`, never passed or skipped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from opsverify.checks.host.resources import disk
from opsverify.checks.host.updates import pending
from opsverify.result import Status
from tests.hosts.helpers import host_item
from tests.hosts.test_updates import Repo, age_lists, needs_apt, repo  # noqa: F401 - a fixture


@needs_apt
def test_package_lists_a_week_old_cannot_show_a_clean_host(repo: Repo) -> None:
    age_lists(repo, 7)
    result = pending(host_item(max_pending_updates=0, max_security_updates=0))
    assert result.status is Status.ERROR
    assert result.reason.startswith("package lists on web1 are 7d old; limit 2d: cannot say what is pending")


def test_a_host_that_cannot_list_updates_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for tool in ("sh", "timeout"):
        (tmp_path / tool).symlink_to(shutil.which(tool))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert pending(host_item(max_security_updates=0)).status is Status.ERROR


def test_a_mount_that_is_not_there_is_an_error() -> None:
    assert disk(host_item(max_disk_used={"/no/such/mount": "90%"})).status is Status.ERROR
