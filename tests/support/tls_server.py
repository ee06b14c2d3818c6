"""Certificates from a private CA, and server-side TLS contexts for loopback servers."""

from __future__ import annotations

import ssl
import warnings
from dataclasses import dataclass
from pathlib import Path

from opsverify.demo.certs import issue, make_ca

OLD_VERSIONS = ("TLSv1", "TLSv1.1")
_VERSION = {"TLSv1": ssl.TLSVersion.TLSv1, "TLSv1.1": ssl.TLSVersion.TLSv1_1,
            "TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}


@dataclass(frozen=True)
class KeyPair:
    """A server certificate and its key, as files."""

    cert: Path
    key: Path


class Pki:
    """A private CA (its certificate in `ca_file`) that issues server certificates into `folder`."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.ca = make_ca("opsverify test CA")
        self.ca_file = folder / "ca.pem"
        folder.mkdir(parents=True, exist_ok=True)
        self.ca_file.write_bytes(self.ca.cert_pem)

    def issue(self, stem: str, names: tuple[str, ...] = ("127.0.0.1", "localhost"), *,
              self_signed: bool = False, valid_from_days: float = -1, valid_days: float = 90) -> KeyPair:
        """A certificate for `names`, signed by the CA unless self_signed; dates relative to now."""
        issued = issue(names, ca=None if self_signed else self.ca,
                       valid_from_days=valid_from_days, valid_days=valid_days)
        return KeyPair(*issued.write(self.folder, stem))


def server_context(pair: KeyPair, *, minimum: str | None = None,
                   maximum: str | None = None) -> ssl.SSLContext:
    """A server context for `pair`; a minimum older than TLSv1.2 also lowers OpenSSL's security level."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pair.cert, pair.key)
    with warnings.catch_warnings():  # old versions are wanted here; Python warns when they are set
        warnings.simplefilter("ignore", DeprecationWarning)
        if minimum is not None:
            context.minimum_version = _VERSION[minimum]
        if maximum is not None:
            context.maximum_version = _VERSION[maximum]
    if minimum in OLD_VERSIONS:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context
