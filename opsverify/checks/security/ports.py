"""A bounded, concurrent TCP connect scan of a host named in `allowed_ports`, compared with its allowlist."""

from __future__ import annotations

import errno
import resource
import selectors
import socket
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from opsverify.checks import CheckError, probe, timeout_of
from opsverify.checks.security import PortScan
from opsverify.result import Result, error, failed, passed

PORT_TIMEOUT = 1.0  # seconds a port may take to answer before it counts as filtered
CONCURRENCY = 256  # connections in flight at once
ALL_OPEN_IS_A_PROXY = 50  # when at least this many ports are scanned and every one accepts, the host is not seen
SERVICES = {
    21: "FTP", 22: "SSH", 23: "Telnet", 25: "SMTP", 53: "DNS", 80: "HTTP", 110: "POP3", 111: "rpcbind",
    135: "MS RPC", 139: "NetBIOS", 143: "IMAP", 389: "LDAP", 443: "HTTPS", 445: "SMB", 465: "SMTPS",
    587: "mail submission", 631: "IPP/CUPS", 636: "LDAPS", 873: "rsync", 993: "IMAPS", 995: "POP3S",
}
DATA_PORTS = {
    1433: "MS SQL Server", 1521: "Oracle", 2375: "Docker API (no TLS)", 2376: "Docker API", 2379: "etcd",
    3000: "Grafana or a Node.js dev server", 3306: "MySQL/MariaDB", 4369: "Erlang epmd", 5000: "a dev server",
    5432: "PostgreSQL", 5601: "Kibana", 5672: "RabbitMQ", 5984: "CouchDB", 6379: "Redis",
    6443: "Kubernetes API", 8000: "a dev server", 8080: "HTTP (alternative)", 8086: "InfluxDB",
    8443: "HTTPS (alternative)", 8500: "Consul", 8888: "Jupyter", 9000: "PHP-FPM or MinIO", 9042: "Cassandra",
    9090: "Prometheus", 9092: "Kafka", 9100: "node_exporter", 9200: "Elasticsearch",
    9300: "Elasticsearch transport", 10250: "kubelet", 11211: "Memcached", 15672: "RabbitMQ management",
    27017: "MongoDB", 27018: "MongoDB shard", 28017: "MongoDB HTTP",
}
DEFAULT_PORTS = tuple(sorted({*range(1, 1025), *DATA_PORTS}))
_WAITING = (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY)


@dataclass(frozen=True)
class Scan:
    """What a scan found: open ports, refused (closed) ones, silent ones, other errors, and how long it took."""

    address: str
    scanned: int
    open: tuple[int, ...]
    closed: int  # refused: the host answered that nothing listens
    filtered: tuple[int, ...]  # no answer within the timeout
    errors: dict[str, int]  # other failures by errno name (EHOSTUNREACH…): the host was not reached
    seconds: float


def ports_to_scan(spec: str | tuple[int | str, ...], allowed: Iterable[int]) -> list[int]:
    """`scan_ports` expanded (`default`, ports, `FROM-TO` ranges), plus the allowed ports."""
    chosen: set[int] = set(allowed)
    for entry in (spec,) if isinstance(spec, str) else spec:
        if entry == "default":
            chosen.update(DEFAULT_PORTS)
        elif isinstance(entry, int):
            chosen.add(entry)
        else:
            low, high = (int(part) for part in str(entry).split("-"))
            chosen.update(range(low, high + 1))
    return sorted(chosen)


def scan(host: str, ports: list[int], timeout: float = PORT_TIMEOUT, concurrency: int = CONCURRENCY) -> Scan:
    """Connect to every port at most `concurrency` at a time, each within `timeout`; nothing is sent."""
    try:
        family, _, _, _, sockaddr = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise CheckError(f"cannot resolve {host}: {exc.strerror}") from exc
    address = str(sockaddr[0])
    limit = max(16, min(concurrency, resource.getrlimit(resource.RLIMIT_NOFILE)[0] // 4))
    selector = selectors.DefaultSelector()
    waiting = iter(ports)
    inflight: dict[socket.socket, tuple[int, float]] = {}
    found: list[int] = []
    silent: list[int] = []
    failures: list[int] = []  # errno of each port that neither answered nor refused
    started = time.monotonic()

    def settle(port: int, code: int) -> None:
        """Record a finished attempt: 0 open, ECONNREFUSED closed, anything else a failure."""
        if code == 0:
            found.append(port)
        elif code != errno.ECONNREFUSED:
            failures.append(code)

    def launch() -> None:
        """Start connections until `limit` are in flight or no port is left."""
        while len(inflight) < limit:
            port = next(waiting, None)
            if port is None:
                return
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setblocking(False)
            code = sock.connect_ex((address, port, *sockaddr[2:]))
            if code in _WAITING:
                inflight[sock] = (port, time.monotonic() + timeout)
                selector.register(sock, selectors.EVENT_WRITE)
                continue
            settle(port, code)
            sock.close()

    try:
        launch()
        while inflight:
            wait = max(0.0, min(deadline for _, deadline in inflight.values()) - time.monotonic())
            for key, _ in selector.select(wait):
                sock = cast(socket.socket, key.fileobj)
                settle(inflight[sock][0], sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
                _drop(selector, inflight, sock)
            now = time.monotonic()
            for sock in [s for s, (_, deadline) in inflight.items() if deadline <= now]:
                silent.append(inflight[sock][0])
                _drop(selector, inflight, sock)
            launch()
    finally:
        for sock in list(inflight):
            _drop(selector, inflight, sock)
        selector.close()
    closed = len(ports) - len(found) - len(silent) - len(failures)
    errors = Counter(errno.errorcode.get(code, str(code)) for code in failures)
    return Scan(address, len(ports), tuple(sorted(found)), closed, tuple(sorted(silent)), dict(errors),
                time.monotonic() - started)


def _drop(selector: selectors.BaseSelector, inflight: dict[socket.socket, tuple[int, float]],
          sock: socket.socket) -> None:
    """Forget and close one connection attempt."""
    selector.unregister(sock)
    del inflight[sock]
    sock.close()


def service(port: int) -> str:
    """A port with what usually listens there: `5432 (PostgreSQL)`."""
    name = SERVICES.get(port) or DATA_PORTS.get(port)
    if name is None:
        try:
            name = socket.getservbyport(port, "tcp")
        except OSError:
            return str(port)
    return f"{port} ({name})"


@probe
def open_ports(item: PortScan) -> Result:
    """Scan the host; any open port outside its allowlist fails; a host that answers on no port is an error."""
    ports = ports_to_scan(item.security.scan_ports, item.allowed)
    found = scan(item.host, ports, min(PORT_TIMEOUT, float(timeout_of(item))))
    allowed = sorted(set(item.allowed))
    evidence = {"address": found.address, "scanned": found.scanned, "open": list(found.open), "closed": found.closed,
                "filtered": len(found.filtered), "errors": found.errors, "allowed": allowed,
                "seconds": round(found.seconds, 2)}
    where = f"{item.host}" + (f" ({found.address})" if found.address != item.host else "")
    if len(found.open) == found.scanned >= ALL_OPEN_IS_A_PROXY:
        return error(f"all {found.scanned} scanned ports on {where} accepted a connection: something in between "
                     "(a transparent proxy, a tarpit) answers for the host, so nothing was learned", evidence=evidence)
    extra = [p for p in found.open if p not in allowed]
    if extra:
        return failed(f"open on {where} but not allowed: {', '.join(map(service, extra))}; "
                      f"allowed {', '.join(map(str, allowed)) or 'none'}", value=len(extra), unit="ports",
                      evidence=evidence)
    if not found.open and not found.closed:
        why = ", ".join([f"{len(found.filtered)} silent for {PORT_TIMEOUT:g}s"] * bool(found.filtered) +
                        [f"{n} {name}" for name, n in found.errors.items()])
        return error(f"no port of {found.scanned} on {where} answered or refused ({why}): the host is unreachable "
                     "or drops every probe, so nothing was learned", evidence=evidence)
    closed = [p for p in allowed if p not in found.open]
    note = f"; allowed but closed: {', '.join(map(str, closed))}" if closed else ""
    return passed(f"{len(found.open)} of {found.scanned} scanned ports open on {where}, all allowed "
                  f"({', '.join(map(str, found.open)) or 'none'}){note}", value=0, unit="ports", evidence=evidence)
