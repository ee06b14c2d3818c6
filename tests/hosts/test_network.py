"""Sockets on a real host: a listener that must be up, and a port opened on a public address."""

from __future__ import annotations

import socket

from opsverify.checks.host.network import listening, public_ports
from opsverify.result import Status
from tests.hosts.helpers import host_item
from tests.support.net import LOOPBACK, free_port
from tests.support.sshd import SshServer


def test_a_socket_that_must_listen_passes_then_fails_once_closed() -> None:
    server = socket.create_server((LOOPBACK, 0))
    spec = f"tcp://{LOOPBACK}:{server.getsockname()[1]}"
    try:
        up = listening(host_item(listening=[spec]))
    finally:
        server.close()
    assert up.status is Status.PASSED, up.reason
    assert up.reason == f"{spec} listening on web1"
    down = listening(host_item(listening=[spec]))
    assert down.status is Status.FAILED
    assert down.reason == f"nothing listens on {spec} on web1"


def test_a_port_on_a_public_address_outside_allowed_ports_fails(sshd: SshServer) -> None:
    before = public_ports(host_item(allowed_ports=[]))
    present = [int(port) for port in before.evidence["public"]]  # this machine's own (e.g. a sandbox's)
    assert public_ports(host_item(allowed_ports=present or [22])).status is Status.PASSED
    extra = socket.create_server(("0.0.0.0", 0))
    port = extra.getsockname()[1]
    try:
        local = public_ports(host_item(allowed_ports=present or [22]))
        remote = public_ports(host_item(sshd.target, allowed_ports=present or [22]))
    finally:
        extra.close()
    for result in (local, remote):
        assert result.status is Status.FAILED
        assert result.reason == (f"port {port} (on 0.0.0.0) listening on web1 but not in allowed_ports "
                                 f"{sorted(present or [22])}")
        assert result.value == 1


def test_loopback_listeners_are_not_public() -> None:
    server = socket.create_server((LOOPBACK, 0))
    port = server.getsockname()[1]
    try:
        result = public_ports(host_item(allowed_ports=[free_port()]))
    finally:
        server.close()
    assert str(port) not in result.evidence["public"]
    assert f"{port} (on" not in result.reason
