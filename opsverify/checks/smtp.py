"""Mail relays: connect, EHLO, STARTTLS, optional AUTH, QUIT; no mail is ever sent."""

from __future__ import annotations

import smtplib
import ssl
from typing import Any

from opsverify.checks import cause, combine, prepare, probe, target_key, timeout_of
from opsverify.checks.deadline import budget, guard
from opsverify.checks.trust import client_context
from opsverify.result import Result, failed, passed
from opsverify.spec.models.health import Smtp, SmtpLogin


class _Guarded(smtplib.SMTP):
    """An SMTP client whose socket the deadline guards from the moment it connects (before the banner)."""

    def _get_socket(self, host: str, port: int, timeout: float) -> Any:
        """Connect, and guard the plain socket (implicit TLS and STARTTLS are set up on it afterwards)."""
        sock = super()._get_socket(host, port, timeout)
        guard(sock)
        return sock


class _GuardedSsl(smtplib.SMTP_SSL, _Guarded):
    """Implicit TLS; SMTP_SSL wraps the socket _Guarded made and guarded."""


@prepare(lambda smtp: client_context(smtp.ca_file) if smtp.ssl or smtp.starttls else None)
@budget(timeout_of)
@probe
def handshake(smtp: Smtp) -> Result:
    """Banner, EHLO, STARTTLS when asked (verified), AUTH when a login is set, then QUIT; all within the timeout."""
    timeout = timeout_of(smtp)
    context = client_context(smtp.ca_file) if smtp.ssl or smtp.starttls else None
    client = _GuardedSsl(timeout=timeout, context=context) if smtp.ssl else _Guarded(timeout=timeout)
    client._host = smtp.host  # TLS server name; set only by the constructor, which hides the banner
    evidence: dict[str, Any] = {}
    try:
        result = _converse(client, smtp, context, evidence)
        client.quit()
    except ssl.SSLCertVerificationError as exc:
        result = failed(f"TLS with {target_key(smtp)}: {cause(exc, target_key(smtp))}")
    finally:
        client.close()
    return result.with_evidence(**evidence)


def _converse(client: smtplib.SMTP, smtp: Smtp, context: ssl.SSLContext | None,
              evidence: dict[str, Any]) -> Result:
    """The conversation up to (not including) QUIT; fills evidence as it goes."""
    code, banner = client.connect(smtp.host, smtp.port)
    evidence["banner"] = f"{code} {banner.decode(errors='replace')}"
    client.ehlo()
    evidence["features"] = _features(client)
    results = [passed(f"{target_key(smtp)} answered {code}")]
    if smtp.starttls and not smtp.ssl:
        if not client.has_extn("starttls"):
            return failed(f"{target_key(smtp)} does not offer STARTTLS")
        client.starttls(context=context)
        client.ehlo()
        evidence["features"] = _features(client)
    tls_version = client.sock.version() if isinstance(client.sock, ssl.SSLSocket) else None
    evidence["tls_version"] = tls_version
    if tls_version:
        results.append(passed(f"{'TLS' if smtp.ssl else 'STARTTLS'} negotiated {tls_version}"))
    if smtp.login is not None:
        results.append(_auth(client, smtp.login, target_key(smtp), encrypted=tls_version is not None))
    return combine(results)


def _auth(client: smtplib.SMTP, login: SmtpLogin, where: str, *, encrypted: bool) -> Result:
    """Log in with the item's credentials, never over an unencrypted connection."""
    user = login.user
    if not encrypted:
        return failed("AUTH not attempted: the connection is not encrypted (set starttls or ssl)")
    try:
        client.login(user.reveal(), login.password.reveal())
    except smtplib.SMTPAuthenticationError as exc:
        answer = exc.smtp_error
        text = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
        return failed(f"AUTH rejected for user {user}: {exc.smtp_code} {text}")
    except smtplib.SMTPNotSupportedError:
        return failed(f"{where} does not offer AUTH")
    return passed(f"AUTH accepted for user {user}")


def _features(client: smtplib.SMTP) -> list[str]:
    """The ESMTP extensions the server announced, as "NAME params"."""
    return [f"{name.upper()} {params.strip()}".strip() for name, params in client.esmtp_features.items()]
