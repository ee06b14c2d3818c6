"""The port scan against real loopback listeners: only the named hosts, bounded time, the allowlist."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from opsverify.checks.security import PortScan, port_items
from opsverify.checks.security.ports import DATA_PORTS, DEFAULT_PORTS, open_ports, ports_to_scan, scan, service
from opsverify.result import Status
from opsverify.spec.models.environment import Environment
from tests.security.conftest import security
from tests.spec.helpers import at, ok, one
from tests.support.net import LOOPBACK, free_port


@pytest.fixture
def listeners() -> Iterator[Callable[[int], list[int]]]:
    """`listen(count)` opens count loopback listeners and returns their ports; all closed afterwards."""
    with ExitStack() as stack:
        def listen(count: int = 1) -> list[int]:
            """Open count listeners."""
            return [stack.enter_context(socket.create_server((LOOPBACK, 0))).getsockname()[1] for _ in range(count)]
        yield listen


def item(allowed: list[int], scan_ports, host: str = LOOPBACK) -> PortScan:
    """A PortScan of host with this allowlist and scan list."""
    return PortScan(security(allowed_ports={host: allowed}, scan_ports=scan_ports), host, tuple(allowed))


def test_an_extra_listening_port_fails_naming_it(listeners) -> None:
    app, extra = listeners(2)
    closed = free_port()
    result = open_ports(item([app], [app, extra, closed]))
    assert result.status is Status.FAILED
    assert result.reason == f"open on {LOOPBACK} but not allowed: {extra}; allowed {app}"
    assert result.evidence["open"] == sorted([app, extra]) and result.evidence["closed"] == 1


def test_only_allowed_ports_open_passes_and_names_closed_allowed_ones(listeners) -> None:
    (app,) = listeners(1)
    spare = free_port()
    result = open_ports(item([app, spare], [app]))
    assert result.status is Status.PASSED
    assert result.reason == (f"1 of 2 scanned ports open on {LOOPBACK}, all allowed ({app}); "
                             f"allowed but closed: {spare}")


def test_a_data_port_is_named_by_its_service() -> None:
    assert service(5432) == "5432 (PostgreSQL)" and service(6379) == "6379 (Redis)" and service(22) == "22 (SSH)"


def test_the_default_scan_covers_low_ports_and_data_ports_within_five_seconds() -> None:
    ports = ports_to_scan("default", [])
    assert set(range(1, 1025)) <= set(ports) and {3306, 5432, 6379, 9200, 11211, 27017} <= set(ports)
    assert len(ports) == len(DEFAULT_PORTS) > 1050
    started = time.perf_counter()
    found = scan(LOOPBACK, ports)
    assert time.perf_counter() - started < 5
    assert found.scanned == len(ports) and found.closed + len(found.open) == len(ports)


def test_scan_ports_take_ranges_and_default() -> None:
    assert ports_to_scan((8000, "9000-9002"), [443]) == [443, 8000, 9000, 9001, 9002]
    assert len(ports_to_scan(("default", "60000-60009"), [])) == len(DEFAULT_PORTS) + 10
    assert set(DATA_PORTS) <= set(DEFAULT_PORTS)


def test_every_port_accepting_is_an_error_not_a_pass_or_a_failure(listeners) -> None:
    """A transparent proxy answers every port; that says nothing about the host."""
    ports = listeners(50)
    result = open_ports(item([], ports))
    assert result.status is Status.ERROR
    assert result.reason.startswith(f"all 50 scanned ports on {LOOPBACK} accepted a connection")


def test_a_host_that_cannot_be_resolved_is_an_error() -> None:
    result = open_ports(item([443], [443], host="no-such-host.invalid"))
    assert result.status is Status.ERROR and result.reason.startswith("cannot resolve no-such-host.invalid")


def test_only_hosts_named_in_allowed_ports_are_scanned() -> None:
    env = Environment.model_validate({"environment": "x", "security": {
        "base_urls": ["https://shop.example.com"], "allowed_ports": {"shop.example.com": [80, 443], "10.0.0.5": [22]}}})
    assert [(i.name, i.allowed) for i in port_items(env)] == [("shop.example.com", (80, 443)), ("10.0.0.5", (22,))]
    assert port_items(Environment.model_validate({"environment": "x", "security": {}})) == []


def test_ports_that_drop_every_probe_are_an_error() -> None:
    """Listeners with a full accept queue drop the SYN like a firewall: nothing answers, nothing is learned."""
    with ExitStack() as stack:
        ports = []
        for _ in range(3):
            server = stack.enter_context(socket.socket())
            server.bind((LOOPBACK, 0))
            server.listen(0)
            for _ in range(3):
                client = stack.enter_context(socket.socket())
                client.setblocking(False)
                client.connect_ex((LOOPBACK, server.getsockname()[1]))
            ports.append(server.getsockname()[1])
        time.sleep(0.1)
        result = open_ports(PortScan(security(timeout="1s", scan_ports=ports), LOOPBACK, ()))
    assert result.status is Status.ERROR
    assert result.reason == (f"no port of 3 on {LOOPBACK} answered or refused (3 silent for 1s): the host is "
                             "unreachable or drops every probe, so nothing was learned")


def test_scan_ports_in_the_environment_file_are_validated_with_their_line() -> None:
    text = "environment: x\nsecurity:\n  allowed_ports: {shop.example.com: [443]}\n  scan_ports: [443, '9-1']\n"
    at(one(text), 4, "security.scan_ports", "'9-1' is not a port (1-65535) or a range like 8000-8100")
    env = ok("environment: x\nsecurity:\n  scan_ports: [default, 8080, '9000-9100', '${EXTRA}']\n",
             {"EXTRA": "8443"})
    assert env.security.scan_ports == ("default", 8080, "9000-9100", 8443)
