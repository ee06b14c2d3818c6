"""Checksum: the newest backup matches `FILE.sha256`, or its line in a `SHA256SUMS` beside it."""

from __future__ import annotations

import hashlib
import posixpath
import re
import shlex

from opsverify.checks import CheckError
from opsverify.checks.backup.files import (LONG_COMMAND, SIDECAR_SUFFIX, SUMS_FILE, BackupFile, HostStore,
                                           Store, backup_check, listing)
from opsverify.context import RunContext
from opsverify.result import Result, failed, passed, skipped
from opsverify.spec.models.backups import Backup

_LINE = re.compile(r"^\\?([0-9a-fA-F]{64})\s+[ *]?(.+?)\s*$")


def expected(store: Store, file: BackupFile) -> tuple[str, str]:
    """(digest, where it was found) from FILE.sha256 or SHA256SUMS; CheckError naming what is missing."""
    sidecar = file.path + SIDECAR_SUFFIX
    text = store.small(sidecar)
    if text is not None:
        line = text.decode("utf-8", "replace").strip()
        match = _LINE.match(line.splitlines()[0]) if line else None
        if match is None and re.fullmatch(r"[0-9a-fA-F]{64}", line):
            return line.lower(), posixpath.basename(sidecar)
        if match is None:
            raise _Bad(f"{posixpath.basename(sidecar)} does not hold a SHA-256 digest")
        return match[1].lower(), posixpath.basename(sidecar)
    sums = posixpath.join(posixpath.dirname(file.path), SUMS_FILE)
    text = store.small(sums, 16 << 20)
    if text is None:
        raise _Bad(f"no checksum for {file.name}{store.where}: neither {file.name}{SIDECAR_SUFFIX} "
                   f"nor {SUMS_FILE} beside it")
    for line in text.decode("utf-8", "replace").splitlines():
        match = _LINE.match(line)
        if match and posixpath.basename(match[2]) == file.name:
            return match[1].lower(), SUMS_FILE
    raise _Bad(f"{SUMS_FILE}{store.where} has no line for {file.name}")


def actual(store: Store, file: BackupFile) -> str:
    """The SHA-256 of the whole file: sha256sum on a host, hashlib over the stream elsewhere."""
    if isinstance(store, HostStore):
        done = store.checked(f"sha256sum -- {shlex.quote(file.path)}", f"sha256sum of {file.path}", LONG_COMMAND)
        return done.stdout.split()[0].lower()
    digest = hashlib.sha256()
    for chunk in store.chunks(file):
        digest.update(chunk)
    return digest.hexdigest()


class _Bad(CheckError):
    """The sidecar is missing or unreadable: the check fails."""


@backup_check
def checksum(backup: Backup, *, context: RunContext | None = None) -> Result:
    """SHA-256 of the newest backup against its sidecar."""
    if backup.checksum == "none":
        return skipped("checksum: none")
    store, files = listing(backup, context)
    newest = files[0]
    try:
        digest, source = expected(store, newest)
    except _Bad as exc:
        return failed(str(exc), evidence={"file": newest.path})
    found = actual(store, newest)
    evidence = {"file": newest.path, "sidecar": source, "sha256": found, "expected": digest}
    if found != digest:
        return failed(f"sha256 of {newest.name}{store.where} does not match {source}: "
                      f"file {found[:12]}…, {source} {digest[:12]}…", evidence=evidence)
    return passed(f"sha256 of {newest.name}{store.where} matches {source} ({found[:12]}…)", evidence=evidence)
