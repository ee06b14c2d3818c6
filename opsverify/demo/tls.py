"""The demo's TLS: a cached private CA and, per start, the HTTPS server certificate and context."""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path

from cryptography import x509

from opsverify.demo.certs import Issued, issue, make_ca

SERVER_NAMES = ("127.0.0.1", "localhost")
WRONG_HOST = "wrong-host.example.net"
_CA_MARGIN = dt.timedelta(days=365)  # replace the CA well before it expires
_SERVER_MARGIN = dt.timedelta(days=45)  # reissue before the demo's own TLS check would warn (30 d)


def _usable(cert_file: Path, margin: dt.timedelta, issuer: x509.Certificate | None = None) -> bool:
    """Whether a cached certificate and its key exist, stay valid for margin and come from issuer (if given)."""
    if not (cert_file.is_file() and cert_file.with_suffix(".key").is_file()):
        return False
    try:
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
        if issuer is not None:
            cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, x509.InvalidSignature):
        return False
    return cert.not_valid_after_utc - dt.datetime.now(dt.timezone.utc) > margin


def _load(folder: Path, stem: str) -> Issued:
    """A certificate and key written earlier by Issued.write."""
    return Issued((folder / f"{stem}.pem").read_bytes(), (folder / f"{stem}.key").read_bytes())


def load_ca(folder: Path) -> Issued:
    """The demo CA from folder, made (and written) when missing or close to expiry."""
    if _usable(folder / "ca.pem", _CA_MARGIN):
        return _load(folder, "ca")
    ca = make_ca()
    ca.write(folder, "ca")
    return ca


def server_certificate(folder: Path, ca: Issued, breaks: frozenset[str]) -> tuple[Path, Path]:
    """The PEM certificate and key the HTTPS port serves: cached when healthy, fresh for a cert break."""
    if "expired-cert" in breaks:
        return issue(SERVER_NAMES, ca=ca, valid_from_days=-100, valid_days=30).write(folder, "expired")
    if "wrong-host-cert" in breaks:
        return issue((WRONG_HOST,), ca=ca).write(folder, "wrong-host")
    cert_file = folder / "server.pem"
    if not _usable(cert_file, _SERVER_MARGIN, x509.load_pem_x509_certificate(ca.cert_pem)):
        issue(SERVER_NAMES, ca=ca).write(folder, "server")
    return cert_file, cert_file.with_suffix(".key")


def server_context(folder: Path, breaks: frozenset[str]) -> tuple[ssl.SSLContext, Path]:
    """A TLS 1.2+ server context for the demo and the path of the CA file that trusts it."""
    ca = load_ca(folder)
    cert_file, key_file = server_certificate(folder, ca, breaks)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    return context, folder / "ca.pem"
