"""Host items built like the loader's, for local:// or a real sshd's ssh:// target, and Ansible inventories."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from opsverify.spec.models.hosts import Host
from tests.support.net import LOOPBACK
from tests.support.sshd import SshServer


def host_item(target: str = "local://", **fields: Any) -> Host:
    """A host named web1 with a 10s timeout and these keys."""
    return Host.model_validate({"name": "web1", "target": target, "timeout": "10s", **fields})


def ansible_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """This interpreter's ansible-inventory on PATH, where testinfra looks for it; skip without ansible-core."""
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    if not shutil.which("ansible-inventory"):
        pytest.skip("ansible-inventory not found (pip install ansible-core)")


def inventory_host(name: str, server: SshServer, port: int | None = None) -> str:
    """An INI inventory line reaching `server` as host `name` (at `port` instead, when given)."""
    return (f"{name} ansible_host={LOOPBACK} ansible_port={port or server.port} ansible_user={server.user} "
            f"ansible_ssh_private_key_file={server.identity} ansible_ssh_common_args='-F {server.client_config}'\n")
