"""Integrity: the newest backup is read whole, in constant memory, and must be what its format says."""

from __future__ import annotations

import time

from opsverify.checks.backup import formats, remote
from opsverify.checks.backup.files import BackupFile, HostStore, LocalStore, Store, backup_check, listing
from opsverify.context import RunContext
from opsverify.result import Result, failed, passed, skipped
from opsverify.spec.models.backups import Backup


def examine(store: Store, file: BackupFile, declared: str) -> formats.Finding:
    """Read one backup file whole where it lives: tools on a host, Python streaming elsewhere."""
    if isinstance(store, HostStore):
        return remote.inspect(store, file, declared)
    local = file.path if isinstance(store, LocalStore) else None
    return formats.inspect(store.chunks(file), declared, local)


@backup_check
def integrity(backup: Backup, *, context: RunContext | None = None) -> Result:
    """Whole-file read of the newest backup: compression checksums, archive members, dump trailers."""
    store, files = listing(backup, context)
    newest = files[0]
    started = time.perf_counter()
    finding = examine(store, newest, backup.format)
    seconds = time.perf_counter() - started
    evidence = {"file": newest.path, "format": backup.format, "found": finding.described,
                "bytes": newest.size, "seconds": round(seconds, 3), **finding.evidence}
    where = f"{newest.name}{store.where}"
    if finding.status == "encrypted":
        return skipped(f"{where} is {finding.detail}: its contents cannot be checked without the key "
                       "(encrypted, not corrupt)", evidence=evidence)
    if finding.status == "unverifiable":
        return skipped(f"{where}: {finding.detail}", evidence=evidence)
    if finding.status == "corrupt":
        return failed(f"{where}: {finding.detail}", evidence=evidence)
    layers = "".join(f"{layer} OK; " for layer in finding.layers if backup.format != "gzip")
    return passed(f"{where} read whole: {layers}{finding.detail}", evidence=evidence)
