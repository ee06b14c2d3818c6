"""Sockets on a host: the ones that must listen, and the ports open on public addresses."""

from __future__ import annotations

import ipaddress

from opsverify.checks import probe
from opsverify.checks.host import machine
from opsverify.result import Result, failed, passed, skipped
from opsverify.spec.models.hosts import Host


@probe
def listening(host: Host) -> Result:
    """Every socket in `listening` is listening (testinfra's socket module: tcp://0.0.0.0:443, tcp://443, unix://…)."""
    if not host.listening:
        return skipped("no listening sockets listed")
    sockets = machine(host).socket
    missing = [spec for spec in host.listening if not sockets(spec).is_listening]
    if missing:
        return failed(f"nothing listens on {', '.join(missing)} on {host.name}", value=len(missing),
                      evidence={"missing": missing})
    return passed(f"{', '.join(host.listening)} listening on {host.name}", value=0)


@probe
def public_ports(host: Host) -> Result:
    """TCP ports listening on a non-loopback address are all in `allowed_ports`."""
    if host.allowed_ports is None:
        return skipped("no allowed_ports set")
    public: dict[int, list[str]] = {}
    for spec in machine(host).socket.get_listening_sockets():
        protocol, _, rest = spec.partition("://")
        if protocol != "tcp":
            continue
        address, _, port = rest.rpartition(":")
        if not _loopback(address):
            public.setdefault(int(port), []).append(address)
    allowed = set(host.allowed_ports)
    extra = {port: addresses for port, addresses in sorted(public.items()) if port not in allowed}
    evidence = {"public": {str(p): a for p, a in sorted(public.items())}, "allowed": sorted(allowed)}
    if extra:
        listed = ", ".join(f"{port} (on {', '.join(addresses)})" for port, addresses in extra.items())
        noun = "port" if len(extra) == 1 else "ports"
        return failed(f"{noun} {listed} listening on {host.name} but not in allowed_ports "
                      f"{sorted(allowed)}", value=len(extra), evidence=evidence)
    return passed(f"{len(public)} public TCP ports on {host.name}, all allowed: {sorted(public)}",
                  value=0, evidence=evidence)


def _loopback(address: str) -> bool:
    """Whether a listening address is reachable only from the host itself."""
    try:
        return ipaddress.ip_address(address.strip("[]").split("%")[0]).is_loopback
    except ValueError:
        return address == "localhost"
