"""ansible:// targets: testinfra's Ansible backend reads a real inventory and reaches the host over the real sshd."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsverify.checks.host.resources import memory
from opsverify.checks.host.sshd import settings
from opsverify.result import Status
from tests.hosts.helpers import ansible_on_path, host_item, inventory_host
from tests.support.sshd import SshServer


@pytest.fixture
def inventory(tmp_path: Path, sshd: SshServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An INI inventory naming the sshd as host web1 in group web."""
    ansible_on_path(monkeypatch)
    path = tmp_path / "inventory.ini"
    path.write_text("[web]\n" + inventory_host("web1", sshd))
    return path


def test_an_ansible_inventory_host_is_checked_over_its_ssh_connection(inventory: Path, sshd: SshServer) -> None:
    target = f"ansible://web1?ansible_inventory={inventory}"
    tight = memory(host_item(target, max_memory_used="0.1%"))
    assert tight.status is Status.FAILED, tight.reason
    assert tight.reason.startswith("memory used (of ")
    hardened = settings(host_item(target, sshd={"passwordauthentication": "no"}, sshd_config=str(sshd.config)))
    assert hardened.status is Status.PASSED, hardened.reason


def test_a_host_missing_from_the_inventory_is_an_error(inventory: Path) -> None:
    result = memory(host_item(f"ansible://db9.invalid?ansible_inventory={inventory}", max_memory_used="90%"))
    assert result.status is Status.ERROR
    assert result.reason == f"inventory {inventory} has no host or group named db9.invalid"
