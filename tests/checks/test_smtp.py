"""SMTP checks against real aiosmtpd relays: plain, STARTTLS, implicit TLS, AUTH; no mail is sent."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from opsverify.checks.smtp import handshake
from opsverify.result import Status
from opsverify.spec.models.health import Smtp
from tests.support.items import item
from tests.support.net import LOOPBACK, free_port
from tests.support.smtp_server import SmtpServer
from tests.support.tls_server import Pki, server_context

pytestmark = pytest.mark.filterwarnings("ignore:Session.login_data is deprecated")  # inside aiosmtpd
USERS = {"mailer": "ml-s3cret-pw"}
GOOD_LOGIN = {"user": "mailer", "password": "ml-s3cret-pw"}


def smtp(server: SmtpServer | int, **fields: Any) -> Smtp:
    """An Smtp item for a loopback relay (or port)."""
    port = server if isinstance(server, int) else server.port
    return item(Smtp, host=LOOPBACK, port=port, **fields)


@pytest.fixture(scope="module")
def plain() -> Iterator[SmtpServer]:
    """A relay without TLS, offering AUTH over plain text (the check must refuse to use it)."""
    with SmtpServer(users=USERS, plaintext_auth=True) as server:
        yield server


@pytest.fixture(scope="module")
def starttls(pki: Pki) -> Iterator[SmtpServer]:
    """A relay that requires STARTTLS (CA-signed certificate) before AUTH."""
    with SmtpServer(starttls=server_context(pki.issue("smtp")), users=USERS) as server:
        yield server


def test_a_plain_relay_passes_without_starttls_and_fails_with_it(plain: SmtpServer) -> None:
    ok = handshake(smtp(plain, starttls=False))
    assert ok.status is Status.PASSED, ok.reason
    assert ok.reason == f"{LOOPBACK}:{plain.port} answered 220"
    assert ok.evidence["banner"].startswith("220 mail.test")
    assert "AUTH LOGIN PLAIN" in ok.evidence["features"]
    result = handshake(smtp(plain))
    assert result.status is Status.FAILED
    assert result.reason == f"{LOOPBACK}:{plain.port} does not offer STARTTLS"
    assert plain.messages == []


def test_credentials_are_never_sent_unencrypted(plain: SmtpServer) -> None:
    result = handshake(smtp(plain, starttls=False, login=GOOD_LOGIN))
    assert result.status is Status.FAILED
    assert result.reason == "AUTH not attempted: the connection is not encrypted (set starttls or ssl)"


def test_starttls_with_auth_passes(starttls: SmtpServer, pki: Pki) -> None:
    result = handshake(smtp(starttls, ca_file=str(pki.ca_file), login=GOOD_LOGIN))
    assert result.status is Status.PASSED, result.reason
    assert result.reason == (f"{LOOPBACK}:{starttls.port} answered 220 | STARTTLS negotiated TLSv1.3 | "
                             "AUTH accepted for user ***")
    assert result.evidence["tls_version"] == "TLSv1.3"
    assert starttls.messages == []


def test_a_rejected_login_fails_with_the_servers_answer(starttls: SmtpServer, pki: Pki) -> None:
    bad_login = {"user": "mailer", "password": "wr0ng-pw-99"}
    result = handshake(smtp(starttls, ca_file=str(pki.ca_file), login=bad_login))
    assert result.status is Status.FAILED
    assert result.reason == "AUTH rejected for user ***: 535 5.7.8 Authentication credentials invalid"
    assert "wr0ng-pw-99" not in repr(result)


def test_starttls_with_an_untrusted_certificate_fails(starttls: SmtpServer) -> None:
    result = handshake(smtp(starttls))
    assert result.status is Status.FAILED
    assert result.reason == (f"TLS with {LOOPBACK}:{starttls.port}: "
                             "certificate verify failed: unable to get local issuer certificate")


def test_implicit_tls_passes(pki: Pki) -> None:
    with SmtpServer(implicit_tls=server_context(pki.issue("smtps"))) as server:
        result = handshake(smtp(server, ssl=True, ca_file=str(pki.ca_file)))
    assert result.status is Status.PASSED, result.reason
    assert result.reason == f"{LOOPBACK}:{server.port} answered 220 | TLS negotiated TLSv1.3"


def test_a_closed_port_and_a_hanging_relay_are_errors(hanging_port: int) -> None:
    port = free_port()
    refused = handshake(smtp(port))
    assert (refused.status, refused.reason) == (Status.ERROR, f"connection refused on {LOOPBACK}:{port}")
    start = time.monotonic()
    hanging = handshake(smtp(hanging_port, timeout="1s"))
    assert time.monotonic() - start < 2
    assert (hanging.status, hanging.reason) == (Status.ERROR, "no answer within 1s")
