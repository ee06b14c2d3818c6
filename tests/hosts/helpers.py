"""Host items built like the loader's, for local:// or a real sshd's ssh:// target."""

from __future__ import annotations

from typing import Any

from opsverify.spec.models.hosts import Host


def host_item(target: str = "local://", **fields: Any) -> Host:
    """A host named web1 with a 10s timeout and these keys."""
    return Host.model_validate({"name": "web1", "target": target, "timeout": "10s", **fields})
