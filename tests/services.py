"""Reach the machine's services, or skip with the reason (a failure when OPSV_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import os
import socket

import pytest

POSTGRES = ("127.0.0.1", 5432)
MARIADB = ("127.0.0.1", 3306)
REDIS = ("127.0.0.1", 6379)


def reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether a TCP connection to host:port succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def need(name: str, address: tuple[str, int]) -> None:
    """Skip the test when the service is down; fail instead when services are required (CI)."""
    if reachable(*address):
        return
    message = f"{name} is not reachable on {address[0]}:{address[1]}"
    if os.environ.get("OPSV_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message} and OPSV_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(message)
