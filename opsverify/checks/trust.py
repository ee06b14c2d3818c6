"""What TLS trusts: the system's CAs, SSL_CERT_FILE / REQUESTS_CA_BUNDLE, and an item's ca_file."""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import ssl
import tempfile
import threading

from opsverify.checks import CheckError

_lock = threading.Lock()
_bundles: dict[tuple[tuple[str, int, int], ...], str] = {}
_contexts: dict[str, ssl.SSLContext] = {}
_folder: list[str] = []


def trusted_files(ca_file: str | None) -> list[str]:
    """The PEM files to trust, in order, without duplicates; a missing ca_file is a CheckError."""
    if ca_file and not os.path.isfile(ca_file):
        raise CheckError(f"ca_file {ca_file} does not exist")
    system = ssl.get_default_verify_paths()
    candidates = [system.cafile or system.openssl_cafile, os.environ.get("SSL_CERT_FILE"),
                  os.environ.get("REQUESTS_CA_BUNDLE"), ca_file]
    if not (candidates[0] and os.path.isfile(candidates[0])):
        import certifi  # only where the system has no CA file (requests depends on certifi)

        candidates[0] = certifi.where()
    files: list[str] = []
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.path.realpath(candidate) not in files:
            files.append(os.path.realpath(candidate))
    return files


def bundle(ca_file: str | None) -> str:
    """One PEM file holding every trusted CA, written once per distinct set of sources (for requests)."""
    files = trusted_files(ca_file)
    key = tuple((f, int(os.stat(f).st_mtime_ns), os.stat(f).st_size) for f in files)
    with _lock:
        path = _bundles.get(key)
        if path is None or not os.path.exists(path):
            path = os.path.join(_temp_folder(), hashlib.sha256(repr(key).encode()).hexdigest()[:16] + ".pem")
            with open(path, "wb") as out:
                for f in files:
                    with open(f, "rb") as src:
                        out.write(src.read().rstrip(b"\n") + b"\n")
            _bundles[key] = path
    return path


def client_context(ca_file: str | None) -> ssl.SSLContext:
    """A verifying client context (hostname checked) that trusts the system's CAs plus ca_file.

    Loading a CA bundle costs tens of milliseconds, so one context per bundle is built and shared
    (an SSLContext may wrap sockets from many threads); otherwise that client cost would be counted
    as the target's response time.
    """
    path = bundle(ca_file)
    with _lock:
        context = _contexts.get(path)
        if context is None:
            context = ssl.create_default_context(cafile=path)
            context.load_default_certs()
            _contexts[path] = context
    return context


def _temp_folder() -> str:
    """This process's folder for bundles, removed at exit."""
    if not _folder:
        _folder.append(tempfile.mkdtemp(prefix="opsverify-ca-"))
        atexit.register(shutil.rmtree, _folder[0], True)
    return _folder[0]
