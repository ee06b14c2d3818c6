"""TLS checks against real TLS servers: expiry, trust, host name, accepted protocol versions."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from opsverify.checks.tls import WARNING_FILTER, certificate, protocols
from opsverify.result import Status
from opsverify.spec.models.health import Tls
from tests.support.fixtures import TlsSites
from tests.support.http_server import HttpServer
from tests.support.items import item
from tests.support.net import LOOPBACK, free_port
from tests.support.tls_server import Pki

pytestmark = pytest.mark.filterwarnings(WARNING_FILTER)


def tls(server: HttpServer | int, **fields: Any) -> Tls:
    """A Tls item for a loopback server (or port)."""
    port = server if isinstance(server, int) else server.port
    return item(Tls, host=fields.pop("host", LOOPBACK), port=port, **fields)


def test_a_valid_certificate_with_its_ca_file_passes_with_evidence(tls_sites: TlsSites, pki: Pki) -> None:
    for host in (LOOPBACK, "localhost"):
        result = certificate(tls(tls_sites.valid, host=host, ca_file=str(pki.ca_file)))
        assert result.status is Status.PASSED, result.reason
        assert result.reason.endswith(f"remaining validity is 88 days; limit 14 days | "
                                      f"chain trusted for {host}")
    evidence = result.evidence
    assert evidence["subject"] == "CN=127.0.0.1"
    assert evidence["issuer"] == "CN=opsverify test CA"
    assert evidence["sans"] == ["localhost", "127.0.0.1"]
    assert evidence["days_left"] == 88
    assert evidence["protocol"] == "TLSv1.3" and evidence["cipher"]


def test_an_expired_certificate_fails_with_its_date(tls_sites: TlsSites, pki: Pki) -> None:
    result = certificate(tls(tls_sites.expired, ca_file=str(pki.ca_file)))
    expired_on = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=70)
    assert result.status is Status.FAILED
    assert result.reason == f"certificate expired on {expired_on:%Y-%m-%d} (70 days ago)"


def test_a_certificate_for_another_host_fails(tls_sites: TlsSites, pki: Pki) -> None:
    result = certificate(tls(tls_sites.wrong_host, ca_file=str(pki.ca_file)))
    assert result.status is Status.FAILED
    assert result.reason == f"certificate for other.example does not match host {LOOPBACK}"


def test_a_self_signed_certificate_fails_unless_the_chain_is_not_verified(tls_sites: TlsSites) -> None:
    result = certificate(tls(tls_sites.self_signed))
    assert result.status is Status.FAILED
    assert result.reason == "self-signed certificate; not trusted (add ca_file)"
    unverified = certificate(tls(tls_sites.self_signed, verify_chain=False))
    assert unverified.status is Status.PASSED, unverified.reason


def test_a_private_ca_without_its_ca_file_fails(tls_sites: TlsSites) -> None:
    result = certificate(tls(tls_sites.valid))
    assert result.reason == ("issuer CN=opsverify test CA is not trusted (add ca_file): "
                             "unable to get local issuer certificate")


def test_a_certificate_expiring_soon_fails_the_limit_or_warns(tls_sites: TlsSites, pki: Pki) -> None:
    soon = certificate(tls(tls_sites.expiring, ca_file=str(pki.ca_file)))
    assert soon.status is Status.FAILED
    assert soon.reason == "remaining validity is 8 days; limit 14 days"
    warned = certificate(tls(tls_sites.expiring, ca_file=str(pki.ca_file), min_days_valid=5,
                             warn_min_days_valid=30))
    assert warned.status is Status.WARNING
    assert warned.reason == "remaining validity is 8 days; warning level 30 days"


def test_a_closed_port_and_a_hanging_server_are_errors(hanging_port: int) -> None:
    port = free_port()
    refused = certificate(tls(port))
    assert (refused.status, refused.reason) == (Status.ERROR, f"connection refused on {LOOPBACK}:{port}")
    start = time.monotonic()
    hanging = certificate(tls(hanging_port, timeout="1s"))
    assert time.monotonic() - start < 2
    assert (hanging.status, hanging.reason) == (Status.ERROR, "no answer within 1s")


def test_a_plain_http_port_is_a_handshake_error(web: HttpServer) -> None:
    result = certificate(tls(web))
    assert result.status is Status.ERROR
    assert result.reason.startswith(f"TLS handshake with {LOOPBACK}:{web.port} failed: ")


def test_a_server_accepting_tls_1_1_fails_min_version_1_2(tls_sites: TlsSites) -> None:
    result = protocols(tls(tls_sites.old_protocols, min_version="TLSv1.2"))
    assert result.status is Status.FAILED
    assert result.reason == "server accepts TLSv1.1; minimum TLSv1.2"
    assert result.evidence["refused"] == ["TLSv1"]


def test_a_tls_1_2_and_newer_server_passes(tls_sites: TlsSites) -> None:
    result = protocols(tls(tls_sites.valid, min_version="TLSv1.2"))
    assert result.status is Status.PASSED
    assert result.reason == "server refuses TLSv1, TLSv1.1 and negotiates TLSv1.3; minimum TLSv1.2"


def test_min_version_1_3_fails_on_a_server_that_accepts_1_2(tls_sites: TlsSites) -> None:
    too_old = protocols(tls(tls_sites.valid, min_version="TLSv1.3"))
    assert too_old.reason == "server accepts TLSv1.2; minimum TLSv1.3"
    assert protocols(tls(tls_sites.tls13_only, min_version="TLSv1.3")).status is Status.PASSED


def test_a_server_speaking_only_old_versions_fails(tls_sites: TlsSites) -> None:
    result = protocols(tls(tls_sites.legacy_only, min_version="TLSv1.2"))
    assert result.status is Status.FAILED
    assert result.reason == "server speaks nothing at TLSv1.2 or newer (TLSV1_ALERT_PROTOCOL_VERSION)"


def _protocols_under(openssl_conf: Path, server: HttpServer) -> str:
    """protocols() run in a child whose OpenSSL is configured by openssl_conf; its status and reason."""
    code = ("import sys, warnings; warnings.simplefilter('ignore');"
            "from opsverify.checks.tls import protocols; from opsverify.spec.models.health import Tls;"
            f"r = protocols(Tls(name='t', host='{LOOPBACK}', port={server.port}, min_version='TLSv1.2'));"
            "print(r.status.value + ': ' + r.reason)")
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "OPENSSL_CONF": str(openssl_conf)},
                          capture_output=True, text=True, timeout=30)
    return done.stdout.strip() or done.stderr


@pytest.mark.parametrize(("disabled", "outcome"), [
    ("-TLSv1, -TLSv1.1", "error: cannot judge the minimum TLSv1.2: TLSv1, TLSv1.1 not tested: this client's "
                         "OpenSSL cannot offer them"),
    ("-TLSv1", "failed: server accepts TLSv1.1; minimum TLSv1.2 "
               "(TLSv1 not tested: this client's OpenSSL cannot offer it)"),
])
def test_versions_this_client_cannot_offer_are_untested_never_passed(
        tls_sites: TlsSites, tmp_path: Path, disabled: str, outcome: str) -> None:
    conf = tmp_path / "openssl.cnf"  # a system policy that forbids old versions, as on RHEL
    conf.write_text("openssl_conf = c\n[c]\nssl_conf = s\n[s]\nsystem_default = d\n"
                    f"[d]\nProtocol = {disabled}\n")
    assert _protocols_under(conf, tls_sites.old_protocols) == outcome


def test_min_version_tls_1_leaves_nothing_to_offer(tls_sites: TlsSites) -> None:
    result = protocols(tls(tls_sites.valid, min_version="TLSv1"))
    assert (result.status, result.reason) == (Status.SKIPPED, "nothing older than TLSv1 to offer")


def test_protocols_without_min_version_is_skipped_and_a_bad_one_is_an_error(tls_sites: TlsSites) -> None:
    assert protocols(tls(tls_sites.valid)).reason == "no min_version set"
    bad = protocols(tls(tls_sites.valid, min_version="TLSv2"))
    assert (bad.status, bad.reason) == (Status.ERROR, "unknown min_version TLSv2; expected one of "
                                                      "TLSv1, TLSv1.1, TLSv1.2, TLSv1.3")
