"""Shared check helpers: target keys, readable causes, the never-raise wrapper, the CA bundle."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from opsverify.checks import CheckError, cause, prepare, prepared, probe, show_seconds, target_key, trust
from opsverify.checks.http import response
from opsverify.checks.trust import bundle, client_context
from opsverify.result import Result, Status, failed
from opsverify.spec.models.health import Cache, Database, Endpoint, Smtp, Tls
from opsverify.spec.models.hosts import Host
from opsverify.spec.units import Duration
from tests.support.items import item
from tests.support.net import LOOPBACK, free_port
from tests.support.tls_server import Pki


@pytest.mark.parametrize(("model", "fields", "key"), [
    (Endpoint, {"url": "https://app.example.com/health"}, "app.example.com:443"),
    (Endpoint, {"url": "http://user:pw@10.0.0.5:8080/x"}, "10.0.0.5:8080"),
    (Endpoint, {"url": "http://[::1]/x"}, "[::1]:80"),
    (Tls, {"host": "app.example.com"}, "app.example.com:443"),
    (Database, {"url": "postgresql+psycopg://monitor:pw@db.internal/app"}, "db.internal:5432"),
    (Database, {"url": "mysql+pymysql://root@127.0.0.1:3307/test"}, "127.0.0.1:3307"),
    (Database, {"url": "sqlite:///var/lib/app.db"}, "sqlite:var/lib/app.db"),
    (Cache, {"url": "redis://cache.internal/0"}, "cache.internal:6379"),
    (Cache, {"url": "unix:///run/redis/redis.sock?db=0"}, "unix:/run/redis/redis.sock"),
    (Smtp, {"host": "smtp.example.com"}, "smtp.example.com:587"),
    (Host, {"target": "local://"}, "local"),
    (Host, {"target": "ssh://deploy@web1.internal"}, "web1.internal:22"),
    (Host, {"target": "ansible://web1?ansible_inventory=hosts.ini"}, "web1"),
])
def test_target_key_is_host_and_port(model: type, fields: dict, key: str) -> None:
    assert target_key(item(model, **fields)) == key


def test_cause_of_a_refused_connection_names_the_target() -> None:
    port = free_port()
    with pytest.raises(OSError) as refused:
        socket.create_connection((LOOPBACK, port), timeout=1)
    assert cause(refused.value, f"{LOOPBACK}:{port}") == f"connection refused on {LOOPBACK}:{port}"


def test_cause_of_a_timeout_states_the_timeout_as_written() -> None:
    assert cause(TimeoutError("timed out"), "h:1", Duration(2.0, "2s")) == "no answer within 2s"


def test_cause_keeps_a_check_error_message_and_the_first_line_of_others() -> None:
    assert cause(CheckError("ca_file /x does not exist"), "h:1") == "ca_file /x does not exist"
    assert cause(ValueError("bad thing\nmore detail"), "h:1") == "bad thing"


def test_probe_turns_an_exception_into_an_error_with_its_cause() -> None:
    @probe
    def explode(item: object) -> Result:
        raise RuntimeError("the disk is on fire")

    result = explode(item(Tls, host="h"))
    assert result.status is Status.ERROR
    assert result.reason == "the disk is on fire"
    assert result.evidence == {"exception": "RuntimeError"}


def test_probe_scrubs_secrets_from_reason_and_evidence() -> None:
    endpoint = item(Endpoint, url="http://h/x", headers={"X-Api-Key": "k-9f8e7d6c"})

    @probe
    def leak(item: Endpoint) -> Result:
        token = item.headers["X-Api-Key"].reveal()
        return failed(f"server echoed {token}", evidence={"body": [f"key={token}"]})

    result = leak(endpoint)
    assert result.reason == "server echoed ***"
    assert result.evidence == {"body": ["key=***"]}


def test_show_seconds_keeps_the_users_text_and_reads_small_values() -> None:
    assert show_seconds(Duration(0.25, "250ms")) == "250ms"
    assert show_seconds(0.00042) == "0.42ms"
    assert show_seconds(2.4) == "2.4s"


def test_bundle_holds_the_system_cas_and_ca_file_and_is_written_once(pki: Pki) -> None:
    path = bundle(str(pki.ca_file))
    text = Path(path).read_bytes()
    assert pki.ca.cert_pem.strip() in text
    assert text.count(b"BEGIN CERTIFICATE") > 10  # the system's CAs too
    assert bundle(str(pki.ca_file)) == path
    assert bundle(None) != path


def test_a_missing_ca_file_is_a_check_error(tmp_path: Path) -> None:
    with pytest.raises(CheckError, match=f"ca_file {tmp_path}/none.pem does not exist"):
        client_context(str(tmp_path / "none.pem"))


def test_prepared_does_a_checks_set_up_before_it_runs_and_leaves_failures_to_it(pki: Pki, tmp_path: Path) -> None:
    done: list[str] = []

    @prepare(done.append)
    @probe
    def noted(item: str) -> Result:
        return failed("never run here")

    @prepare(lambda item: 1 / 0)
    @probe
    def broken(item: str) -> Result:
        return failed("never run here")

    prepared(noted, "item-a")
    prepared(broken, "item-b")  # the check reports its own error when it runs
    assert done == ["item-a"]
    ca_file = str(tmp_path / "ca.pem")  # a CA file of its own: no earlier test built its context
    Path(ca_file).write_bytes(pki.ca_file.read_bytes())
    assert bundle(ca_file) not in trust._contexts
    prepared(response, item(Endpoint, url="https://127.0.0.1:1/", ca_file=ca_file))
    assert bundle(ca_file) in trust._contexts  # the SSL context exists before any probe is timed
