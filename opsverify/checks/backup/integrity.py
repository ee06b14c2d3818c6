"""Integrity: the newest backup is read whole, in constant memory, and must be what its format says."""

from __future__ import annotations

import time

from opsverify.checks import CheckError
from opsverify.checks.backup import crypt, formats, remote
from opsverify.checks.backup.files import BackupFile, HostStore, LocalStore, Store, backup_check, listing
from opsverify.checks.backup.streams import Peek, compression, content, encryption
from opsverify.context import RunContext
from opsverify.result import Result, error, failed, passed, skipped
from opsverify.spec.models.backups import Backup


def examine(store: Store, file: BackupFile, backup: Backup) -> formats.Finding:
    """Read one backup file whole where it lives: tools on a host, Python streaming elsewhere (and for the
    parsed text formats); an encrypted one is decrypted here, so its key never leaves this machine."""
    if backup.encryption != "none":
        return _decrypted(store, file, backup)
    if isinstance(store, HostStore) and backup.format not in formats.READ_HERE:
        return remote.inspect(store, file, backup.format)
    local = file.path if isinstance(store, LocalStore) else None
    return formats.inspect(store.chunks(file), backup.format, local)


def _decrypted(store: Store, file: BackupFile, backup: Backup) -> formats.Finding:
    """The declared encryption's plaintext inspected as `format`; a file not so encrypted is corrupt."""
    data = Peek(store.chunks(file))
    head = data.head()
    found = encryption(head)
    if found is None or found.lower() != backup.encryption:
        kind = f"{found}-encrypted" if found else f"not encrypted ({_looks(head)})"
        return formats.Finding("corrupt", f"encryption is {backup.encryption}, but the file is {kind}")
    if not backup.keyed:
        what = "key or key_file" if backup.encryption == "gpg" else "identity_file or key"
        raise CheckError(f"{file.name}{store.where} is {found}-encrypted and no {what} is given: its contents "
                         "cannot be checked")
    with crypt.decrypted(backup, data) as plaintext:
        finding = formats.inspect(plaintext, backup.format)
    finding.sealed = found
    return finding


def _looks(head: bytes) -> str:
    """What unencrypted bytes start like: "gzip-compressed data", "plain pg_dump SQL"."""
    layer = compression(head)
    return f"{layer}-compressed data" if layer else formats.noun(content(head))


@backup_check
def integrity(backup: Backup, *, context: RunContext | None = None) -> Result:
    """Whole-file read of the newest backup: compression checksums, archive members, dump trailers, parsed text;
    encryption only as declared."""
    store, files = listing(backup, context)
    newest = files[0]
    started = time.perf_counter()
    finding = examine(store, newest, backup)
    seconds = time.perf_counter() - started
    evidence = {"file": newest.path, "format": backup.format, "encryption": backup.encryption,
                "found": finding.described, "bytes": newest.size, "seconds": round(seconds, 3), **finding.evidence}
    where = f"{newest.name}{store.where}"
    if finding.status == "encrypted":
        return failed(f"{where} is {finding.detail}, but the item declares no encryption: it is not the "
                      f"{backup.format} it promises (declare encryption: gpg or age, with its key, to verify it)",
                      evidence=evidence)
    if finding.status == "unverifiable":
        if backup.format == "opaque":
            return skipped(f"{where}: format: opaque, its content is not judged ({finding.detail})", evidence=evidence)
        return error(f"{where}: {finding.detail}; declare its format (json, yaml, ini, …) or format: opaque",
                     evidence=evidence)
    if finding.status == "corrupt":
        return failed(f"{where}: {finding.detail}", evidence=evidence)
    layers = "".join(f"{layer} OK; " for layer in finding.layers if backup.format != "gzip")
    sealed = f"decrypted with {backup.encryption}; " if finding.sealed else ""
    return passed(f"{where} read whole: {sealed}{layers}{finding.detail}", evidence=evidence)
