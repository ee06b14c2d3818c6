"""TLS services: the certificate (expiry, chain, host name) and the protocol versions accepted."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
from dataclasses import dataclass

from cryptography import x509

from opsverify.checks import WARNING_FILTER, CheckError, combine, probe, timeout_of  # noqa: F401 (re-exported)
from opsverify.checks.trust import client_context
from opsverify.result import Result, error, failed, grade, passed, skipped
from opsverify.spec.models.health import Tls

VERSIONS = {"TLSv1": ssl.TLSVersion.TLSv1, "TLSv1.1": ssl.TLSVersion.TLSv1_1,
            "TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}
_TRUST_HINT = "not trusted (add ca_file)"
_CANNOT_OFFER = ("NO_PROTOCOLS_AVAILABLE", "NO_SUPPORTED_VERSIONS_ENABLED")
_TOO_OLD = ("UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION")


@dataclass(frozen=True)
class _Handshake:
    """What one completed handshake showed: the leaf certificate (DER), protocol and cipher."""

    der: bytes
    protocol: str
    cipher: str


def _handshake(host: str, port: int, context: ssl.SSLContext, timeout: float) -> _Handshake:
    """Connect, complete a TLS handshake (SNI = host) and close."""
    with socket.create_connection((host, port), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            return _Handshake(tls.getpeercert(binary_form=True) or b"", tls.version() or "",
                             (tls.cipher() or ("",))[0])


def _unverified() -> ssl.SSLContext:
    """A client context that completes a handshake with any certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@probe
def certificate(tls: Tls) -> Result:
    """Read the certificate without verifying, then check expiry, days left and (verify_chain) trust."""
    timeout = timeout_of(tls)
    seen = _handshake(tls.host, tls.port, _unverified(), timeout)
    cert = x509.load_der_x509_certificate(seen.der)
    now = dt.datetime.now(dt.timezone.utc)
    not_after, not_before = cert.not_valid_after_utc, cert.not_valid_before_utc
    days_left = (not_after - now).days
    if not_after < now:
        ago = _days((now - not_after).days)
        results = [failed(f"certificate expired on {not_after:%Y-%m-%d} ({ago} ago)",
                          value=days_left, unit="days")]
    elif not_before > now:
        results = [failed(f"certificate is not valid before {not_before:%Y-%m-%d %H:%M} UTC")]
    else:
        results = [passed(f"certificate valid until {not_after:%Y-%m-%d}", value=days_left, unit="days")]
        if tls.min_days_valid is not None or tls.warn_min_days_valid is not None:
            results.append(grade("remaining validity", days_left, tls.min_days_valid,
                                 tls.warn_min_days_valid, show=_days,
                                 unit="days", higher_is_worse=False))
    if tls.verify_chain:
        results.append(_trust(tls, cert, timeout))
    return combine(results, subject=cert.subject.rfc4514_string(),
                   issuer=cert.issuer.rfc4514_string(), sans=_names(cert),
                   not_before=not_before.isoformat(), not_after=not_after.isoformat(),
                   days_left=days_left, protocol=seen.protocol, cipher=seen.cipher)


def _trust(tls: Tls, cert: x509.Certificate, timeout: float) -> Result:
    """A verifying handshake (system CAs + ca_file, host name checked), its failure put in words."""
    try:
        _handshake(tls.host, tls.port, client_context(tls.ca_file), timeout)
    except ssl.SSLCertVerificationError as exc:
        code, message = exc.verify_code, exc.verify_message
        if code in (9, 10):  # not yet valid / expired: the dates above already say so
            return skipped(f"chain not judged: {message}")
        if code == 18:
            return failed(f"self-signed certificate; {_TRUST_HINT}")
        if code == 19:
            return failed(f"chain ends in an unknown self-signed root; {_TRUST_HINT}")
        if code in (2, 20, 21):
            return failed(f"issuer {cert.issuer.rfc4514_string()} is {_TRUST_HINT}: {message}")
        if code in (62, 64):
            return failed(f"certificate for {', '.join(_names(cert))} does not match host {tls.host}")
        return failed(f"certificate not trusted: {message}")
    return passed(f"chain trusted for {tls.host}")


def _days(count: float) -> str:
    """A number of days in words: "1 day", "14 days"."""
    return f"{count:g} day" if count == 1 else f"{count:g} days"


def _names(cert: x509.Certificate) -> list[str]:
    """The DNS names and IP addresses a certificate is for (its CN when it has no SAN)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [a.value for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]
    return [str(n) for n in san.get_values_for_type(x509.DNSName) + san.get_values_for_type(x509.IPAddress)]


@probe
def protocols(tls: Tls) -> Result:
    """Offer each version older than min_version alone; any accepted one fails the check."""
    if tls.min_version is None:
        return skipped("no min_version set")
    names = list(VERSIONS)
    if tls.min_version not in VERSIONS:
        raise CheckError(f"unknown min_version {tls.min_version}; expected one of {', '.join(names)}")
    timeout = timeout_of(tls)
    modern = _unverified()
    modern.minimum_version = VERSIONS[tls.min_version]
    try:
        negotiated = _handshake(tls.host, tls.port, modern, timeout).protocol
    except ssl.SSLError as exc:
        if exc.reason not in _TOO_OLD:
            raise
        return failed(f"server speaks nothing at {tls.min_version} or newer ({exc.reason})")
    older = names[:names.index(tls.min_version)]
    if not older:
        return skipped(f"nothing older than {tls.min_version} to offer", value=negotiated)
    outcome = {name: _offer(tls.host, tls.port, name, timeout) for name in older}
    accepted = [n for n, o in outcome.items() if o == "accepted"]
    refused = [n for n, o in outcome.items() if o == "refused"]
    untested = [n for n, o in outcome.items() if o == "untested"]
    note = (f"{', '.join(untested)} not tested: this client's OpenSSL cannot offer "
            f"{'it' if len(untested) == 1 else 'them'}")
    evidence = {"accepted": accepted, "refused": refused, "untested": untested, "negotiated": negotiated}
    suffix = f" ({note})" if untested else ""
    if accepted:
        return failed(f"server accepts {', '.join(accepted)}; minimum {tls.min_version}{suffix}",
                      value=accepted[0], limit=tls.min_version, evidence=evidence)
    if not refused:
        return error(f"cannot judge the minimum {tls.min_version}: {note}", evidence=evidence)
    return passed(f"server refuses {', '.join(refused)} and negotiates {negotiated}; "
                  f"minimum {tls.min_version}{suffix}", value=negotiated, limit=tls.min_version,
                  evidence=evidence)


def _offer(host: str, port: int, version: str, timeout: float) -> str:
    """Offer only `version`: "accepted", "refused", or "untested" when this client cannot offer it."""
    context = _unverified()
    try:
        context.minimum_version = context.maximum_version = VERSIONS[version]
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        return "untested"
    try:
        _handshake(host, port, context, timeout)
    except ssl.SSLError as exc:
        return "untested" if exc.reason in _CANNOT_OFFER else "refused"
    except ConnectionResetError:
        return "refused"
    return "accepted"
